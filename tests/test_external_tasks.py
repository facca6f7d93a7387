"""External tasks (issue 12, part 3): service work done by workers outside sedflow.

A service task, send task or message throw drawn with ``camunda:type="external"`` and a topic makes a case
wait for a worker: the step that reaches it writes an external-task row; workers ``fetch_and_lock`` rows by
topic with a lease and report ``complete_external_task`` / ``fail_external_task`` / ``bpmn_error``, each
guarded by their lock. Ported from Camunda 7's ``ExternalTaskServiceTest`` and ``ExternalTaskSupportTest``
(camunda-bpm-platform, ``engine/src/test/java/org/camunda/bpm/engine/test/api/externaltask/``) with their
original diagrams (``conformance/diagrams/external_task``, see ``SOURCES.md``); every store test runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sedflow import (
    SCHEMA_VERSION,
    CaseStateError,
    CaseStatus,
    DefinitionError,
    Engine,
    ExternalTaskLockError,
    JournalKind,
    TaskDataError,
    UnknownExternalTaskError,
    load_files,
    open_store,
)
from sedflow.definitions import load_sources
from sedflow.spiff.external import ExternalServiceTask, ExternalThrowEvent
from sedflow.spiff.serializer import serializer_registry
from sedflow.worker import BpmnError
from sedflow.worker import run as run_worker

from sedflow_cli.main import main

CAMUNDA = Path(__file__).parent / "conformance" / "diagrams" / "external_task"
TOPIC, WORKER = "externalTaskTopic", "aWorkerId"
LEASE = timedelta(minutes=5)


def camunda(*names: str) -> list:
    return load_files([CAMUNDA / f"{n}.bpmn20.xml" for n in names])


@pytest.fixture
def camunda_engine(store, clock):
    def make(*names: str) -> Engine:
        return Engine(store, camunda(*names), clock=clock)
    return make


def snapshot(engine: Engine, case_id: str) -> tuple:
    """Everything a refused report must leave as it was."""
    record = engine.store.get_case(case_id)
    return (record.revision, record.state, len(engine.case_history(case_id)), engine.external_tasks(case_id=case_id))


# ------------------------------------------------------------------------------------------ Camunda ports


def test_complete(camunda_engine):
    """ExternalTaskServiceTest#testComplete (twoExternalTaskProcess): the task completes, the flow goes on
    to the user task after it, and nothing is left to fetch."""
    engine = camunda_engine("twoExternalTaskProcess")
    case = engine.start_case("twoExternalTaskProcess", "p-1", variables={"order": 7})
    assert case.tasks == [] and case.incident is None        # a worker's task is a live wait, not a person's
    assert engine.list_tasks() == [] and engine.due(within=timedelta(days=365)) == []
    assert engine._load(case.case_id, None).workflow.stuck() is None   # the stall check's own reading too
    [locked] = engine.fetch_and_lock([TOPIC], WORKER, lease=LEASE)
    assert (locked.topic, locked.case_id, locked.element_id, locked.process_id) == (
        TOPIC, case.case_id, "externalTask", "twoExternalTaskProcess")
    assert locked.variables == {"order": 7} and locked.retries is None
    assert locked.lock_until == engine.clock.now() + LEASE
    after = engine.complete_external_task(locked.id, WORKER, {"invoice": "A-17"})
    assert [t.element_id for t in after.tasks] == ["afterExternalTask"]
    assert engine.fetch_and_lock([TOPIC], WORKER) == [] and engine.external_tasks() == []
    assert engine.variables(case.case_id, "afterExternalTask") == {"order": 7, "invoice": "A-17"}
    kinds = [(e.kind, e.element_id, e.actor) for e in engine.case_history(case.case_id)]
    assert (JournalKind.TASK_READY, "externalTask", None) in kinds
    assert (JournalKind.TASK_COMPLETED, "externalTask", WORKER) in kinds
    done = next(e for e in engine.case_history(case.case_id) if e.kind == JournalKind.TASK_COMPLETED)
    assert done.data == {"invoice": "A-17"} and done.element_type == "serviceTask"


def test_handle_bpmn_error(camunda_engine):
    """ExternalTaskServiceTest#testHandleBpmnError: the error boundary event on the task catches the code and
    its path starts; the external task is gone. The worker's variables reach that path (…PassVariablesBoundryEvent)."""
    engine = camunda_engine("twoExternalTaskProcess")
    case = engine.start_case("twoExternalTaskProcess", "p-1")
    [locked] = engine.fetch_and_lock([TOPIC], WORKER)
    after = engine.bpmn_error(locked.id, WORKER, "ERROR-OCCURED", message="no such invoice", data={"reason": "gone"})
    assert [t.element_id for t in after.tasks] == ["afterBpmnError"]
    assert engine.fetch_and_lock([TOPIC], WORKER) == [] and engine.external_tasks() == []
    assert engine.variables(case.case_id, "afterBpmnError") == {"reason": "gone"}
    cancelled = next(e for e in engine.case_history(case.case_id) if e.kind == JournalKind.TASK_CANCELLED)
    assert (cancelled.element_id, cancelled.actor) == ("externalTask", WORKER)
    assert cancelled.data == {"bpmn_error": "ERROR-OCCURED", "error_message": "no such invoice", "reason": "gone"}


