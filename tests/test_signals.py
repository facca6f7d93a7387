"""Signals across cases: ``Engine.broadcast_signal`` and signal throws in one case reaching every other.

Every catch kind (intermediate, interrupting and non-interrupting boundary, interrupting and
non-interrupting event sub-process start, event-based gateway branch, signal start event) receives a
broadcast and a throw from another case, on both backends. A throw records its receivers with the
throwing step and does not wait for them: ``tick`` delivers, each receiver in its own transaction, and
a worker killed in the middle of a fan-out loses and doubles nothing. The diagrams are in
``tests/diagrams/signals/``, one process per file.
"""

from __future__ import annotations

import json
import signal as os_signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sedflow import (
    CaseStateError,
    DefinitionError,
    Engine,
    JournalKind,
    ManualClock,
    NoMatchingCaseError,
    TaskDataError,
    load_directory,
    open_store,
)
from sedflow.definitions import load_sources

from sedflow_cli.main import main

SIGNALS = Path(__file__).parent / "diagrams" / "signals"
DEFS = load_directory(SIGNALS)
NOW = "2026-03-02T09:00:00+00:00"

#: Each catching process, and the user tasks its case has before and after signal 'go' reaches it.
CATCHERS = {
    "catch_intermediate": ([], ["ci_after"]),
    "catch_boundary": (["cb_work"], ["cb_after"]),
    "catch_boundary_beside": (["cn_work"], ["cn_after", "cn_work"]),
    "catch_event_sub": (["ce_work"], ["ce_after"]),
    "catch_event_sub_beside": (["cs_work"], ["cs_after", "cs_work"]),
    "catch_gateway": ([], ["cg_after"]),
}
#: Where each catching process catches it (the element its ``signal_received`` row names).
CAUGHT_AT = {"catch_intermediate": "ci_wait", "catch_boundary": "cb_go", "catch_boundary_beside": "cn_go",
             "catch_event_sub": "ce_go", "catch_event_sub_beside": "cs_go", "catch_gateway": "cg_go"}


@pytest.fixture
def engine(store):
    return Engine(store, DEFS, clock=ManualClock(NOW))


def tasks(engine, case_id):
    return sorted(t.element_id for t in engine.list_tasks(case_id=case_id))


def received(engine, case_id):
    return [e for e in engine.case_history(case_id) if e.kind == JournalKind.SIGNAL_RECEIVED]


def start_catchers(engine):
    cases = {pid: engine.start_case(pid, f"p-{pid}").case_id for pid in CATCHERS}
    for pid, case_id in cases.items():
        assert tasks(engine, case_id) == CATCHERS[pid][0], pid
        assert engine.show_case(case_id).incident is None, pid  # a signal wait is a live wait
    return cases


def assert_every_catch_received(engine, cases, source, variables):
    for pid, case_id in cases.items():
        assert tasks(engine, case_id) == CATCHERS[pid][1], pid
        [row] = received(engine, case_id)
        assert (row.element_id, row.data) == (CAUGHT_AT[pid], {"signal": "go", "source": source,
                                                                 "variables": variables}), pid
    # the event-based gateway's other branch is withdrawn: no timer is left
    assert [t.kind for t in engine.due(within=timedelta(days=60), case_id=cases["catch_gateway"])] == ["task"]


def test_a_broadcast_reaches_every_kind_of_catch_and_starts_a_case_for_the_participant(engine):
    cases = start_catchers(engine)
    result = engine.broadcast_signal("go", {"decision": "granted", "amount": 3}, participant="p-new", actor="fk")
    assert sorted(result.delivered) == sorted(cases.values())
    assert (result.skipped, result.failed, result.pending, result.not_started) == ({}, {}, [], [])
    assert_every_catch_received(engine, cases, "broadcast", {"decision": "granted", "amount": 3})
    assert engine.variables(cases["catch_intermediate"], "ci_after")["amount"] == 3  # joins the catching path
    [started] = result.started
    new = engine.show_case(started)
    assert (new.process_id, new.participant, tasks(engine, started)) == ("start_on_go", "p-new", ["so_after"])
    assert received(engine, started)[0].actor == "fk"
    assert engine.variables(started, "so_after")["decision"] == "granted"


