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