def test_handle_bpmn_error_without_defined_boundary(camunda_engine):
    """ExternalTaskServiceTest#testHandleBpmnErrorWithoutDefinedBoundary: a BPMN error nothing catches ends the
    task's path (Camunda 7's default, ``BpmnExceptionHandler.propagateError``): the process has ended. The same
    for a code the task's boundary event does not catch (twoExternalTaskProcess): the boundary event goes too."""
    engine = camunda_engine("oneExternalTaskProcess", "twoExternalTaskProcess")
    for process, code in (("oneExternalTaskProcess", "ERROR-OCCURED"), ("twoExternalTaskProcess", "OTHER")):
        case = engine.start_case(process, "p-1")
        [locked] = engine.fetch_and_lock([TOPIC], WORKER)
        after = engine.bpmn_error(locked.id, WORKER, code, data={"why": "no account"})
        assert (after.status, after.tasks, after.incident) == (CaseStatus.COMPLETED, [], None)
        assert engine.external_tasks() == [] and engine.fetch_and_lock([TOPIC], WORKER) == []
        ended = [e for e in engine.case_history(case.case_id) if e.element_id == "externalTask"][-1]
        assert (ended.kind, ended.actor) == (JournalKind.TASK_COMPLETED, WORKER)
        assert ended.data == {"bpmn_error": code, "error_message": None, "why": "no account"}


SUB_PROCESS = ('<bpmn:startEvent id="s" /><bpmn:subProcess id="sp"><bpmn:startEvent id="ss" />'
               '<bpmn:serviceTask id="x" camunda:type="external" camunda:topic="t" /><bpmn:userTask id="inner" />'
               '<bpmn:endEvent id="se" /><bpmn:sequenceFlow id="g1" sourceRef="ss" targetRef="x" />'
               '<bpmn:sequenceFlow id="g2" sourceRef="x" targetRef="inner" />'
               '<bpmn:sequenceFlow id="g3" sourceRef="inner" targetRef="se" /></bpmn:subProcess>'
               '<bpmn:userTask id="after" /><bpmn:endEvent id="e" />'
               '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sp" />'
               '<bpmn:sequenceFlow id="f2" sourceRef="sp" targetRef="after" />'
               '<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e" />')


def test_an_uncaught_bpmn_error_ends_its_path_and_a_sub_process_left_empty_completes(store, clock):
    """Camunda's ``execution.end(true)``: the scope the path ended in completes when nothing else runs in it,
    and the flow goes on after it (never past the task itself: 'inner' is not reached)."""
    engine = Engine(store, load_sources(diagram(SUB_PROCESS)), clock=clock)
    case = engine.start_case("p", "p-1")
    [locked] = engine.fetch_and_lock(["t"], WORKER)
    after = engine.bpmn_error(locked.id, WORKER, "NOT_CAUGHT", data={"v": 1})
    assert [t.element_id for t in after.tasks] == ["after"] and after.incident is None
    assert engine.variables(case.case_id, "after") == {"v": 1}
    kinds = [(e.kind, e.element_id) for e in engine.case_history(case.case_id)]
    assert (JournalKind.ACTIVITY_COMPLETED, "sp") in kinds and (JournalKind.TASK_READY, "inner") not in kinds


ENCLOSED = ('<bpmn:startEvent id="s" /><bpmn:subProcess id="sp"><bpmn:startEvent id="ss" />'
            '<bpmn:serviceTask id="x" camunda:type="external" camunda:topic="t" /><bpmn:endEvent id="se" />'
            '<bpmn:sequenceFlow id="g1" sourceRef="ss" targetRef="x" />'
            '<bpmn:sequenceFlow id="g2" sourceRef="x" targetRef="se" /></bpmn:subProcess>'
            '<bpmn:boundaryEvent id="b" attachedToRef="sp"><bpmn:errorEventDefinition errorRef="OUTER" '
            'camunda:errorCodeVariable="code" camunda:errorMessageVariable="why" /></bpmn:boundaryEvent>'
            '<bpmn:userTask id="outer" /><bpmn:userTask id="after" /><bpmn:endEvent id="e" />'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sp" />'
            '<bpmn:sequenceFlow id="f2" sourceRef="sp" targetRef="after" />'
            '<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e" />'
            '<bpmn:sequenceFlow id="f4" sourceRef="b" targetRef="outer" />')


