"""A worker process for the concurrency and crash tests: advances cases on a store, as a real process.

    python advance_worker.py STORE_URL start N
        # at START: N cases, each advanced past its agreement (arming its monthly follow-up timer)
    python advance_worker.py STORE_URL advance K W [--tick]
        # at NOW: the active cases whose number % W == K, advanced along ROUTE to their end, retrying on
        # conflicts; with --tick the scheduler runs after every step (the follow-ups are due by NOW)

The clocks are fixed, so every run of the same work writes the same journal (up to ids and order).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sedflow import PROCESSES_DIR, Engine, ManualClock, RecordConflictError, load_directory, open_store  # noqa: E402
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import REFERRAL, fill  # noqa: E402

START, NOW = "2026-02-02T09:00:00+00:00", "2026-03-20T09:00:00+00:00"
ROUTE = {"information_dialogue": {"needs_more_information": False}, "participant_decision": {"chooses_se": True},
         "vocational_profile": {"profile_sufficient": True}, "job_search": {"search_result": "OTHER_PLAN"},
         "planned_closure": {"outcome": "OTHER_PLAN"}}
SETUP = ("first_contact", "information_dialogue", "participant_decision", "agreement")


def engine(url: str, when: str) -> Engine:
    return Engine(open_store(url), load_directory(PROCESSES_DIR), clock=ManualClock(when), profile=SE_PROFILE)


def step(e: Engine, case_id: str, actor: str, only: tuple[str, ...] = ()) -> bool:
    """Complete the case's next route task; False when there is none left (follow-ups are left alone)."""
    tasks = [t for t in e.list_tasks(case_id=case_id) if t.element_id != "monthly_followup"
             and (not only or t.element_id in only)]
    if not tasks:
        return False
    task = tasks[0]
    data = fill(task.form, ROUTE.get(task.element_id, {}), today=str(e.clock.now().date()))
    e.complete_task(case_id, task.task_id, data, actor=actor)
    return True


def start(url: str, count: int) -> None:
    e = engine(url, START)
    for case_id in e.import_cases([{"participant": f"w-{n:04d}", **REFERRAL} for n in range(count)],
                                  process_id="supported_employment", actor="importer", batch=count).started:
        while step(e, case_id, "setup", SETUP):
            pass


def advance(url: str, k: int, workers: int, tick: bool) -> None:
    e = engine(url, NOW)
    for case in e.list_cases(status="active"):
        if int(case.participant[2:]) % workers != k:
            continue
        while True:
            try:
                if not step(e, case.case_id, f"worker-{k}"):
                    break
            except RecordConflictError:
                continue  # a tick or another worker changed the case first: reload and try again
            if tick:
                e.tick()


if __name__ == "__main__":
    url, command, *rest = sys.argv[1:]
    if command == "start":
        start(url, int(rest[0]))
    else:
        advance(url, int(rest[0]), int(rest[1]), "--tick" in rest)
