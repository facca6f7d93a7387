"""Several processes on one store at once; and processes killed in the middle of their work."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from sedflow import PROCESSES_DIR, Engine, ManualClock, load_directory, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE

WORKER = str(Path(__file__).parent / "advance_worker.py")
DEFS = load_directory(PROCESSES_DIR)


def run(url, *args):
    subprocess.run([sys.executable, WORKER, url, *map(str, args)], check=True, timeout=600)


def outcome(url):
    """What a run produced, independent of ids, order and who did it: journal rows and case states."""
    with open_store(url) as store:
        cases = {c.case_id: c for c in store.list_cases()}
        journal = Counter(
            (cases[e.case_id].participant, e.kind, e.element_id, json.dumps(e.data, sort_keys=True), e.outcome,
             e.end_reason, e.at.isoformat()) for e in store.read_journal())
        states = {c.participant: (c.status, c.outcome, c.end_reason, tuple(c.stages),
                                  json.dumps(c.data, sort_keys=True)) for c in cases.values()}
        return journal, states


def test_many_processes_complete_and_tick_like_a_serial_run(store_url, tmp_path):
    from conftest import POSTGRES, postgres_schema_url
    cases, workers = 24, 4
    open_store(store_url, create=True).close()
    run(store_url, "start", cases)
    if store_url.startswith("sqlite"):
        serial_url = f"sqlite:///{tmp_path / 'serial.db'}"
    else:
        serial_url = postgres_schema_url(store_url.rsplit("schema=", 1)[1] + "_serial")
    open_store(serial_url, create=True).close()
    try:
        run(serial_url, "start", cases)
        run(serial_url, "advance", 0, 1, "--tick")
        procs = [subprocess.Popen([sys.executable, WORKER, store_url, "advance", k, str(workers), "--tick"])
                 for k in map(str, range(workers))]
        procs += [subprocess.Popen([sys.executable, "-m", "sedflow_cli.main", "--store", store_url, "tick",
                                    "--now", "2026-03-20T09:00:00+00:00", "--quiet"]) for _ in range(2)]
        assert [p.wait(timeout=600) for p in procs] == [0] * len(procs)
        concurrent, serial = outcome(store_url), outcome(serial_url)
        assert concurrent[1] == serial[1]  # every case ends in the same state
        assert concurrent[0] == serial[0]  # the same journal rows, each exactly as often
        assert sum(n for (_, kind, element, *_), n in concurrent[0].items()
                   if kind == "timer_fired" and element == "followup_due") == cases  # each follow-up once
        assert {s[1] for s in concurrent[1].values()} == {"OTHER_PLAN"}
    finally:
        if not serial_url.startswith("sqlite") and POSTGRES:
            import psycopg
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{serial_url.rsplit("schema=", 1)[1]}" CASCADE')


def check_consistency(url, tmp_path):
    """Every row belongs to a committed step, none twice, and each case's state agrees with its journal."""
    with open_store(url) as store:
        journal = store.read_journal()
        cases = store.list_cases()
        for kind in ("task_ready", "task_completed", "task_cancelled", "timer_fired"):
            counts = Counter(e.task_id for e in journal if e.kind == kind)
            assert not counts or max(counts.values()) == 1, f"a {kind} row twice"
        assert Counter(e.case_id for e in journal if e.kind == "case_started") == Counter(c.case_id for c in cases)
        ended = Counter(e.case_id for e in journal if e.kind == "case_ended")
        for case in cases:
            rows = [e for e in journal if e.case_id == case.case_id]
            open_in_journal = ({e.task_id for e in rows if e.kind == "task_ready"}
                               - {e.task_id for e in rows if e.kind in ("task_completed", "task_cancelled")})
            assert open_in_journal == {t.task_id for t in store.list_open_tasks(case_id=case.case_id)}, case.case_id
            assert ended[case.case_id] == (case.status != "active")
        # replay a few cases' completed tasks on a fresh store: the same tasks are ready
        for case in random.sample(cases, 3):
            rows = [e for e in journal if e.case_id == case.case_id]
            replay_store = open_store(tmp_path / f"replay-{uuid.uuid4().hex}.db", create=True)
            clock = ManualClock(rows[0].at)
            replay = Engine(replay_store, DEFS, clock=clock, profile=SE_PROFILE)
            replay.start_case(case.process_id, case.participant, rows[0].data, case_id=case.case_id)
            for e in rows:
                if e.kind == "task_completed":
                    clock.set(e.at)
                    replay.complete_task(case.case_id, e.element_id, e.data, actor=e.actor)
            clock.set(rows[-1].at)
            replay.tick()
            expected = sorted(t.element_id for t in store.list_open_tasks(case_id=case.case_id))
            assert sorted(t.element_id for t in replay.list_tasks(case_id=case.case_id)) == expected
            assert replay.show_case(case.case_id).status == case.status
            replay_store.close()


def completed_steps(url):
    with open_store(url) as store:
        return store._query("SELECT count(*) FROM journal WHERE kind = 'task_completed'")[0][0]


def test_killed_mid_work_loses_nothing_and_duplicates_nothing(store_url, tmp_path):
    rounds = int(os.environ.get("SEDFLOW_KILL_ROUNDS", "3"))
    open_store(store_url, create=True).close()
    run(store_url, "start", 200)
    for _ in range(rounds):
        # SIGKILL once the worker has committed a random number of further steps: always in mid-work
        before, target = completed_steps(store_url), random.randint(1, 40)
        proc = subprocess.Popen([sys.executable, WORKER, store_url, "advance", "0", "1", "--tick"])
        while proc.poll() is None and completed_steps(store_url) - before < target:
            time.sleep(0.01)
        assert proc.poll() is None, "the worker finished before it was killed: give it more work"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        check_consistency(store_url, tmp_path)
    run(store_url, "advance", 0, 1, "--tick")  # the work goes on where it stopped
    check_consistency(store_url, tmp_path)
    with open_store(store_url) as store:
        assert {c.status for c in store.list_cases()} == {"completed"}
