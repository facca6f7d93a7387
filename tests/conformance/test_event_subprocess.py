"""Camunda 7's event sub-process tests with timer starts on sedflow (InterruptingEventSubProcessTest,
StartTimerEventTest). Error, escalation and signal event sub-processes are ported with their events
(``test_error_events.py``, ``test_escalation_events.py``, ``test_signal_events.py``); message ones need
a message sent to a case, which sedflow's API has no call for.
"""

from __future__ import annotations

from .harness import assert_refused

E = "event_subprocess/"
ST = E + "StartTimerEventTest."


def test_interrupting_time_cycle(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.InterruptingEventSubProcessTest#testTimeCycle

    An interrupting timer event sub-process with a cron cycle (``0 0/5 * * * ?``): when it fires, the main
    task is cancelled, no timer is left, and the event sub-process's task ends the case."""
    case = deploy(E + "InterruptingEventSubProcessTest.testTimeCycle.bpmn20.xml").start("process")
    assert case.tasks() == ["task"]
    assert case.timer_ids() == ["eventProcessStart"]
    case.fire_next_timer()
    assert case.timers() == []
    assert case.tasks() == ["eventSubProcessTask"]
    case.complete("eventSubProcessTask")
    assert case.ended


def test_non_interrupting_time_cycle_in_event_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.StartTimerEventTest#testNonInterruptingTimeCycleInEventSubProcess

    A non-interrupting cron-cycle event sub-process: after it fires there is again one timer, a new one."""  # noqa: E501
    case = deploy(ST + "testNonInterruptingTimeCycleInEventSubProcess.bpmn20.xml").start("process")
    assert case.timer_ids() == ["subprocessStartEvent"]
    first_due = case.due_at("subprocessStartEvent")
    case.fire_next_timer()
    assert case.timer_ids() == ["subprocessStartEvent"]
    assert case.due_at("subprocessStartEvent") > first_due
    assert case.tasks() == ["userTask", "userTask2"]


def test_start_timer_event_sub_process_with_user_task(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.StartTimerEventTest#testStartTimerEventSubProcessWithUserTask

    Two interrupting timer event sub-processes (PT1M and PT1H): the first to fire cancels the main task and
    the other timer; its user task keeps the case running."""  # noqa: E501
    case = deploy(ST + "testStartTimerEventSubProcessWithUserTask.bpmn20.xml").start(
        "startTimerEventSubProcessWithUserTask")
    assert case.tasks() == ["userTask"]
    assert case.timer_ids() == ["subprocessStartEvent", "secondSubprocessStartEvent"]  # by due date
    assert case.fire_next_timer() == "subprocessStartEvent"
    assert case.timers() == []
    assert case.tasks() == ["subprocessUserTask"]
    assert not case.ended


def test_start_timer_event_in_event_sub_process_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.StartTimerEventTest#testStartTimerEventInEventSubProcess

    As a refusal: the interrupting timer event sub-process runs a Java class (``camunda:class``)."""
    assert_refused(ST + "testStartTimerEventInEventSubProcess.bpmn20.xml", element="subprocessServiceTask")


def test_non_interrupting_start_timer_event_in_event_sub_process_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.StartTimerEventTest#testNonInterruptingStartTimerEventInEventSubProcess

    As a refusal: the non-interrupting timer event sub-process runs a Java class (``camunda:class``)."""  # noqa: E501
    assert_refused(ST + "testNonInterruptingStartTimerEventInEventSubProcess.bpmn20.xml",
                   element="subprocessServiceTask")