def test_a_bpmn_error_reaches_the_error_boundary_of_an_enclosing_sub_process(store, clock):
    """Propagated outwards as Camunda does, the code and message into the catcher's variables; a code that
    catch does not name ends the task's path (and the sub-process, left with nothing)."""
    engine = Engine(store, load_sources(diagram(ENCLOSED)), clock=clock)
    for code, then, seen in (("OUTER", "outer", {"d": 1, "code": "OUTER", "why": "closed"}),
                             ("OTHER", "after", {"d": 1})):
        case = engine.start_case("p", f"p-{code}")
        [locked] = engine.fetch_and_lock(["t"], WORKER)
        after = engine.bpmn_error(locked.id, WORKER, code, message="closed", data={"d": 1})
        assert [t.element_id for t in after.tasks] == [then] and after.incident is None
        assert engine.variables(case.case_id, then) == seen


def test_handle_failure_then_retry_after_the_timeout(camunda_engine):
    """ExternalTaskServiceTest#testHandleFailure: after a failure with retries left the task is not fetchable
    until the retry timeout passes; then it is, with the retries and the error message."""
    engine = camunda_engine("oneExternalTaskProcess")
    case = engine.start_case("oneExternalTaskProcess", "p-1")
    [locked] = engine.fetch_and_lock([TOPIC], WORKER, max_tasks=5)
    engine.clock.advance(seconds=3)
    failed = engine.fail_external_task(locked.id, WORKER, "the mail server is down", retries=5,
                                       retry_in=timedelta(seconds=3), details="smtp: 421")
    assert (failed.retries, failed.lock_owner) == (5, None)
    assert engine.fetch_and_lock([TOPIC], WORKER, max_tasks=5) == []
    engine.clock.advance(seconds=4)
    [again] = engine.fetch_and_lock([TOPIC], WORKER, max_tasks=5)
    assert (again.id, again.retries, again.error_message) == (locked.id, 5, "the mail server is down")
    [entry] = [e for e in engine.case_history(case.case_id) if e.kind == JournalKind.EXTERNAL_TASK_FAILED]
    assert (entry.element_id, entry.actor, entry.task_id) == ("externalTask", WORKER, engine.store.get_external_task(
        locked.id).task_id)
    assert entry.data["error"] == "the mail server is down" and entry.data["retries"] == 5
    assert entry.data["details"] == "smtp: 421"
    assert engine.store.get_case(case.case_id).revision == 1     # a failure is no step of the case


def test_no_retries_left_leaves_the_task_unfetchable_with_its_failure_and_opens_an_incident(camunda_engine):
    """ExternalTaskServiceTest#testHandleFailureZeroRetries: the task is fetched no more, and (as Camunda 7's
    failedExternalTask incident) the case is in incident, journaled in the same transaction; retrying the
    incident gives the task one more retry (setRetries), and a worker completes it."""
    engine = camunda_engine("oneExternalTaskProcess")
    case = engine.start_case("oneExternalTaskProcess", "p-1")
    [locked] = engine.fetch_and_lock([TOPIC], WORKER)
    engine.fail_external_task(locked.id, WORKER, "gave up", retries=0)
    engine.clock.advance(days=30)
    assert engine.fetch_and_lock([TOPIC], WORKER) == []
    [row] = engine.external_tasks(case_id=case.case_id)
    assert (row.retries, row.error_message, row.lock_owner) == (0, "gave up", None)
    [incident] = engine.incidents()
    assert (incident.case_id, incident.kind, incident.element_id) == (case.case_id, "external", row.element_id)
    assert "gave up" in incident.reason
    kinds = [e.kind for e in engine.case_history(case.case_id)]
    assert kinds[-2:] == ["external_task_failed", "incident_opened"]
    retried = engine.retry_incident(case.case_id, actor="admin")
    assert retried.incident is None and engine.incidents() == []
    [again] = engine.fetch_and_lock([TOPIC], WORKER)
    assert again.id == locked.id and again.retries == 1
    assert engine.complete_external_task(again.id, WORKER).status == CaseStatus.COMPLETED
    assert [e.kind for e in engine.case_history(case.case_id)].count("incident_resolved") == 1


def test_an_external_incident_stays_through_other_steps_and_resolving_it_by_hand_retries_the_task(store, clock):
    engine = Engine(store, load_sources(diagram(PARALLEL)), clock=clock)
    case = engine.start_case("p", "p-1")
    [locked] = engine.fetch_and_lock(["sms"], WORKER)
    engine.fail_external_task(locked.id, WORKER, "down", retries=0)
    other = [t.element_id for t in engine.show_case(case.case_id).tasks]
    assert other and engine.show_case(case.case_id).incident.kind == "external"
    after = engine.complete_task(case.case_id, other[0])  # another step of the case: the incident stays
    assert after.incident is not None and after.incident.kind == "external"
    resolved = engine.resolve_incident(case.case_id, "tjänsten är uppe igen", actor="admin")
    assert resolved.incident is None
    assert [t.retries for t in engine.fetch_and_lock(["sms"], WORKER)] == [1]
    # In incident, the case's timers still fire (as in Camunda 7): the boundary timer takes the task away,
    # and with it the incident.
    late = engine.start_case("p", "p-2")
    [locked] = [t for t in engine.fetch_and_lock(["sms"], WORKER) if t.case_id == late.case_id]
    engine.fail_external_task(locked.id, WORKER, "down", retries=0)
    clock.advance(hours=2)
    assert late.case_id in engine.tick().fired
    shown = engine.show_case(late.case_id)
    assert shown.incident is None and "call_instead" in [t.element_id for t in shown.tasks]
    assert engine.external_tasks(case_id=late.case_id) == []


