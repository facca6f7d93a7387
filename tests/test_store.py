"""Store behaviour on both backends: schema versions and upgrades, claims, URLs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from conftest import REFERRAL

from sedflow import Engine, ManualClock, StoreError, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.store import SCHEMA_VERSION
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
    with pytest.raises(StoreError, match=r"cannot open PostgreSQL store postgresql://127\.0\.0\.1:1/x"):
        open_store("postgresql://someone:secret@127.0.0.1:1/x")  # the password is not echoed


def test_claims_are_exclusive_until_released_or_expired(store, definitions):
    engine = Engine(store, definitions, clock=ManualClock("2026-02-02T09:00:00+00:00"), profile=SE_PROFILE)
    cases = [engine.start_case("supported_training", f"p-{n}").case_id for n in range(3)]
    now = datetime(2026, 2, 2, 9, tzinfo=timezone.utc)
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
