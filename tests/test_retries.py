"""A step a worker runs that keeps failing (issue 12, incidents): ``tick`` backs the case off, then puts it
in incident with the last error (journaled, in the same transaction), never retrying it in a tight loop;
``incident retry`` and ``incident resolve`` close it, journaled. Real stores on both backends, the real
CLI through click's runner.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sedflow import (
    CaseStateError,
    Engine,
    EngineError,
    IncidentKind,
    ManualClock,
    RetryPolicy,
    TaskDataError,
    open_store,
)
from sedflow.definitions import load_sources

from sedflow_cli.main import main

#: A case waits a day, then a gateway reads ``score``, which the start form may leave unset: the timer's
#: step then fails at the gateway until someone records a score.
SCORED = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://sedflow.se/test">
<bpmn:process id="scored" isExecutable="true">
<bpmn:startEvent id="s"><bpmn:extensionElements><camunda:formData>
  <camunda:formField id="score" type="long" /></camunda:formData></bpmn:extensionElements></bpmn:startEvent>
<bpmn:intermediateCatchEvent id="a_day" name="En dag"><bpmn:timerEventDefinition>
  <bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:exclusiveGateway id="high" name="Hog poang?" default="low_flow" />
<bpmn:userTask id="follow_up" name="Folj upp" />
<bpmn:userTask id="call" name="Ring" />
<bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" />
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a_day" />
<bpmn:sequenceFlow id="f2" sourceRef="a_day" targetRef="high" />
<bpmn:sequenceFlow id="high_flow" sourceRef="high" targetRef="follow_up">
  <bpmn:conditionExpression>${score &gt; 3}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="low_flow" sourceRef="high" targetRef="call" />
<bpmn:sequenceFlow id="f5" sourceRef="follow_up" targetRef="e1" />
<bpmn:sequenceFlow id="f6" sourceRef="call" targetRef="e2" />
</bpmn:process>
</bpmn:definitions>
"""

POLICY = RetryPolicy(attempts=3, first=timedelta(minutes=1), factor=10)


@pytest.fixture
def clock():
    return ManualClock("2026-02-02T08:00:00Z")


@pytest.fixture
def engine(store, clock):
    return Engine(store, load_sources({"scored.bpmn": SCORED}), clock=clock)


def kinds(engine, case_id):
    return [e.kind for e in engine.case_history(case_id)]


def fail_to_incident(engine, clock):
    """A case whose timer's step fails: three attempts, backed off 1 and 10 minutes, then the incident."""
    case = engine.start_case("scored", "p-1")
    clock.advance(days=1)
    attempts = []
    for wait in (timedelta(0), timedelta(minutes=1), timedelta(minutes=10)):
        clock.advance(seconds=wait.total_seconds())
        attempts.append(engine.tick(retry=POLICY))
    return case, attempts


def test_a_failing_timer_step_is_backed_off_then_put_in_incident(engine, clock):
    case = engine.start_case("scored", "p-1")
    clock.advance(days=1)
    first = engine.tick(retry=POLICY)
    assert list(first.failed) == [case.case_id] and "'high'" in first.failed[case.case_id]
    assert (first.fired, first.stalled, first.incidents) == ({}, [], 0)
    assert engine.store.get_case(case.case_id).failures == 1
    # Within its backoff the case is not tried again, however often tick runs.
    for _ in range(5):
        assert engine.tick(retry=POLICY).failed == {}
    assert engine.store.count_due(clock.now()) == 0
    clock.advance(minutes=1)
    assert list(engine.tick(retry=POLICY).failed) == [case.case_id]
    clock.advance(minutes=9)
    assert engine.tick(retry=POLICY).failed == {}  # the second backoff is ten minutes
    clock.advance(minutes=1)
    third = engine.tick(retry=POLICY)
    assert (list(third.failed), third.stalled, third.incidents) == ([case.case_id], [case.case_id], 1)

    shown = engine.show_case(case.case_id)
    assert (shown.status, shown.incident.kind, shown.incident.element_id) == ("active", "failed", "high")
    assert shown.incident.since == clock.now()
    [opened] = [e for e in engine.case_history(case.case_id) if e.kind == "incident_opened"]
    assert (opened.element_id, opened.element_type, opened.element_name, opened.actor) == \
        ("high", "exclusiveGateway", "Hog poang?", "sedflow tick")
    assert opened.data["kind"] == "failed" and opened.data["retries"] == 3 and "score" in opened.data["error"]
    # No step was written by the failures: the case still waits at its timer, and nothing but the incident
    # was journaled after the timer started waiting.
    assert kinds(engine, case.case_id)[-2:] == ["timer_waiting", "incident_opened"]
    [incident] = engine.incidents()
    assert (incident.case_id, incident.kind, incident.retries, incident.element_name) == \
        (case.case_id, IncidentKind.FAILED, 3, "Hog poang?")
    # In incident, the case is left alone by every later tick: no tight loop, no fourth attempt.
    for days in (1, 30):
        clock.advance(days=days)
        ticked = engine.tick(retry=POLICY)
        assert (ticked.failed, ticked.stalled, ticked.incidents) == ({}, [], 1)
    assert engine.store.get_case(case.case_id).failures == 3
    assert [t.kind for t in engine.due()][:1] == ["incident"]