def test_fetch_multiple_topics_and_limits(camunda_engine):
    """ExternalTaskServiceTest#testFetchMultipleTopics (parallelExternalTaskProcess): one fetch takes tasks of
    several topics, at most ``max_tasks``, oldest first; a topic nobody asked for is left."""
    engine = camunda_engine("parallelExternalTaskProcess")
    first = engine.start_case("parallelExternalTaskProcess", "p-1")
    engine.clock.advance(minutes=1)
    engine.start_case("parallelExternalTaskProcess", "p-2")
    assert len(engine.external_tasks()) == 6 and len(engine.external_tasks("topic1")) == 2
    got = engine.fetch_and_lock(["topic1", "topic2"], WORKER, max_tasks=3)
    assert len(got) == 3 and {t.topic for t in got} <= {"topic1", "topic2"}
    assert [t.case_id for t in got][:2] == [first.case_id] * 2
    rest = engine.fetch_and_lock(["topic1", "topic2", "topic3"], "another", max_tasks=10)
    assert len(rest) == 3 and not {t.id for t in rest} & {t.id for t in got}


@pytest.mark.parametrize("name, element", [("ExternalTaskSupportTest.sendTask", "externalTask"),
                                           ("ExternalTaskSupportTest.messageIntermediateEvent", "externalTask"),
                                           ("ExternalTaskSupportTest.messageEndEvent", "end")])
def test_send_tasks_and_message_throws_can_be_external(camunda_engine, name, element):
    """ExternalTaskSupportTest#testExternalTaskSupport for a send task, a message intermediate throw event and
    a message end event: each waits for a worker, and the case ends when the worker completes it."""
    engine = camunda_engine(name)
    case = engine.start_case("oneExternalTaskProcess", "p-1")
    assert case.status == CaseStatus.ACTIVE and case.incident is None
    [locked] = engine.fetch_and_lock([TOPIC], WORKER)
    assert locked.element_id == element
    assert engine.complete_external_task(locked.id, WORKER).status == CaseStatus.COMPLETED
    assert engine.external_tasks() == []


def test_camunda_attributes_on_external_tasks_are_refused_at_load_with_their_reason():
    """camunda:taskPriority (externalTaskPriorityProcess) and camunda:errorEventDefinition
    (ExternalTaskServiceTest.externalTaskWithNestedErrorEventDefinition) are not run: refused, saying why."""
    with pytest.raises(DefinitionError) as priority:
        camunda("externalTaskPriorityProcess")
    said = [(p.element, p.detail) for p in priority.value.problems]
    assert ("twoExternalTaskWithPriorityProcess", "camunda:taskPriority on process "
            "'twoExternalTaskWithPriorityProcess' is refused: sedflow's workers fetch the oldest external task "
            "first and take no priorities; remove it") in said
    assert any(e == "externalTaskWithPrio" and "camunda:taskPriority" in d for e, d in said)
    with pytest.raises(DefinitionError) as nested:
        camunda("ExternalTaskServiceTest.externalTaskWithNestedErrorEventDefinition")
    assert [p.element for p in nested.value.problems] == ["Activity_0vvwq4z"]
    assert "camunda:errorEventDefinition on 'Activity_0vvwq4z' is refused" in nested.value.problems[0].detail


# ------------------------------------------------------------------------------------------ locks


def test_a_lapsed_lease_makes_the_task_fetchable_again_and_the_first_worker_is_refused(camunda_engine):
    """ExternalTaskServiceTest#testCompleteReclaimedLockExpiredTask / …BpmnErrorReclaimedLockExpiredTask…:
    the first worker cannot report once another has the task; nothing it tries is written."""
    engine = camunda_engine("twoExternalTaskProcess")
    case = engine.start_case("twoExternalTaskProcess", "p-1")
    [first] = engine.fetch_and_lock([TOPIC], WORKER, lease=timedelta(seconds=10))
    assert engine.fetch_and_lock([TOPIC], "anotherWorkerId") == []          # locked: nobody else gets it
    engine.clock.advance(seconds=20)
    [second] = engine.fetch_and_lock([TOPIC], "anotherWorkerId")
    assert second.id == first.id
    before = snapshot(engine, case.case_id)
    for report in (lambda: engine.complete_external_task(first.id, WORKER, {"x": 1}),
                   lambda: engine.bpmn_error(first.id, WORKER, "ERROR-OCCURED"),
                   lambda: engine.fail_external_task(first.id, WORKER, "boom", retries=1)):
        with pytest.raises(ExternalTaskLockError, match="is locked by worker 'anotherWorkerId', not 'aWorkerId'"):
            report()
        assert snapshot(engine, case.case_id) == before
    after = engine.complete_external_task(second.id, "anotherWorkerId")
    assert [t.element_id for t in after.tasks] == ["afterExternalTask"]


