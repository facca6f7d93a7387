"""Synthetic participants driven through the real engine, for the Quick start and for tests.

Every step goes through the public API (start_case, complete_task, withdraw_case) under a simulated
clock, so the journal it leaves is exactly what real use would leave. Decisions are drawn from a seeded
random generator; every other form field is filled from the form's own definition, so the demo keeps
working when a process owner adds a field. No real people: participant keys are pseudonyms.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .clock import ManualClock
from .definitions import Form
from .runtime import Engine

SE_PROCESS = "supported_employment"

# Decision fields the scenario controls: (field, [(value, weight), ...]).
_DECISIONS: dict[str, dict[str, list[tuple[Any, float]]]] = {
    "information_dialogue": {"needs_more_information": [(True, 0.25), (False, 0.75)]},
    "participant_decision": {"chooses_se": [(True, 0.88), (False, 0.12)]},
    "vocational_profile": {"profile_sufficient": [(True, 0.6), (False, 0.4)],
                           "complement": [("PRAKTIK", 0.5), ("SUPPORTED_TRAINING", 0.5)]},
    "job_search": {"search_result": [("JOB_OFFER", 0.35), ("STUDIES", 0.15), ("CONTINUE", 0.3),
                                     ("BACK_TO_PROFILE", 0.07), ("OTHER_PLAN", 0.13)]},
    "study_application": {"admitted": [(True, 0.75), (False, 0.25)]},
    "support_followup": {"support_status": [("CONTINUE", 0.72), ("STABLE", 0.2), ("JOB_LOST", 0.08)]},
}
_WITHDRAWAL_REASONS = ["PARTICIPANT_CHOICE", "HEALTH", "MOVED", "NO_CONTACT"]


@dataclass
class DemoResult:
    cases: list[str]
    by_status: Counter
    by_outcome: Counter
    steps: int


def run_demo(engine: Engine, *, participants: int = 50, seed: int = 1, start: str = "2025-01-06T08:00:00+00:00",
             withdrawal_rate: float = 0.015) -> DemoResult:
    """Run ``participants`` synthetic cases of the SE process to their end (or withdrawal).

    The engine must use a :class:`ManualClock`; the demo moves it forward as the cases proceed.
    """
    if not isinstance(engine.clock, ManualClock):
        raise TypeError("run_demo needs an engine with a ManualClock")
    rng = random.Random(seed)
    clock = engine.clock
    begin = max(clock.now(), datetime.fromisoformat(start))
    definition = engine.definitions.get(SE_PROCESS)
    queue: list[tuple[datetime, int, str | None]] = []
    for n in range(participants):
        heapq.heappush(queue, (begin + timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 8)), n, None))
    cases, steps = [], 0
    while queue:
        when, n, case_id = heapq.heappop(queue)
        clock.set(max(when, clock.now()))
        engine.tick()  # timers (monthly follow-ups, reminders) come due as simulated time passes
        today = clock.now().date()
        acted = True
        if case_id is None:
            start_form = definition.start_form
            data = _fill(start_form, {}, rng, today) if start_form else {}
            case = engine.start_case(SE_PROCESS, f"demo-{seed}-{n:05d}", data, actor="demo")
            cases.append(case.case_id)
        elif rng.random() < withdrawal_rate:
            case = engine.withdraw_case(case_id, rng.choice(_WITHDRAWAL_REASONS), actor="demo")
        elif not (ready := engine.list_tasks(case_id=case_id)):
            case, acted = engine.show_case(case_id), False  # waiting on a timer only; look again later
        else:
            task = rng.choice(ready)
            decisions = {k: _pick(rng, v) for k, v in _DECISIONS.get(task.element_id, {}).items()}
            if task.element_id == "planned_closure":
                decisions["outcome"] = _closure_outcome(engine.show_case(case_id).data, rng)
            data = _fill(task.form, decisions, rng, today) if task.form else {}
            case = engine.complete_task(case_id, task.task_id, data, actor=f"coach-{n % 4 + 1}")
        steps += acted
        if case.status == "active":
            heapq.heappush(queue, (clock.now() + timedelta(days=rng.randint(3, 30)), n, case.case_id))
    records = [engine.show_case(c) for c in cases]
    return DemoResult(cases=cases, by_status=Counter(r.status for r in records),
                      by_outcome=Counter(r.outcome for r in records if r.outcome), steps=steps)


def _pick(rng: random.Random, choices: list[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in choices], weights=[w for _, w in choices])[0]


def _closure_outcome(data: dict[str, Any], rng: random.Random) -> str:
    if data.get("support_status") == "STABLE":
        # Whichever start came last is what the participant is in now.
        job, study = data.get("employment_start_date") or "", data.get("study_start_date") or ""
        return "EMPLOYMENT" if job >= study else "STUDIES"
    return rng.choice(["OTHER_PLAN", "CONTINUED_AF_SUPPORT"])


def _fill(form: Form, fixed: dict[str, Any], rng: random.Random, today: date) -> dict[str, Any]:
    """Values for every required field (and some optional ones) that fit the form's own constraints."""
    data = {}
    for f in form.fields:
        if f.id in fixed:
            if fixed[f.id] is not None:
                data[f.id] = fixed[f.id]
            continue
        if not f.required and rng.random() < 0.5:
            continue
        if f.type == "enum":
            data[f.id] = rng.choice(f.options)[0]
        elif f.type == "boolean":
            data[f.id] = rng.random() < 0.8
        elif f.type == "date":
            data[f.id] = today.isoformat()
        elif f.type == "long":
            low = int(f.constraints.get("min") or 0)
            high = int(f.constraints.get("max") or low + 10)
            data[f.id] = rng.randint(low, high)
        else:
            data[f.id] = rng.choice(["enligt plan", "dokumenterat", "se handlingsplan"])
    return data