def test_a_broadcast_without_a_participant_starts_nothing_and_says_so(engine):
    case_id = engine.start_case("catch_intermediate", "p-1").case_id
    result = engine.broadcast_signal("go")
    assert (result.delivered, result.started, result.not_started) == ([case_id], [], ["start_on_go"])
    assert [c.process_id for c in engine.list_cases()] == ["catch_intermediate"]


@pytest.mark.parametrize("thrower, work", [("throw_intermediate", "ti_work"), ("throw_end", "te_work")])
def test_a_throw_in_one_case_reaches_every_other_case_through_tick(engine, thrower, work):
    cases = start_catchers(engine)
    throwing = engine.start_case(thrower, "p-thrower", variables={"secret": "x"})
    after = engine.complete_task(throwing.case_id, work)
    assert after.status == ("completed" if thrower == "throw_end" else "active")
    # The throwing step committed without waiting: every receiver is pending, none has moved.
    pending = engine.store.signal_deliveries()
    assert sorted(d.receiver for d in pending) == sorted([*cases.values(), "start_on_go"])
    assert {d.signal.source for d in pending} == {throwing.case_id}
    assert all(received(engine, c) == [] for c in cases.values())
    result = engine.tick()
    assert result.signals == len(cases) + 1
    assert_every_catch_received(engine, cases, throwing.case_id, {})  # the thrower's variables stay with it
    [started] = engine.list_cases(process_id="start_on_go")
    assert (started.participant, tasks(engine, started.case_id)) == ("p-thrower", ["so_after"])
    assert engine.store.signal_deliveries() == []
    assert engine.tick().signals == 0  # nothing twice


def test_the_throwing_case_catches_its_own_signal_in_the_throwing_step_and_is_no_receiver(store):
    """Camunda 7 delivers a signal to the thrower's own subscriptions too: here in the throwing step."""
    source = (b'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
              b'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">\n'
              b'<bpmn:signal id="s" name="go" />\n<bpmn:process id="both" isExecutable="true">\n'
              b'<bpmn:startEvent id="st" />\n<bpmn:parallelGateway id="fork" />\n<bpmn:userTask id="work" />\n'
              b'<bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="s" />'
              b'</bpmn:intermediateThrowEvent>\n<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition '
              b'signalRef="s" /></bpmn:intermediateCatchEvent>\n<bpmn:userTask id="after" />\n'
              b'<bpmn:endEvent id="e1" />\n<bpmn:endEvent id="e2" />\n'
              b'<bpmn:sequenceFlow id="f1" sourceRef="st" targetRef="fork" />\n'
              b'<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="work" />\n'
              b'<bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="wait" />\n'
              b'<bpmn:sequenceFlow id="f4" sourceRef="work" targetRef="throw" />\n'
              b'<bpmn:sequenceFlow id="f5" sourceRef="throw" targetRef="e1" />\n'
              b'<bpmn:sequenceFlow id="f6" sourceRef="wait" targetRef="after" />\n'
              b'<bpmn:sequenceFlow id="f7" sourceRef="after" targetRef="e2" />\n</bpmn:process>\n</bpmn:definitions>\n')
    engine = Engine(store, load_sources({"both.bpmn": source}), clock=ManualClock(NOW))
    one, other = engine.start_case("both", "p-1"), engine.start_case("both", "p-2")
    engine.complete_task(one.case_id, "work")
    assert tasks(engine, one.case_id) == ["after"]  # its own catch, in the same step
    [delivery] = engine.store.signal_deliveries()
    assert delivery.receiver == other.case_id  # the thrower is not among the receivers
    engine.tick()
    assert tasks(engine, other.case_id) == ["after", "work"]
    assert received(engine, one.case_id) == [] and len(received(engine, other.case_id)) == 1


def test_a_signal_a_delivery_throws_is_delivered_in_the_same_run(engine):
    relay = engine.start_case("relay_go", "p-1").case_id
    waiting = engine.start_case("catch_relayed", "p-2").case_id
    result = engine.broadcast_signal("go")
    assert result.delivered == [relay] and engine.show_case(relay).status == "completed"
    assert tasks(engine, waiting) == ["cr_after"]  # before the broadcast returned
    [row] = received(engine, waiting)
    assert row.data == {"signal": "relayed", "source": relay, "variables": {}}