def test_a_worker_whose_lease_lapsed_is_refused_even_if_nobody_took_the_task(camunda_engine):
    """A stated difference from ExternalTaskServiceTest#testHandleBpmnErrorLockExpiredTask (Camunda accepts a
    report on a lapsed lock nobody renewed): in sedflow the lease is the promise, so a late report is refused,
    writes nothing, and the task is fetchable again."""
    engine = camunda_engine("twoExternalTaskProcess")
    case = engine.start_case("twoExternalTaskProcess", "p-1")
    [locked] = engine.fetch_and_lock([TOPIC], WORKER, lease=timedelta(minutes=1))
    engine.clock.advance(minutes=2)
    before = snapshot(engine, case.case_id)
    with pytest.raises(ExternalTaskLockError, match="the lease lapsed"):
        engine.complete_external_task(locked.id, WORKER)
    assert snapshot(engine, case.case_id) == before
    assert [t.id for t in engine.fetch_and_lock([TOPIC], WORKER)] == [locked.id]


def test_a_worker_that_never_fetched_the_task_is_refused(camunda_engine):
    engine = camunda_engine("twoExternalTaskProcess")
    case = engine.start_case("twoExternalTaskProcess", "p-1")
    [row] = engine.external_tasks()
    before = snapshot(engine, case.case_id)
    with pytest.raises(ExternalTaskLockError, match="is not locked by any worker"):
        engine.complete_external_task(row.id, WORKER)
    with pytest.raises(UnknownExternalTaskError):
        engine.complete_external_task("no-such-task", WORKER)
    assert snapshot(engine, case.case_id) == before


def test_bad_variables_from_a_worker_are_refused_and_write_nothing(camunda_engine):
    engine = camunda_engine("twoExternalTaskProcess")
    case = engine.start_case("twoExternalTaskProcess", "p-1")
    [locked] = engine.fetch_and_lock([TOPIC], WORKER)
    before = snapshot(engine, case.case_id)
    with pytest.raises(TaskDataError, match="variable name '1x' must be an identifier"):
        engine.complete_external_task(locked.id, WORKER, {"1x": 1})
    assert snapshot(engine, case.case_id) == before
    assert engine.complete_external_task(locked.id, WORKER, {"ok": 1}).tasks[0].element_id == "afterExternalTask"


def test_suspended_cases_tasks_are_not_fetched(camunda_engine):
    """ExternalTaskServiceTest#testFetchSuspendedTask and #testCompleteSuspendedTask: a suspended case's task
    is not fetched, and one fetched before cannot be reported on; after resuming it can."""
    engine = camunda_engine("oneExternalTaskProcess")
    case = engine.start_case("oneExternalTaskProcess", "p-1")
    [locked] = engine.fetch_and_lock([TOPIC], WORKER, lease=timedelta(hours=1))
    engine.suspend_case(case.case_id, "on hold")
    before = snapshot(engine, case.case_id)
    for report in (lambda: engine.complete_external_task(locked.id, WORKER),
                   lambda: engine.fail_external_task(locked.id, WORKER, "x", retries=1),
                   lambda: engine.bpmn_error(locked.id, WORKER, "E")):
        with pytest.raises(CaseStateError, match="suspended"):
            report()
        assert snapshot(engine, case.case_id) == before
    engine.clock.advance(hours=2)
    assert engine.fetch_and_lock([TOPIC], WORKER) == []              # its lease lapsed, but it is held
    engine.resume_case(case.case_id, "go on")
    [again] = engine.fetch_and_lock([TOPIC], WORKER)
    assert engine.complete_external_task(again.id, WORKER).status == CaseStatus.COMPLETED


# ------------------------------------------------------------------------------ rows follow the case

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
        '20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" '
        'targetNamespace="http://sedflow.se/test">\n<bpmn:process id="p" isExecutable="true">\n')
