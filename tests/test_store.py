"""Store behaviour on both backends: schema versions and upgrades, claims, URLs, error mapping."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from click.testing import CliRunner
from sedflow import Engine, ManualClock, RecordConflictError, StoreError, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.store import SCHEMA_VERSION, CaseRecord, CaseStatus

from conftest import REFERRAL
from sedflow_cli.main import main


def at_version(store_url, version):
    """A store at an older schema version, built with that version's own migrations."""
    store = open_store(store_url, create=True)
    with store._write() as cur:
        for statement in reversed([s for m in store.MIGRATIONS for s in m]):
            name = statement.split()[2] if statement.startswith("CREATE TABLE") else None
            if name:
                cur.execute(f"DROP TABLE {name} CASCADE" if store.PARAM == "%s" else f"DROP TABLE {name}")
        for statements in store.MIGRATIONS[:version]:
            for statement in statements:
                cur.execute(statement)
        cur.execute(store._sql("INSERT INTO sedflow_meta VALUES (?, ?)"), ("schema_version", str(version)))
    store.close()


def test_an_older_store_must_be_upgraded_first(store_url, definitions):
    at_version(store_url, 1)
    with pytest.raises(StoreError, match=f"schema version 1; this sedflow needs {SCHEMA_VERSION}: "
                                         "run 'sedflow store upgrade'"):
        open_store(store_url)
    result = CliRunner().invoke(main, ["--store", store_url, "case", "list"])
    assert result.exit_code == 8 and "sedflow store upgrade" in result.output
    upgraded = CliRunner().invoke(main, ["--store", store_url, "store", "upgrade"])
    assert upgraded.exit_code == 0 and f"schema version {SCHEMA_VERSION}" in upgraded.output
    with open_store(store_url) as store:  # and it works: claims (the v2 columns) are used by tick
        engine = Engine(store, definitions, clock=ManualClock("2026-02-02T09:00:00+00:00"), profile=SE_PROFILE)
        case = engine.start_case("supported_employment", "p-up", REFERRAL)
        assert engine.tick().timers_fired == 0 and store.schema_version() == SCHEMA_VERSION
        assert engine.show_case(case.case_id).status == "active"


def test_a_newer_store_is_refused(store):
    with store._write() as cur:
        cur.execute(store._sql("UPDATE sedflow_meta SET value = ? WHERE key = ?"), ("99", "schema_version"))
    for migrate in (False, True):
        with pytest.raises(StoreError, match="schema version 99, newer than this sedflow understands"):
            open_store(store.url, migrate=migrate)


def test_a_store_is_not_created_by_accident(tmp_path):
    with pytest.raises(StoreError, match="sedflow init"):
        open_store(tmp_path / "nothing.db")
    with pytest.raises(StoreError, match="unsupported store URL"):
        open_store("mysql://localhost/x")
    with pytest.raises(StoreError, match=r"cannot open PostgreSQL store postgresql://127\.0\.0\.1:1/x") as caught:
        open_store("postgresql://someone:secret@127.0.0.1:1/x")  # the password is not echoed
    assert "secret" not in str(caught.value) and isinstance(caught.value.__cause__, psycopg.OperationalError)


def test_claims_are_exclusive_until_released_or_expired(store, definitions):
    engine = Engine(store, definitions, clock=ManualClock("2026-02-02T09:00:00+00:00"), profile=SE_PROFILE)
    cases = [engine.start_case("supported_training", f"p-{n}").case_id for n in range(3)]
    now = datetime(2026, 2, 2, 9, tzinfo=UTC)
    assert store.claim_due(now, "w1", 10, timedelta(minutes=5)) == []  # nothing is due
    with store._write() as cur:
        cur.execute(store._sql("UPDATE cases SET next_due_at = ?"), (store._ts(now),))
    first = store.claim_due(now, "w1", 2, timedelta(minutes=5))
    second = store.claim_due(now, "w2", 10, timedelta(minutes=5))
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert store.claim_due(now, "w3", 10, timedelta(minutes=5)) == []  # all held
    # writing a case releases its claim; an unreleased claim lapses with its lease
    engine.complete_task(first[0], "st_agreement", {"st_purpose": "x", "st_period_start": "2026-02-02",
                                                    "st_assessment_end_date": "2026-06-01"})
    with store._write() as cur:
        cur.execute(store._sql("UPDATE cases SET next_due_at = ?"), (store._ts(now),))
    assert store.claim_due(now, "w3", 10, timedelta(minutes=5)) == [first[0]]
    assert sorted(store.claim_due(now + timedelta(minutes=5), "w4", 10, timedelta(minutes=5))) == sorted(cases)


AT = datetime(2026, 2, 2, 9, tzinfo=UTC)


def saved_case(store, **changes):
    """A case row on a saved definition version, with ``changes``."""
    with store.transaction() as tx:
        tx.save_definition("v1", "p", "P", {"p.bpmn": b"<definitions/>"}, AT)
    return replace(CaseRecord(case_id="c-1", participant="p-1", process_id="p", definition_version="v1",
                              status=CaseStatus.ACTIVE, started_at=AT, updated_at=AT, state=b"{}"), **changes)


def backend_error(error):
    """The backend's own name for the exception under a sedflow error (which must be the backend's)."""
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        return cause.sqlite_errorname
    assert isinstance(cause, psycopg.Error), repr(cause)
    return type(cause).__name__


def test_a_taken_case_id_is_a_conflict_caused_by_the_backend_error(store):
    case = saved_case(store)
    with store.transaction() as tx:
        tx.insert_case(case)
    with pytest.raises(RecordConflictError, match="conflicting write") as caught, store.transaction() as tx:
        tx.insert_case(replace(case, participant="p-2"))
    assert backend_error(caught.value) in ("SQLITE_CONSTRAINT_PRIMARYKEY", "UniqueViolation")
    assert store.get_case("c-1").participant == "p-1"


@pytest.mark.parametrize(("change", "names"), [
    ({"definition_version": "never-saved"}, ("SQLITE_CONSTRAINT_FOREIGNKEY", "ForeignKeyViolation")),
    ({"participant": None}, ("SQLITE_CONSTRAINT_NOTNULL", "NotNullViolation")),
], ids=["foreign key", "not null"])
def test_a_broken_constraint_is_a_store_failure_not_a_conflict(store, change, names):
    case = saved_case(store, **change)
    with pytest.raises(StoreError) as caught, store.transaction() as tx:
        tx.insert_case(case)
    assert not isinstance(caught.value, RecordConflictError) and backend_error(caught.value) in names
    assert str(caught.value).startswith(("SQLite store ", "PostgreSQL store ")) and store.list_cases() == []


def test_a_refused_postgresql_store_does_not_echo_its_password():
    """Every message naming a PostgreSQL store leaves the password out, not only a failed connect."""
    from conftest import POSTGRES
    if not POSTGRES:
        pytest.skip("PostgreSQL half: set SEDFLOW_TEST_POSTGRES=postgresql://user@host:port/db to run it "
                    "(.ci/run does)")
    scheme, rest = POSTGRES.split("://", 1)
    user, host = rest.split("@", 1)
    with pytest.raises(StoreError, match="sedflow init") as caught:  # trust auth ignores the password
        open_store(f"{scheme}://{user}:secret@{host}?schema=sedflow_never_created")
    assert "secret" not in str(caught.value)
