"""Camunda 7's SignalEventTest, SignalEndEventTest and SignalEventPayloadTest on sedflow.

Signals thrown inside a case, caught by a boundary event, an event sub-process or an intermediate catch
event of the same case; signals between cases, thrown by another case or broadcast from outside
(``runtimeService.signalEventReceived``: ``Engine.broadcast_signal``). Stated differences: a signal
thrown in one case reaches the others when ``tick`` delivers it, each in its own transaction (Camunda:
in the thrower's transaction); a signal start event starts a case for a participant (the thrower's, or
the one a broadcast names), as every sedflow case is one participant's.
"""

from __future__ import annotations

from sedflow import JournalKind

from .harness import assert_refused

S = "signal_events/SignalEventTest."
TESTS = "signal_events/SignalEventTests."


def test_no_continuation_when_signal_interrupts_throwing_activity(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testNoContinuationWhenSignalInterruptsThrowingActivity

    The sub-process's signal end event triggers the process's interrupting signal event sub-process, which
    cancels the sub-process before its outgoing flow is taken."""  # noqa: E501
    case = deploy(S + "testNoContinuationWhenSignalInterruptsThrowingActivity.bpmn20.xml").start(
        "signalEventSubProcess")
    assert case.tasks() == ["subProcessTask"]
    case.complete("subProcessTask")
    assert case.tasks() == ["eventSubProcessTask"]
    assert "afterSubProcessTask" not in case.tasks()


def test_thrown_signal_in_event_subprocess_in_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testThrownSignalInEventSubprocessInSubprocess

    A non-interrupting timer event sub-process (``R/PT10S``) in a sub-process ends with a signal end event;
    the interrupting signal boundary event on the sub-process catches it, and no timer is left."""  # noqa: E501
    case = deploy(S + "testThrownSignalInEventSubprocessInSubprocess.bpmn20.xml").start("embeddedEventSubprocess")
    assert case.open_tasks() == [("Task_1m1z433", "task in subprocess")]
    assert case.timer_ids() == ["StartEvent_1y8aryb"]
    case.fire_next_timer()
    assert case.open_tasks() == [("Task_1f50q9l", "after catch")]
    assert case.timers() == []


def test_catch_signal_end_event_in_embedded_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.SignalEndEventTest#testCatchSignalEndEventInEmbeddedSubprocess

    A fork: a sub-process ending with a signal end event, and an intermediate catch event for the signal."""  # noqa: E501
    case = deploy("signal_events/SignalEndEventTest.testCatchSignalEndEventInEmbeddedSubprocess.bpmn20.xml").start(
        "catchSignalEndEventInEmbeddedSubprocess")
    assert case.open_tasks() == [("subprocessTask", "subprocessTask")]
    case.complete("subprocessTask")
    assert case.open_tasks() == [("taskAfterSignalCatch", "task after catching the signal")]
    case.complete("taskAfterSignalCatch")
    assert case.ended


def test_signal_catch_intermediate(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testSignalCatchIntermediate

    One instance waits at a signal catch; starting another, which throws the signal, ends both (Camunda
    broadcasts a signal to every instance waiting for it). The throwing case ends at once; the catching one
    when ``tick`` delivers the signal."""
    d = deploy(TESTS + "catchAlertSignal.bpmn20.xml", TESTS + "throwAlertSignal.bpmn20.xml")
    catching = d.start("catchSignal")
    assert d.active_cases() == [catching.case_id]  # waiting at the signal: one subscription
    throwing = d.start("throwSignal")
    assert throwing.ended and not catching.ended
    d.tick()
    assert d.active_cases() == []
    assert catching.reached("signalEvent") and catching.count(JournalKind.SIGNAL_RECEIVED, "signalEvent") == 1


def test_signal_catch_intermediate_asynch(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testSignalCatchIntermediateAsynch

    The throw is ``camunda:async``: after the throwing instance has run, the catching one still waits and
    there is one job (here: one pending delivery); once the job executor (here: ``tick``) runs it, no
    instance is left. Every signal between cases goes this way in sedflow."""
    d = deploy(TESTS + "catchAlertSignal.bpmn20.xml", TESTS + "throwAlertSignalAsynch.bpmn20.xml")
    catching = d.start("catchSignal")
    d.start("throwSignal")
    assert d.active_cases() == [catching.case_id]
    assert [p.receiver for p in d.store.signal_deliveries()] == [catching.case_id]
    d.tick()
    assert d.active_cases() == [] and d.store.signal_deliveries() == []


def test_signal_catch_boundary(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testSignalCatchBoundary

    An interrupting signal boundary event on a user task, the signal thrown by another instance: the task is
    cancelled and the instance ends."""
    d = deploy(TESTS + "catchAlertSignalBoundary.bpmn20.xml", TESTS + "throwAlertSignal.bpmn20.xml")
    catching = d.start("catchSignal")
    assert catching.tasks() == ["task"]
    d.start("throwSignal")
    d.tick()
    assert d.active_cases() == [] and catching.end_event() == "end"
    assert catching.count(JournalKind.TASK_CANCELLED, "task") == 1


def test_signal_catch_different_signals(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testSignalCatchDifferentSignals

    One instance waits for 'alert' (a boundary event) and 'abort' (an intermediate catch on a parallel
    path); each thrown by an instance of its own reaches only its catch."""
    d = deploy(TESTS + "catchMultipleSignals.bpmn20.xml", TESTS + "throwAlertSignal.bpmn20.xml",
               TESTS + "throwAbortSignal.bpmn20.xml")
    catching = d.start("catchSignal")
    assert catching.tasks() == ["task"]
    d.start("throwAbort")
    d.tick()
    assert catching.tasks() == ["task", "taskAfterAbort"]  # the 'alert' subscription is still there
    catching.complete("taskAfterAbort")
    d.start("throwSignal")
    d.tick()
    assert d.active_cases() == []


def test_signal_boundary_on_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testSignalBoundaryOnSubProcess

    A sub-process waits a day at a timer; the signal 'stopSignal', broadcast, interrupts it and ends the
    instance (and no timer is left)."""
    d = deploy(S + "testSignalBoundaryOnSubProcess.bpmn20.xml")
    case = d.start("signalEventOnSubprocess")
    assert case.timer_ids() == ["timer"]
    assert d.signal("stopSignal").delivered == [case.case_id]
    assert case.ended and case.timers() == []


def test_non_interrupting_signal(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testNonInterruptingSignal

    A non-interrupting signal boundary event on a user task: the broadcast adds a second task beside it, and
    completing the first leaves the second."""
    d = deploy(S + "testNonInterruptingSignal.bpmn20.xml")
    case = d.start("nonInterruptingSignalEvent")
    assert case.task_names() == ["My User Task"]
    d.signal("alert")
    assert case.task_names() == ["My Second User Task", "My User Task"]
    case.complete("theUserTask")
    assert case.task_names() == ["My Second User Task"]


def test_non_interrupting_signal_with_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testNonInterruptingSignalWithSubProcess

    A non-interrupting signal boundary event on a nested sub-process starts another sub-process ('Review')
    beside it; the outer sub-process ends when both have, and 'Finish' follows."""  # noqa: E501
    d = deploy(S + "testNonInterruptingSignalWithSubProcess.bpmn20.xml")
    case = d.start("nonInterruptingSignalWithSubProcess")
    assert case.task_names() == ["Approve"]
    d.signal("alert")
    assert case.task_names() == ["Approve", "Review"]
    case.complete("UserTask_1")
    assert case.task_names() == ["Review"]
    case.complete("UserTask_2")
    assert case.task_names() == ["Finish"]


def test_signal_start_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testSignalStartEvent

    A broadcast starts a case of the process whose start event catches the signal: one task. Stated
    difference: only for the participant the broadcast names; without one none starts, and it says so."""
    d = deploy(S + "signalStartEvent.bpmn20.xml")
    assert d.signal("alert").not_started == ["startBySignal"] and d.cases() == []
    result = d.signal("alert", participant="p1")
    [case_id] = result.started
    assert d.engine.list_tasks(case_id=case_id)[0].element_id == "task"


def test_multiple_processes_with_same_signal_start_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testMultipleProcessesWithSameSignalStartEvent

    Two processes start on 'alert': one broadcast starts a case of each."""  # noqa: E501
    d = deploy(S + "signalStartEvent.bpmn20.xml", S + "testOtherSignalStartEvent.bpmn20.xml")
    assert len(d.signal("alert", participant="p1").started) == 2
    assert len(d.engine.list_tasks()) == 2


def test_start_process_instance_by_signal_from_intermediate_throwing_signal_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testStartProcessInstanceBySignalFromIntermediateThrowingSignalEvent

    An instance that throws 'alert' starts a case of the process whose start event catches it (for the
    thrower's participant), once ``tick`` delivers it."""  # noqa: E501
    d = deploy(S + "signalStartEvent.bpmn20.xml", TESTS + "throwAlertSignal.bpmn20.xml")
    throwing = d.start("throwSignal")
    d.tick()
    [task] = d.engine.list_tasks()
    assert (task.process_id, task.element_id, task.participant) == (
        "startBySignal", "task", d.engine.show_case(throwing.case_id).participant)


def test_processes_with_multiple_signal_start_events(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testProcessesWithMultipleSignalStartEvents

    A process with a start event for 'alert' and one for 'abort': 'alert' starts a case at its start event
    (one task); here 'abort' starts another at the other, for another participant (sedflow runs one case of
    a process per participant at a time)."""  # noqa: E501
    d = deploy(S + "testProcessesWithMultipleSignalStartEvents.bpmn20.xml")
    [alerted] = d.signal("alert", participant="p1").started
    assert [t.element_id for t in d.engine.list_tasks()] == ["alertTask"]
    assert d.signal("abort", participant="p1").started == []  # p1 has a running case of the process
    [aborted] = d.signal("abort", participant="p2").started
    assert [t.element_id for t in d.engine.list_tasks(case_id=aborted)] == ["abortTask"]
    assert [t.element_id for t in d.engine.list_tasks(case_id=alerted)] == ["alertTask"]


def test_signal_payload_intermediate_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventPayloadTest#testSignalPayloadIntermediate

    As a refusal: the throw passes two variables with ``camunda:in``, which Camunda sets in the catching
    instance; sedflow does not pass a thrower's variables yet, and refuses the mapping rather than drop it."""  # noqa: E501
    assert_refused("signal_events/SignalEventPayloadTests.throwSignalWithPayload.bpmn20.xml",
                   "signal_events/SignalEventPayloadTests.catchSignalWithPayloadIntermediate.bpmn20.xml",
                   element="signalEvent", match="camunda:in on signal throw")


def test_signal_start_event_in_event_sub_process_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testSignalStartEventInEventSubProcess

    As a refusal: the signal event sub-process runs a Java class (``camunda:class`` DummyServiceTask)."""
    assert_refused(S + "testSignalStartEventInEventSubProcess.bpmn20.xml", element="subprocessServiceTask")


def test_non_interrupting_signal_start_event_in_event_sub_process_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testNonInterruptingSignalStartEventInEventSubProcess

    As a refusal: the event sub-process runs a Java class (``camunda:class``)."""  # noqa: E501
    assert_refused(S + "testNonInterruptingSignalStartEventInEventSubProcess.bpmn20.xml",
                   element="subprocessServiceTask")