TAIL = '</bpmn:process>\n</bpmn:definitions>\n'
PARALLEL = ('<bpmn:startEvent id="s" /><bpmn:parallelGateway id="fork" />'
            '<bpmn:serviceTask id="notify" camunda:type="external" camunda:topic="sms" />'
            '<bpmn:userTask id="meet" /><bpmn:userTask id="follow_up" />'
            '<bpmn:boundaryEvent id="too_late" attachedToRef="notify"><bpmn:timerEventDefinition>'
            '<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
            '<bpmn:userTask id="call_instead" /><bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" />'
            '<bpmn:endEvent id="e3" />'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="fork" />'
            '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="notify" />'
            '<bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="meet" />'
            '<bpmn:sequenceFlow id="f4" sourceRef="notify" targetRef="e1" />'
            '<bpmn:sequenceFlow id="f5" sourceRef="meet" targetRef="follow_up" />'
            '<bpmn:sequenceFlow id="f6" sourceRef="follow_up" targetRef="e2" />'
            '<bpmn:sequenceFlow id="f7" sourceRef="too_late" targetRef="call_instead" />'
            '<bpmn:sequenceFlow id="f8" sourceRef="call_instead" targetRef="e3" />')


def diagram(body: str) -> dict[str, bytes]:
    return {"p.bpmn": (HEAD + body + TAIL).encode()}


def test_lock_and_retries_survive_other_steps_of_the_case_and_an_interrupted_task_loses_its_row(store, clock):
    engine = Engine(store, load_sources(diagram(PARALLEL)), clock=clock)
    case = engine.start_case("p", "p-1")
    [locked] = engine.fetch_and_lock(["sms"], WORKER)
    engine.fail_external_task(locked.id, WORKER, "no signal", retries=2)
    [locked] = engine.fetch_and_lock(["sms"], WORKER, lease=timedelta(hours=2))
    engine.complete_task(case.case_id, "meet")                       # an unrelated step of the same case
    [row] = engine.external_tasks(case_id=case.case_id)
    assert (row.id, row.lock_owner, row.retries, row.error_message) == (locked.id, WORKER, 2, "no signal")
    engine.clock.advance(minutes=61)
    engine.tick()                                                    # the boundary timer interrupts the task
    assert engine.external_tasks() == []
    assert {t.element_id for t in engine.list_tasks(case_id=case.case_id)} == {"follow_up", "call_instead"}
    with pytest.raises(UnknownExternalTaskError):
        engine.complete_external_task(locked.id, WORKER)
    cancelled = [e.element_id for e in engine.case_history(case.case_id) if e.kind == JournalKind.TASK_CANCELLED]
    assert cancelled == ["notify"]


def test_a_send_task_drawn_external_gets_the_external_spec():
    sources = diagram('<bpmn:startEvent id="s" /><bpmn:sendTask id="tell" camunda:type="external" '
                      'camunda:topic="letters" /><bpmn:endEvent id="e" />'
                      '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="tell" />'
                      '<bpmn:sequenceFlow id="f2" sourceRef="tell" targetRef="e" />')
    [definition] = load_sources(sources)
    assert isinstance(definition.spec.task_specs["tell"], ExternalServiceTask)


@pytest.mark.parametrize("element, said", [
    ('<bpmn:serviceTask id="step" camunda:type="external" />', "external task 'step' names no topic"),
    ('<bpmn:serviceTask id="step" camunda:type="external" camunda:topic="${kind}" />',
     "camunda:topic '${kind}' on 'step' is refused: sedflow's workers fetch by a fixed topic"),
    ('<bpmn:serviceTask id="step" camunda:type="external" camunda:topic="t"><bpmn:extensionElements>'
     '<camunda:inputOutput><camunda:inputParameter name="a">1</camunda:inputParameter></camunda:inputOutput>'
     '</bpmn:extensionElements></bpmn:serviceTask>', "camunda:inputOutput on 'step' is refused"),
    ('<bpmn:serviceTask id="step" camunda:class="se.Notify" />', "service tasks are refused (camunda:class"),
    ('<bpmn:businessRuleTask id="step" camunda:type="external" camunda:topic="t" />',
     "business rule tasks are refused (camunda:type 'external'"),
    ('<bpmn:intermediateThrowEvent id="step"><bpmn:messageEventDefinition camunda:class="se.Mail" />'
     '</bpmn:intermediateThrowEvent>', "message intermediate throw events are refused unless"),
], ids=["no topic", "topic expression", "inputOutput", "class", "business rule task", "throw with a class"])
def test_external_work_drawn_otherwise_is_refused_at_load(element, said):
    sources = diagram(f'<bpmn:startEvent id="s" />{element}<bpmn:endEvent id="e" />'
                      '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="step" />'
                      '<bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="e" />')
    with pytest.raises(DefinitionError) as refused:
        load_sources(sources)
    assert [p.element for p in refused.value.problems] == ["step"]
    assert said in refused.value.problems[0].detail
    assert refused.value.problems[0].file == "p.bpmn" and refused.value.problems[0].line == 4  # the element's line