def test_a_case_that_moved_on_before_delivery_is_skipped_and_that_is_recorded(engine):
    waiting = engine.start_case("catch_boundary", "p-1").case_id
    ended = engine.start_case("catch_boundary", "p-2").case_id
    timed_out = engine.start_case("catch_gateway", "p-3").case_id
    thrower = engine.start_case("throw_intermediate", "p-4").case_id
    engine.complete_task(thrower, "ti_work")  # all three wait now: three pending deliveries
    [seq] = {d.signal.seq for d in engine.store.signal_deliveries()}
    engine.complete_task(ended, "cb_work")    # ... then one ends,
    engine.clock.advance(timedelta(days=31))  # and the other's gateway takes its timer branch
    revisions = {c: engine.store.get_case(c).revision for c in (ended, timed_out)}
    engine.tick()
    states = {d.receiver: (d.state, d.reason) for d in engine.store.signal_deliveries(seq)}
    assert states[waiting] == ("delivered", None)
    assert states[ended] == ("skipped", "the case is completed")
    assert states[timed_out] == ("skipped", "the case no longer waits for signal 'go'")
    assert tasks(engine, timed_out) == ["cg_late"]
    for case_id in (ended, timed_out):
        assert engine.store.get_case(case_id).revision == revisions[case_id] + (case_id == timed_out)
        assert received(engine, case_id) == []


def test_a_suspended_case_is_skipped(engine):
    case_id = engine.start_case("catch_intermediate", "p-1").case_id
    engine.suspend_case(case_id, "on leave")
    result = engine.broadcast_signal("go")
    assert result.skipped == {case_id: "the case is suspended"} and result.delivered == []


def test_one_receivers_failing_step_does_not_undo_anothers(engine):
    good = engine.start_case("catch_intermediate", "p-1").case_id
    bad = engine.start_case("catch_then_fail", "p-2").case_id
    before = engine.store.get_case(bad)
    result = engine.broadcast_signal("go")
    assert result.delivered == [good] and tasks(engine, good) == ["ci_after"]
    assert list(result.failed) == [bad] and "undeclared_count" in result.failed[bad]
    after = engine.store.get_case(bad)
    assert (after.revision, after.state, received(engine, bad)) == (before.revision, before.state, [])
    assert engine.tick().signals == 0  # a failed delivery is recorded, not retried in a loop


@pytest.mark.parametrize("data, field", [({"1bad": 1}, "1bad"), ({"x": {1, 2}}, "x"), ({"x": "y" * 70_000}, "x")])
def test_bad_data_writes_nothing(engine, data, field):
    case_id = engine.start_case("catch_intermediate", "p-1").case_id
    revision = engine.store.get_case(case_id).revision
    with pytest.raises(TaskDataError) as refused:
        engine.broadcast_signal("go", data, participant="p-2")
    assert refused.value.field == field and refused.value.element == "signal go"
    assert engine.store.get_case(case_id).revision == revision
    assert engine.store._query("SELECT count(*) FROM signals")[0][0] == 0
    assert len(engine.list_cases()) == 1


def test_a_signal_nothing_catches_and_a_bad_participant_are_refused(engine):
    with pytest.raises(NoMatchingCaseError, match="signal 'gone': no process catches it .signals caught: go, relayed."):
        engine.broadcast_signal("gone")
    with pytest.raises(TaskDataError, match="pseudonymous key"):
        engine.broadcast_signal("go", participant="19800101-1234 ")
    assert engine.store._query("SELECT count(*) FROM signals")[0][0] == 0


def test_a_process_that_starts_on_a_signal_is_not_started_by_start_case(engine):
    with pytest.raises(CaseStateError, match="starts when signal 'go' is thrown"):
        engine.start_case("start_on_go", "p-1")


def test_camunda_in_on_a_signal_throw_is_refused_saying_why():
    """Camunda 7 passes the variables camunda:in maps from the thrower to every catching instance; sedflow
    does not yet, so it refuses the mapping at load rather than drop it."""
    text = (SIGNALS / "throw_intermediate.bpmn").read_text()
    throw = '<bpmn:intermediateThrowEvent id="ti_throw"><bpmn:signalEventDefinition signalRef="sig_go"'
    mapped = text.replace(f"{throw} />", f"{throw}>"
                          '<bpmn:extensionElements><camunda:in source="a" target="b" /></bpmn:extensionElements>'
                          '</bpmn:signalEventDefinition>')
    assert mapped != text
    with pytest.raises(DefinitionError) as refused:
        load_sources({"throw.bpmn": mapped.encode()})
    [problem] = refused.value.problems
    assert (problem.element, problem.file) == ("ti_throw", "throw.bpmn")
    assert "camunda:in on signal throw 'ti_throw' is refused" in str(problem)