def test_a_correction_then_a_retry_resolves_the_incident(engine, clock):
    case, _ = fail_to_incident(engine, clock)
    with pytest.raises(EngineError, match="the retry failed too"):
        engine.retry_incident(case.case_id, actor="admin")
    still = engine.incidents(case_id=case.case_id)
    assert [(i.kind, i.retries) for i in still] == [("failed", 4)]

    # A correction is a step, but not a retry: the incident stays, and tick still leaves the case alone.
    corrected = engine.update_case_data(case.case_id, {"score": 5}, "poängen saknades", actor="admin")
    assert corrected.incident is not None and corrected.incident.kind == "failed"
    assert engine.tick(retry=POLICY).fired == {}
    retried = engine.retry_incident(case.case_id, actor="admin")
    assert (retried.incident, [t.element_id for t in retried.tasks]) == (None, ["follow_up"])
    history = engine.case_history(case.case_id)
    [resolved] = [e for e in history if e.kind == "incident_resolved"]
    assert (resolved.actor, resolved.data["reason"]) == ("admin", "retried by admin")
    assert [(e.kind, e.element_id) for e in history][-5:] == [
        ("case_data_corrected", None), ("timer_fired", "a_day"), ("gateway_taken", "high"),
        ("task_ready", "follow_up"), ("incident_resolved", "high")]
    assert engine.store.get_case(case.case_id).failures == 0
    assert engine.incidents() == []


def test_resolving_by_hand_lets_tick_try_again_with_fresh_attempts(engine, clock):
    case, _ = fail_to_incident(engine, clock)
    with pytest.raises(TaskDataError, match="note"):
        engine.resolve_incident(case.case_id, "", actor="admin")
    revision = engine.store.get_case(case.case_id).revision
    resolved = engine.resolve_incident(case.case_id, "regeln rättad", actor="admin")
    assert resolved.incident is None
    record = engine.store.get_case(case.case_id)
    assert (record.failures, record.revision) == (0, revision + 1)
    [entry] = [e for e in engine.case_history(case.case_id) if e.kind == "incident_resolved"]
    assert entry.data["reason"] == "resolved by admin: regeln rättad"
    # Still failing: tick tries again at once, and the backoff starts afresh.
    again = engine.tick(retry=POLICY)
    assert list(again.failed) == [case.case_id] and again.stalled == []
    assert engine.store.get_case(case.case_id).failures == 1


def test_incident_commands_refuse_what_they_cannot_do_and_write_nothing(engine, clock, store):
    fine = engine.start_case("scored", "p-2", {"score": 1})
    for call in (lambda: engine.retry_incident(fine.case_id), lambda: engine.resolve_incident(fine.case_id, "x")):
        with pytest.raises(CaseStateError, match="not in incident"):
            call()
    assert engine.store.get_case(fine.case_id).revision == fine.revision


def test_a_stalled_case_is_not_resolved_by_hand_and_its_retry_says_it_is_still_stuck(tmp_path):
    from sedflow.programmes.se import PROFILE as SE_PROFILE

    from test_incidents import UNBALANCED, stall  # the unbalanced join of the no-silent-stall tests
    store = open_store(tmp_path / "stuck.db", create=True)
    engine = Engine(store, load_sources({"unbalanced_join.bpmn": UNBALANCED}, profile=SE_PROFILE),
                    clock=ManualClock("2026-02-02T08:00:00Z"), profile=SE_PROFILE)
    case = stall(engine)
    revision = store.get_case(case.case_id).revision
    with pytest.raises(CaseStateError, match="closes when a step gives it something to wait for"):
        engine.resolve_incident(case.case_id, "tried")
    with pytest.raises(CaseStateError, match="still stuck"):
        engine.retry_incident(case.case_id)
    assert store.get_case(case.case_id).revision == revision
    assert [(i.kind, i.retries, i.element_id) for i in engine.incidents()] == [("stalled", 0, "join")]