def test_the_serializer_round_trips_the_external_specs():
    [definition] = camunda("ExternalTaskSupportTest.messageIntermediateEvent")
    registry = serializer_registry()
    spec = definition.spec.task_specs["externalTask"]
    assert isinstance(spec, ExternalThrowEvent) and spec.topic == TOPIC
    dct = registry.convert(spec)
    dct["wf_spec"] = type(definition.spec)("round_trip")   # a process spec of its own to restore into
    restored = registry.restore(dct)
    assert type(restored) is ExternalThrowEvent and restored.topic == TOPIC
    assert type(restored.event_definition) is type(spec.event_definition)


# ------------------------------------------------------------------------------------------ sedflow.worker


def test_a_handler_that_keeps_failing_is_retried_with_a_doubling_backoff_then_given_up(camunda_engine):
    engine = camunda_engine("oneExternalTaskProcess")
    case = engine.start_case("oneExternalTaskProcess", "p-1")
    calls = []

    def handler(task):
        calls.append(task.retries)
        raise ConnectionError("the SMS gateway is down")

    def once() -> int:
        return run_worker(engine, {TOPIC: handler}, worker_id=WORKER, once=True, backoff=timedelta(seconds=10))

    assert once() == 1
    for wait in (10, 20):
        engine.clock.advance(seconds=wait - 1)
        assert once() == 0                          # not before the backoff has passed
        engine.clock.advance(seconds=1)
        assert once() == 1
    engine.clock.advance(days=1)
    assert once() == 0                              # no retries left: fetched no more
    assert calls == [None, 2, 1]
    failed = [e.data for e in engine.case_history(case.case_id) if e.kind == JournalKind.EXTERNAL_TASK_FAILED]
    assert [f["retries"] for f in failed] == [2, 1, 0]
    assert {f["error"] for f in failed} == {"the SMS gateway is down"}
    assert "ConnectionError" in failed[0]["details"]


def test_a_handler_raising_bpmn_error_takes_the_boundary_path_and_one_returning_variables_completes(
        camunda_engine):
    engine = camunda_engine("twoExternalTaskProcess")
    first, second = (engine.start_case("twoExternalTaskProcess", f"p-{n}") for n in (1, 2))

    def handler(task):
        if task.case_id == first.case_id:
            raise BpmnError("ERROR-OCCURED", "no such person", {"looked_up": False})
        return {"looked_up": True}

    assert run_worker(engine, {TOPIC: handler}, worker_id=WORKER, max_tasks=5, once=True) == 2
    assert [t.element_id for t in engine.show_case(first.case_id).tasks] == ["afterBpmnError"]
    assert [t.element_id for t in engine.show_case(second.case_id).tasks] == ["afterExternalTask"]
    assert engine.variables(second.case_id, "afterExternalTask") == {"looked_up": True}


# ------------------------------------------------------------------------------------------ the CLI


