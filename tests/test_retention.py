"""Retention and erasure: ended cases lose their personal data when their time is up (or on request), and
every report still counts them as before. Both backends, through the API and the real CLI."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sedflow import (
    CaseStateError,
    CaseStatus,
    DefinitionError,
    Engine,
    ManualClock,
    TaskDataError,
    UnknownCaseError,
    open_store,
)
from sedflow.definitions import load_sources
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.simulation import run_scenario

from conftest import REFERRAL, TIMERS, walk
from sedflow_cli.main import main

SE = "supported_employment"


def cli(url, *args, code=0):
    result = CliRunner().invoke(main, ["--store", url, *map(str, args)])
    assert result.exit_code == code, result.output
    return result.output


def text_columns(store):
    """(table, column) of every column of every table in the store, to search for what must be gone; but the
    workflow state, which is compressed: an anonymised case's is checked to be empty instead."""
    if store.PARAM == "?":
        tables = [r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        columns = [(t, r[1]) for t in tables for r in store.query(f"PRAGMA table_info({t})")]
    else:
        columns = [tuple(r) for r in store.query("SELECT table_name, column_name FROM information_schema.columns "
                                                 "WHERE table_schema = current_schema()")]
    return [c for c in columns if c != ("cases", "state")]


def found(store, *needles):
    """Where any of ``needles`` occurs in any column of any row, as (table, column, needle): each column is
    read once, as text."""
    hits = []
    for table, column in text_columns(store):
        values = [str(r[0]) for r in store.query(f"SELECT CAST({column} AS TEXT) FROM {table}") if r[0] is not None]
        hits += [(table, column, n) for n in needles if any(n in v for v in values)]
    return hits


def ended_case(engine, participant, free_text):
    """An SE case of ``participant`` with ``free_text`` recorded in a task and in a correction, withdrawn."""
    case = engine.start_case(SE, participant, {**REFERRAL, "referral_unit": "Psykiatri"})
    walk(engine, case.case_id, [("first_contact", {}), ("information_dialogue", {})])
    engine.update_case_data(case.case_id, {"interests": free_text}, "rättelse", actor="coach-1")
    engine.clock.advance(days=3)
    return engine.withdraw_case(case.case_id, "MOVED", actor="coach-1")


# ------------------------------------------------------------------------------ historyTimeToLive


def test_history_time_to_live_is_read_as_camunda_reads_it():
    """Whole days, written 180 or P180D; anything else is refused at load, naming the process and line."""
    def ttl(value):
        return TIMERS.replace(b'camunda:historyTimeToLive="180"', f'camunda:historyTimeToLive="{value}"'.encode())

    assert load_sources({"t.bpmn": TIMERS}).get("camunda_timers").history_days == 180
    assert load_sources({"t.bpmn": ttl("P30D")}).get("camunda_timers").history_days == 30
    assert load_sources({"t.bpmn": TIMERS.replace(b' camunda:historyTimeToLive="180"', b"")}).get(
        "camunda_timers").history_days is None
    with pytest.raises(DefinitionError, match="historyTimeToLive 'P1M'.*not a number of days") as caught:
        load_sources({"t.bpmn": ttl("P1M")})
    assert (caught.value.problems[0].element, caught.value.problems[0].line) == ("camunda_timers", 3)


def test_purge_waits_for_the_time_to_live_from_the_day_the_case_ended(engine, definitions):
    assert definitions.get(SE).history_days == 180
    ended = ended_case(engine, "p-ttl", "snickeri")
    running = engine.start_case(SE, "p-running", REFERRAL)
    day = ended.ended_at
    assert engine.purge(day + timedelta(days=179, hours=23)).cases == ()
    assert engine.purge((day + timedelta(days=180)).replace(tzinfo=None), dry_run=True).cases == (ended.case_id,)
    assert engine.purge(day + timedelta(days=180), dry_run=True).cases == (ended.case_id,)
    assert engine.show_case(ended.case_id).participant == "p-ttl"  # a dry run changes nothing
    assert engine.store.erasures() == []
    assert engine.purge(day + timedelta(days=180), actor="dpo-1").cases == (ended.case_id,)
    with pytest.raises(UnknownCaseError):
        engine.show_case(ended.case_id)
    assert engine.show_case(running.case_id).participant == "p-running"  # running cases are never purged
    [record] = engine.store.erasures()
    assert (record.kind, record.actor, record.cases, record.at) == ("purge", "dpo-1", 1, engine.clock.now())
    assert engine.purge(day + timedelta(days=3650)).cases == ()  # nothing is purged twice


def test_a_process_without_a_time_to_live_keeps_the_stores_default(store, clock):
    untimed = load_sources({"t.bpmn": TIMERS.replace(b' camunda:historyTimeToLive="180"', b"")})
    engine = Engine(store, untimed, clock=clock, profile=SE_PROFILE)
    case = engine.cancel_case(engine.start_case("camunda_timers", "p-untimed").case_id, "REGISTRATION_ERROR")
    later = case.ended_at + timedelta(days=10000)
    assert engine.default_retention() is None and engine.purge(later).cases == ()  # no default: kept for ever
    url = store.url
    assert cli(url, "store", "retention").strip() == "kept for ever"
    assert cli(url, "store", "retention", "P30D").strip() == "30 days after a case ends"
    assert "days 'P1M' is not a number of days" in cli(url, "store", "retention", "P1M", code=5)
    assert engine.default_retention() == 30
    assert engine.purge(case.ended_at + timedelta(days=29)).cases == ()
    assert engine.purge(case.ended_at + timedelta(days=30)).cases == (case.case_id,)
    assert json.loads(cli(url, "store", "retention", "--clear", "--json")) == {"retention_days": None}


# ------------------------------------------------------------------------------ the Nätkraft scenario


@pytest.fixture(params=["sqlite", "postgresql"])
def natkraft(request, tmp_path, definitions):
    from conftest import fresh_store_url
    urls = fresh_store_url(request.param, tmp_path)
    url = next(urls)
    with open_store(url, create=True) as store:
        engine = Engine(store, definitions, clock=ManualClock("2000-01-01T00:00:00+00:00"), profile=SE_PROFILE)
        result = run_scenario(engine, "natkraft")
    yield url, result
    next(urls, None)


def test_purging_every_natkraft_case_keeps_every_report_and_no_participant(natkraft):
    """Every seed figure (every table of ``report all``) is the same before and after purging every ended case
    (the scenario leaves some running, as the seed report has clients still in the programme), and no
    participant key, case id or journal data of the purged is left."""
    url, result = natkraft
    period = ("--from", result.period[0], "--to", result.period[1])
    before = json.loads(cli(url, "report", "all", "--format", "json", "--unsuppressed", "--rule", result.rule,
                            *period))
    with open_store(url) as store:
        every = store.list_cases()
    running = [c for c in every if c.status in (CaseStatus.ACTIVE, CaseStatus.SUSPENDED)]
    cases = [c for c in every if c not in running]
    assert len(cases) > 3 * len(running) > 0
    keys, ids = {c.participant for c in cases}, {c.case_id for c in cases}
    dry = json.loads(cli(url, "store", "purge", "--dry-run", "--now", "2100-01-01T00:00:00Z", "--json"))
    assert set(dry["cases"]) == ids and dry["dry_run"]
    out = cli(url, "store", "purge", "--now", "2100-01-01T00:00:00Z", "--actor", "dpo-1")
    assert out.splitlines()[-1] == f"{len(ids)} case(s) anonymised"
    after = json.loads(cli(url, "report", "all", "--format", "json", "--unsuppressed", "--rule", result.rule,
                           *period))
    assert after == before
    with open_store(url) as store:
        assert [store.get_case(c.case_id, with_state=False) for c in running] == running
        left = [c for c in store.list_cases() if c.case_id not in {r.case_id for r in running}]
        assert len(left) == len(cases) and not {c.case_id for c in left} & ids
        assert not {c.participant for c in left} & keys
        assert all(c.participant == f"anon-{c.case_id}" for c in left)
        assert store.query("SELECT count(*) FROM journal j JOIN cases c ON c.case_id = j.case_id "
                           "WHERE c.purged_at IS NOT NULL AND CAST(j.data AS TEXT) <> '{}'")[0][0] == 0
        assert store.query("SELECT count(*) FROM cases WHERE (length(state) = 0) <> (purged_at IS NOT NULL)")[0][0] == 0
        kept = SE_PROFILE.reports.kept_fields()
        assert all(set(c.data) <= kept for c in left)
        assert found(store, *keys, *ids) == []
    assert cli(url, "store", "check").splitlines() == ["integrity: ok", "consistency: ok", "cases: ok"]
    assert json.loads(cli(url, "store", "purge", "--now", "2100-01-01T00:00:00Z", "--json"))["cases"] == []


# ------------------------------------------------------------------------------ erasure


def test_erasing_a_participant_leaves_nothing_of_them_in_any_table(engine):
    other = ended_case(engine, "p-other", "vävning")
    ended = ended_case(engine, "p-erase-q7", "snickeri-zx9")
    before = engine.show_case(ended.case_id)
    assert before.data["interests"] == "snickeri-zx9"
    out = cli(engine.store.url, "participant", "erase", "p-erase-q7", "--reason", "begäran art. 17",
              "--actor", "dpo-1")
    assert out.strip() == "1 case(s) anonymised"
    assert found(engine.store, "p-erase-q7", ended.case_id, "snickeri-zx9") == []
    assert found(engine.store, "vävning") != []  # another participant's data stays
    assert engine.show_case(other.case_id).participant == "p-other"
    [anon] = [c for c in engine.list_cases() if c.participant.startswith("anon-")]
    assert (anon.status, anon.outcome, anon.end_reason, anon.milestones) == (
        before.status, before.outcome, before.end_reason, before.milestones)
    assert anon.data == {k: v for k, v in before.data.items() if k in SE_PROFILE.reports.kept_fields()}
    assert [e.kind for e in engine.case_history(anon.case_id)] == [e.kind for e in engine.case_history(
        other.case_id)]  # the same steps, journaled
    assert all(e.data == {} for e in engine.case_history(anon.case_id))
    assert engine.store.get_case(anon.case_id).state == b""
    with pytest.raises(CaseStateError, match="anonymised"):
        engine.variables(anon.case_id)
    [record] = engine.store.erasures()
    assert (record.kind, record.actor, record.reason, record.cases) == ("erasure", "dpo-1", "begäran art. 17", 1)
    assert "no case of participant 'p-erase-q7'" in cli(engine.store.url, "participant", "erase", "p-erase-q7",
                                                        "--reason", "igen", code=4)


def test_erasure_refuses_a_running_case_and_a_reason_that_names_the_participant(engine):
    ended_case(engine, "p-both", "keramik")
    engine.clock.advance(days=1)
    running = engine.start_case(SE, "p-both", REFERRAL)
    with pytest.raises(CaseStateError, match=f"running cases \\({running.case_id}\\).*nothing was erased"):
        engine.erase_participant("p-both", "begäran")
    with pytest.raises(TaskDataError, match="names the participant") as caught:
        engine.erase_participant("p-both", "begäran från p-both")
    assert caught.value.field == "reason"
    assert "withdraw or case cancel" in cli(engine.store.url, "participant", "erase", "p-both", "--reason", "x",
                                            code=6)
    assert found(engine.store, "keramik") != [] and engine.store.erasures() == []  # nothing was written
    engine.withdraw_case(running.case_id, "MOVED")
    assert len(engine.erase_participant("p-both", "begäran").cases) == 2
    assert found(engine.store, "p-both") == [] and found(engine.store, "keramik") == []


def test_an_older_store_is_upgraded_to_record_erasures(store_url, definitions, clock):
    from test_store import at_version
    at_version(store_url, 10)
    with open_store(store_url, migrate=True) as store:
        engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
        case = ended_case(engine, "p-old", "data")
        assert engine.purge(case.ended_at + timedelta(days=180)).cases == (case.case_id,)
        assert [e.kind for e in store.erasures()] == ["purge"]