def test_a_failing_case_does_not_hold_up_the_others(engine, clock):
    failing = engine.start_case("scored", "p-1")
    fine = engine.start_case("scored", "p-2", {"score": 9})
    clock.advance(days=1)
    ticked = engine.tick(retry=POLICY)
    assert (list(ticked.failed), ticked.fired) == ([failing.case_id], {fine.case_id: ["a_day"]})


def test_the_retry_policy_refuses_nonsense():
    for bad in ({"attempts": 0}, {"factor": 0}, {"first": timedelta(seconds=-1)}):
        with pytest.raises(ValueError):
            RetryPolicy(**bad)
    assert [RetryPolicy().backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=10), None]


def test_the_cli_lists_retries_and_resolves_incidents(store_url, tmp_path):
    diagrams = tmp_path / "processes"
    diagrams.mkdir()
    (diagrams / "scored.bpmn").write_bytes(SCORED)
    runner = CliRunner()

    def cli(*args, ok=True):
        result = runner.invoke(main, ["--store", store_url, "--processes", str(diagrams), *args])
        assert (result.exit_code == 0) == ok, result.output
        return result

    cli("init")
    started = json.loads(cli("case", "start", "scored", "--participant", "p-1", "--json").output)
    case_id = started["case_id"]
    cli("case", "start", "scored", "--participant", "p-2", "--set", "score=1")
    for at in ("2030-01-01T09:00:00Z", "2030-01-01T09:01:00Z", "2030-01-01T09:11:00Z"):  # the cases start now
        cli("tick", "--now", at, ok=False)  # exit 9: the case failed
    listed = cli("incidents").output
    assert case_id in listed and "failed" in listed and "high" in listed and "3" in listed
    assert [i["case_id"] for i in json.loads(cli("incidents", "--json").output)] == [case_id]
    assert cli("incidents", "--process", "nothing_like_it").output.strip().endswith("no open incidents")
    assert "INCIDENT" in cli("case", "show", case_id).output
    failed = cli("incident", "retry", case_id, "--now", "2030-01-01T10:00:00Z", ok=False)
    assert failed.exit_code == 9 and "the retry failed too" in failed.output
    cli("case", "set", case_id, "--set", "score=2", "--reason", "poäng")
    out = cli("incident", "resolve", case_id, "--note", "poäng registrerad").output
    assert "resolved" in out
    assert cli("incidents", "--json").output.strip() == "[]"
    missing = cli("incident", "resolve", case_id, "--note", "again", ok=False)
    assert missing.exit_code == 6 and "not in incident" in missing.output
    assert cli("incident", "retry", "no-such-case", ok=False).exit_code == 4


def test_the_html_report_shows_open_incidents_by_process_element_and_kind(engine, clock, store, tmp_path):
    from sedflow import GENERIC
    from sedflow.reports import bundle
    from sedflow.reports.catalogue import Reports
    from sedflow.reports.sql import ReportFilter

    fail_to_incident(engine, clock)
    reports = Reports(store, engine.known_definitions(), profile=GENERIC)
    table = reports.open_incidents()
    assert table.rows == (("scored", "Hog poang?", "Steget misslyckas (försök slut)", 1, "2026-02-03 08:11"),)
    assert reports.open_incidents(ReportFilter(process_id="other")).rows == ()
    pytest.importorskip("matplotlib", reason="the HTML report needs the [reports] extra")
    html = bundle.write_html_report([], reports, ReportFilter(), tmp_path, tables=[])  # no layout: no heatmap
    text = html.read_text(encoding="utf-8")
    assert "Öppna incidenter" in text and "Hog poang?" in text and "Steget misslyckas" in text


def test_upgrading_a_version_7_store_keeps_its_open_incidents_as_stalled(store_url, tmp_path):
    from sedflow.programmes.se import PROFILE as SE_PROFILE

    from test_incidents import UNBALANCED, stall
    definitions = load_sources({"unbalanced_join.bpmn": UNBALANCED}, profile=SE_PROFILE)
    with open_store(store_url, create=True) as store:
        case = stall(Engine(store, definitions, clock=ManualClock("2026-02-02T08:00:00Z"), profile=SE_PROFILE))
        with store._write() as cur:  # back to version 7: without what versions 8 to 12 added
            for table in ("erasures", "external_tasks", "signal_deliveries", "signals", "signal_waits"):
                cur.execute(f"DROP TABLE {table}")
            for column in ("purged_at", "incident_kind", "failures", "retry_at"):
                cur.execute(f"ALTER TABLE cases DROP COLUMN {column}")
            cur.execute(store._sql("UPDATE sedflow_meta SET value = ? WHERE key = ?"), ("7", "schema_version"))
    with open_store(store_url, migrate=True) as store:
        record = store.get_case(case.case_id)
        assert (record.incident.kind, record.incident.element_id, record.failures) == ("stalled", "join", 0)
