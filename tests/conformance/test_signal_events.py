"""Camunda 7's SignalEventTest and SignalEndEventTest on sedflow: signals thrown inside a case.

The signal is thrown by an end or intermediate throw event of the process itself and caught by a
boundary event, an event sub-process or an intermediate catch event of the same case. One port
(``testSignalCatchIntermediate``) has one process instance signal another, as Camunda broadcasts signals.
"""

from __future__ import annotations

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


def test_signal_catch_intermediate_from_another_instance_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testSignalCatchIntermediate

    One instance waits at a signal catch; starting another, which throws the signal, ends both (Camunda
    broadcasts a signal to every instance waiting for it).

    Refused by design until cases can signal each other: the catching process throws the signal nowhere
    itself, so its case would wait for ever."""
    assert_refused(TESTS + "catchAlertSignal.bpmn20.xml", TESTS + "throwAlertSignal.bpmn20.xml",
                   element="signalEvent", match="signal 'alert'")


def test_signal_start_event_in_event_sub_process_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testSignalStartEventInEventSubProcess

    As a refusal: the signal event sub-process runs a Java class (``camunda:class`` DummyServiceTask)."""
    assert_refused(S + "testSignalStartEventInEventSubProcess.bpmn20.xml", element="subprocessServiceTask")


def test_non_interrupting_signal_start_event_in_event_sub_process_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.signal.SignalEventTest#testNonInterruptingSignalStartEventInEventSubProcess

    As a refusal: the event sub-process runs a Java class (``camunda:class``)."""  # noqa: E501
    assert_refused(S + "testNonInterruptingSignalStartEventInEventSubProcess.bpmn20.xml",
                   element="subprocessServiceTask")
