"""Shared fixtures: the shipped diagrams, a real SQLite store per test, a manual clock."""

from __future__ import annotations


import pytest

from sedflow import PROCESSES_DIR, Engine, ManualClock, SQLiteStore, load_directory



@pytest.fixture(scope="session")
def definitions():
    return load_directory(PROCESSES_DIR)


@pytest.fixture
def clock():
    return ManualClock("2026-02-02T09:00:00+00:00")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "sedflow.db"


@pytest.fixture
def store(db_path):
    s = SQLiteStore(db_path, create=True)
    yield s
    s.close()


@pytest.fixture
def engine(store, definitions, clock):
    return Engine(store, definitions, clock=clock)


REFERRAL = {"referral_source": "PSYCHIATRY", "referral_channel": "PHONE", "gender": "F", "birth_year": 1998,
            "income_support": "AE_WORK_CAPACITY"}


def fill(form, overrides=None, today="2026-02-02"):
    """Deterministic values for every required field of a form, then the test's own choices."""
    data = {}
    for f in form.fields if form else ():
        if f.required:
            data[f.id] = {"enum": lambda: f.options[0][0], "boolean": lambda: True, "date": lambda: today,
                          "long": lambda: int(f.constraints.get("min") or 1)}.get(f.type, lambda: "noterat")()
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
