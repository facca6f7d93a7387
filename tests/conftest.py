"""Shared fixtures: the shipped diagrams, a real store per test on each backend, a manual clock.

Store tests run twice: on an SQLite file and on a real PostgreSQL server, each test in a schema of its
own (dropped afterwards). The PostgreSQL half needs ``SEDFLOW_TEST_POSTGRES`` set to a server URL such
as ``postgresql://postgres@127.0.0.1:5432/test`` (``.ci/run`` sets it); without it those tests skip,
saying so.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sedflow import PROCESSES_DIR, Engine, ManualClock, load_directory, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE

POSTGRES = os.environ.get("SEDFLOW_TEST_POSTGRES")


def pytest_terminal_summary(terminalreporter):
    """One line per skip reason, with how many tests it skipped (pytest's ``-rs`` prints one per test)."""
    reasons = Counter(report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
                      for report in terminalreporter.stats.get("skipped", []))
    if reasons:
        terminalreporter.section("skipped, by reason")
        for reason, count in reasons.most_common():
            terminalreporter.line(f"{count:5d}  {reason.removeprefix('Skipped: ')}")


@pytest.fixture(scope="session")
def definitions():
    return load_directory(PROCESSES_DIR)


@pytest.fixture
def clock():
    return ManualClock("2026-02-02T09:00:00+00:00")


def postgres_schema_url(schema: str) -> str:
    return f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}schema={schema}"


def fresh_store_url(backend, directory):
    """Yield a URL for a fresh, empty store on ``backend`` (SQLite in ``directory``), then clean up."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'sedflow.db'}"
        return
    if not POSTGRES:
        pytest.skip("PostgreSQL half: set SEDFLOW_TEST_POSTGRES=postgresql://user@host:port/db to run it "
                    "(.ci/run does)")
    schema = f"sedflow_test_{uuid.uuid4().hex[:12]}"
    yield postgres_schema_url(schema)
    import psycopg
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A URL for a fresh, empty store on each backend."""
    yield from fresh_store_url(request.param, tmp_path)


@pytest.fixture
def store(store_url):
    s = open_store(store_url, create=True)
    yield s
    s.close()


@pytest.fixture
def engine(store, definitions, clock):
    return Engine(store, definitions, clock=clock, profile=SE_PROFILE)


#: The Camunda-style timers diagram (duration, date, cycles) several test modules run, and when its cases start.
TIMERS = (Path(__file__).parent / "diagrams" / "camunda_timers.bpmn").read_bytes()
TIMERS_START = "2026-01-01T08:00:00+00:00"


@pytest.fixture
def timers():
    from sedflow.definitions import load_sources
    return load_sources({"camunda_timers.bpmn": TIMERS})


@pytest.fixture
def tengine(store, timers):
    """An engine over the timers diagram on each backend, its clock at :data:`TIMERS_START`."""
    return Engine(store, timers, clock=ManualClock(TIMERS_START), profile=SE_PROFILE)


REFERRAL = {"referral_source": "PSYCHIATRY", "referral_channel": "PHONE", "gender": "F", "birth_year": 1998,
            "income_support": "AE_WORK_CAPACITY"}


def fill(form, overrides=None, today="2026-02-02"):
    """Deterministic values for every required field of a form, then the test's own choices."""
    data = {}
    for f in form.fields if form else ():
        if f.required:
            data[f.id] = {"enum": f.options[0][0] if f.options else None, "boolean": True, "date": today,
                          "long": int(f.constraints.get("min") or 1)}.get(f.type, "noterat")
    data.update(overrides or {})
    return {k: v for k, v in data.items() if v is not None}


def walk(engine, case_id, steps, actor="coach-1"):
    """Complete (element id, choices) steps in order, filling the rest of each form."""
    case = None
    for element_id, choices in steps:
        task = next(t for t in engine.list_tasks(case_id=case_id) if t.element_id == element_id)
        case = engine.complete_task(case_id, element_id, fill(task.form, choices), actor=actor)
        engine.clock.advance(days=7)
    return case


WAIT, WITHDRAW = "wait", "withdraw"


def run_steps(engine, case_id, steps, *, actor="coach-1", days=7):
    """Drive a case as people and the scheduler would: each (element id, choices) step completes the
    longest-waiting ready task of that element with its form filled (dates: the clock's day), then
    ``days`` pass and the scheduler ticks; ("wait", n) lets n days pass with a tick each day;
    ("withdraw", reason) is the participant leaving. Returns the case after the last change."""
    case = None
    for element_id, arg in steps:
        if element_id == WAIT:
            for _ in range(arg):
                engine.clock.advance(days=1)
                engine.tick()
        elif element_id == WITHDRAW:
            return engine.withdraw_case(case_id, arg, actor=actor)
        else:
            ready = engine.list_tasks(case_id=case_id)
            matching = [t for t in ready if t.element_id == element_id]
            assert matching, f"{element_id} is not ready (ready: {sorted(t.element_id for t in ready)})"
            task = min(matching, key=lambda t: t.since)
            today = engine.clock.now().date().isoformat()
            case = engine.complete_task(case_id, task.task_id, fill(task.form, arg, today=today), actor=actor)
            engine.clock.advance(days=days)
            engine.tick()
    return case


def end_events(definition, *, closing=False):
    """Ids of the end events drawn in the programme's own process; ``closing``: those recording an outcome."""
    return {e.id for e in definition.elements.values() if e.kind == "endEvent"
            and e.process_id == definition.process_id and (not closing or "outcome" in e.properties)}


def assert_closed(engine, case_id, *, end, outcome, end_reason, milestones, status="completed"):
    """The case ended at ``end`` with this outcome and end reason and these milestones: no stage, task or
    timer left, one ``case_ended`` row saying so, and every task that became ready was completed or
    cancelled (nothing vanished from the journal). Returns the case and its journal."""
    case = engine.show_case(case_id)
    assert (case.status, case.outcome, case.end_reason) == (status, outcome, end_reason)
    assert set(case.milestones) == milestones
    assert case.tasks == [] and case.stages == [] and engine.due(within=timedelta(days=3650), case_id=case_id) == []
    journal = engine.case_history(case_id)
    assert [(e.element_id, e.outcome, e.end_reason) for e in journal if e.kind == "case_ended"] == \
        [(end, outcome, end_reason)]
    definition = engine.definition(case.definition_version)
    human = {"userTask"}
    assert Counter(e.element_id for e in journal if e.kind == "task_ready") == \
        Counter(e.element_id for e in journal if e.kind in ("task_completed", "task_cancelled")
                and definition.element(e.process_id, e.element_id).kind in human)
    return case, journal