def test_the_worker_command_runs_a_program_per_task_and_lists_them(store_url, tmp_path):
    env = {"SEDFLOW_STORE": store_url}
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    source = tmp_path / "p.bpmn"
    source.write_bytes((CAMUNDA / "twoExternalTaskProcess.bpmn20.xml").read_bytes())
    started = runner.invoke(main, ["--processes", str(tmp_path), "case", "start", "twoExternalTaskProcess",
                                   "--participant", "p-1", "--json"], env=env)
    assert started.exit_code == 0, started.output
    case_id = json.loads(started.output)["case_id"]
    listed = runner.invoke(main, ["--processes", str(tmp_path), "external-tasks", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert [(r["case_id"], r["topic"]) for r in json.loads(listed.output)] == [(case_id, TOPIC)]
    program = tmp_path / "handler.py"
    program.write_text("import json, sys\nv = json.load(sys.stdin)\njson.dump({'seen': sorted(v), 'ok': True}, "
                       "sys.stdout)\n")
    ran = runner.invoke(main, ["--processes", str(tmp_path), "worker", "--topic", TOPIC, "--exec",
                               f"{sys.executable} {program}", "--once"], env=env)
    assert ran.exit_code == 0, ran.output
    shown = json.loads(runner.invoke(main, ["--processes", str(tmp_path), "case", "show", case_id, "--json"],
                                     env=env).output)
    assert [t["element_id"] for t in shown["tasks"]] == ["afterExternalTask"]


def test_the_worker_command_reports_a_failing_program_as_a_failure(store_url, tmp_path):
    env = {"SEDFLOW_STORE": store_url}
    runner = CliRunner()
    runner.invoke(main, ["init"], env=env)
    (tmp_path / "p.bpmn").write_bytes((CAMUNDA / "oneExternalTaskProcess.bpmn20.xml").read_bytes())
    runner.invoke(main, ["--processes", str(tmp_path), "case", "start", "oneExternalTaskProcess", "--participant",
                         "p-1"], env=env)
    program = tmp_path / "fail.py"
    program.write_text("import sys\nsys.stderr.write('printer on fire')\nsys.exit(3)\n")
    ran = runner.invoke(main, ["--processes", str(tmp_path), "worker", "--topic", TOPIC, "--exec",
                               f"{sys.executable} {program}", "--once"], env=env)
    assert ran.exit_code == 0, ran.output
    listed = json.loads(runner.invoke(main, ["--processes", str(tmp_path), "external-tasks", "--json"],
                                      env=env).output)
    assert [(r["retries"], r["error_message"]) for r in listed] == [(2, "printer on fire")]


# ------------------------------------------------------------------------------- real worker processes

HELPER = str(Path(__file__).parent / "external_worker.py")


def per_case(url: str) -> tuple[dict, Counter]:
    """Each participant's journal as (kind, element, data) rows counted (not who did them, nor when), and
    how many times each external element was completed."""
    with open_store(url) as store:
        cases = {c.case_id: c.participant for c in store.list_cases()}
        journals: dict[str, Counter] = {}
        done: Counter = Counter()
        for e in store.read_journal():
            timed = e.kind in (JournalKind.TIMER_WAITING, JournalKind.TIMER_FIRED)
            row = (e.kind, e.element_id, "" if timed else json.dumps(e.data, sort_keys=True))
            journals.setdefault(cases[e.case_id], Counter())[row] += 1
            if e.kind == JournalKind.TASK_COMPLETED:
                done[(cases[e.case_id], e.element_id)] += 1
        return journals, done


def test_four_workers_and_two_ticks_do_every_task_once_even_when_one_is_killed(store_url, tmp_path):
    """4 worker processes and 2 tick processes on one store: every external task is completed exactly once,
    the worker SIGKILLed while holding a task loses it to another when its lease lapses, and each case's
    journal is what one process doing all of it in turn writes."""
    from conftest import POSTGRES, postgres_schema_url
    cases = 24
    open_store(store_url, create=True).close()
    subprocess.run([sys.executable, HELPER, store_url, "start", str(cases)], check=True, timeout=300)
    serial_url = (f"sqlite:///{tmp_path / 'serial.db'}" if store_url.startswith("sqlite")
                  else postgres_schema_url(store_url.rsplit("schema=", 1)[1] + "_serial"))
    open_store(serial_url, create=True).close()
    try:
        subprocess.run([sys.executable, HELPER, serial_url, "start", str(cases)], check=True, timeout=300)
        subprocess.run([sys.executable, HELPER, serial_url, "serial"], check=True, timeout=300)
        log = tmp_path / "handled.log"
        # w0 starts alone, so that it surely takes three tasks (a loaded machine could otherwise leave it
        # fewer), and hangs on the third holding its lock; then the others start, beside it.
        hung = subprocess.Popen([sys.executable, HELPER, store_url, "work", "w0", str(log), "--hang-at", "3"])
        marker = log.with_suffix(".hung")
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "worker w0 never took its third task"
        procs = [subprocess.Popen([sys.executable, HELPER, store_url, "work", f"w{k}", str(log)]) for k in (1, 2, 3)]
        procs += [subprocess.Popen([sys.executable, HELPER, store_url, "tick"]) for _ in range(2)]
        with open_store(store_url) as store:   # it holds the lock of the task it hangs on
            assert store.get_external_task(marker.read_text()).lock_owner == "w0"
        hung.send_signal(signal.SIGKILL)
        hung.wait(timeout=30)
        assert [p.wait(timeout=300) for p in procs] == [0] * len(procs)
        concurrent, serial = per_case(store_url), per_case(serial_url)
        assert set(concurrent[1].values()) == {1} and len(concurrent[1]) == 2 * cases   # each task once
        assert concurrent[0] == serial[0]
        handled = [line.split() for line in log.read_text().splitlines()]
        stolen = marker.read_text()
        assert [w for w, t in handled if t == stolen][0] == "w0" and len([t for _, t in handled if t == stolen]) == 2
        with open_store(store_url) as store:
            assert {c.status for c in store.list_cases()} == {CaseStatus.COMPLETED}
            assert store.list_external_tasks() == []
    finally:
        if not serial_url.startswith("sqlite") and POSTGRES:
            import psycopg
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{serial_url.rsplit("schema=", 1)[1]}" CASCADE')


def test_a_store_before_external_tasks_is_upgraded_to_hold_them(store_url, clock):
    """Schema 10 adds the external-task table: a store at 9 is refused until upgraded, then works."""
    from sedflow import StoreError

    from test_store import at_version
    at_version(store_url, 9)
    with pytest.raises(StoreError, match="run 'sedflow store upgrade'"):
        open_store(store_url)
    with open_store(store_url, migrate=True) as store:
        assert store.schema_version() == SCHEMA_VERSION
        engine = Engine(store, camunda("oneExternalTaskProcess"), clock=clock)
        engine.start_case("oneExternalTaskProcess", "p-1")
        [locked] = engine.fetch_and_lock([TOPIC], WORKER)
        assert engine.complete_external_task(locked.id, WORKER).status == CaseStatus.COMPLETED