def test_the_cli_broadcasts_and_reports(store_url):
    runner = CliRunner()
    base = ["--store", store_url, "--processes", str(SIGNALS)]
    assert runner.invoke(main, [*base, "init"]).exit_code == 0
    started = runner.invoke(main, [*base, "case", "start", "catch_intermediate", "--participant", "p-1", "--json"])
    assert started.exit_code == 0, started.output
    result = runner.invoke(main, [*base, "signal", "go", "--set", "amount=4", "--participant", "p-2", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (len(out["delivered"]), len(out["started"]), out["not_started"]) == (1, 1, [])
    refused = runner.invoke(main, [*base, "signal", "nothing"])
    assert refused.exit_code != 0 and "signal 'nothing': no process catches it" in refused.output
    bad = runner.invoke(main, [*base, "signal", "go", "--set", "1x=2"])
    assert bad.exit_code != 0 and "1x" in bad.output


def test_a_fan_out_killed_midway_is_completed_by_tick_each_receiver_exactly_once(store_url):
    receivers = 120
    with open_store(store_url, create=True) as store:
        engine = Engine(store, DEFS, clock=ManualClock(NOW))
        ids = engine.import_cases([{"participant": f"w-{n:04d}"} for n in range(receivers)],
                                  process_id="catch_intermediate").started
        thrower = engine.start_case("throw_intermediate", "p-thrower").case_id
        engine.complete_task(thrower, "ti_work")
        [seq] = {d.signal.seq for d in store.signal_deliveries()}

        def delivered():
            return sum(d.state == "delivered" for d in store.signal_deliveries(seq))

        assert delivered() == 0
        proc = subprocess.Popen([sys.executable, "-m", "sedflow_cli.main", "--store", store_url, "--processes",
                                 str(SIGNALS), "tick", "--now", NOW, "--quiet"])
        target = receivers // 3
        while proc.poll() is None and delivered() < target:
            time.sleep(0.01)
        assert proc.poll() is None, "the worker finished before it was killed: give it more receivers"
        proc.send_signal(os_signal.SIGKILL)
        proc.wait(timeout=60)
        partly = delivered()
        assert target <= partly < receivers + 1
        assert engine.tick().signals == receivers + 1 - partly  # the rest, and the start for the thrower
        states = Counter(d.state for d in store.signal_deliveries(seq))
        assert states == Counter({"delivered": receivers + 1})
        rows = Counter(e.case_id for e in store.read_journal() if e.kind == JournalKind.SIGNAL_RECEIVED)
        assert all(rows[case_id] == 1 for case_id in ids) and len(rows) == receivers + 1
        assert all(tasks(engine, case_id) == ["ci_after"] for case_id in ids)


def test_two_workers_delivering_one_fan_out_at_once_deliver_each_signal_exactly_once(store_url):
    receivers = 60
    with open_store(store_url, create=True) as store:
        engine = Engine(store, DEFS, clock=ManualClock(NOW))
        ids = engine.import_cases([{"participant": f"w-{n:04d}"} for n in range(receivers)],
                                  process_id="catch_boundary_beside").started  # still waits after each delivery
        engine.complete_task(engine.start_case("throw_intermediate", "p-thrower").case_id, "ti_work")
        procs = [subprocess.Popen([sys.executable, "-m", "sedflow_cli.main", "--store", store_url, "--processes",
                                   str(SIGNALS), "tick", "--now", NOW, "--quiet"]) for _ in range(2)]
        assert [p.wait(timeout=300) for p in procs] == [0, 0]
        rows = Counter(e.case_id for e in store.read_journal() if e.kind == JournalKind.SIGNAL_RECEIVED)
        assert [rows[case_id] for case_id in ids] == [1] * receivers  # a receiver that still waits: not twice
        assert store.signal_deliveries() == []
        assert all(tasks(engine, case_id) == ["cn_after", "cn_work"] for case_id in ids)
