"""Camunda 7's IntermediateTimerEventTest and StartTimerEventTest (process-level start timers) on sedflow.

A Camunda timer start event makes the engine create the process instance when the timer fires; in
sedflow a case is started by ``start_case`` and waits at its timer start event until the timer fires.
So Camunda's "one timer job after deployment" is the started case's one open timer at the start event,
and "one process instance after the job ran" is that timer fired and the case running on past it.
"""

from __future__ import annotations

from sedflow import JournalKind

from .harness import START, assert_refused

IT = "timer_events/IntermediateTimerEventTest."
ST = "timer_events/StartTimerEventTest."


def test_catching_timer_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.IntermediateTimerEventTest#testCatchingTimerEvent"""
    d = deploy(IT + "testCatchingTimerEvent.bpmn20.xml")
    case = d.start("intermediateTimerEventExample")
    assert case.timer_ids() == ["timer"]
    assert case.due_at("timer").isoformat() == "2026-02-02T09:05:00+00:00"  # PT5M
    d.advance(minutes=50, seconds=5)
    assert case.timers() == []
    assert case.ended
    assert case.end_event() == "theEnd"


def test_expression(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.IntermediateTimerEventTest#testExpression

    ``#{dueDate}``: once a date-time (with its offset, as a serialised Date), once the text
    ``yyyy-MM-dd'T'HH:mm:ss`` of now; both timers are due at once and end their cases.

    A stated difference: a timer already due when it is armed fires in the same step in sedflow (Camunda
    leaves a due job for its job executor, which the Java test then runs); the case ends either way."""
    d = deploy(IT + "testExpression.bpmn20.xml")
    with_offset = d.start("intermediateTimerEventExample", {"dueDate": START})
    local_text = d.start("intermediateTimerEventExample", {"dueDate": "2026-02-02T09:00:00"})
    for case in (with_offset, local_text):
        assert case.timers() == []
        assert case.ended
        assert case.reached("timer")


def test_time_cycle(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.IntermediateTimerEventTest#testTimeCycle

    A cron cycle (``0 0/5 * * * ?``, every five minutes) on an intermediate catch event fires once."""
    case = deploy(IT + "testTimeCycle.bpmn20.xml").start("process")
    assert case.timer_ids() == ["timer"]
    case.fire_next_timer()
    assert case.timers() == []
    case.complete("task")
    assert case.ended


def _started_by_timer(case) -> bool:
    return case.count(JournalKind.TIMER_FIRED, "theStart") == 1


def test_duration_start_timer_event_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.StartTimerEventTest#testDurationStartTimerEvent

    Refused by design: the receive task names no message (Camunda lets the Java test trigger it; sedflow
    delivers named messages)."""
    assert_refused(ST + "testDurationStartTimerEvent.bpmn20.xml",
                   element="receive", match="receive task names no message")


def test_fixed_date_start_timer_event_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.StartTimerEventTest#testFixedDateStartTimerEvent

    ``timeDate`` 2036-11-14T11:12:22; the clock is set to 2036-11-15 11:12:30.

    Refused by design: the receive task names no message (Camunda lets the Java test trigger it; sedflow
    delivers named messages)."""
    assert_refused(ST + "testFixedDateStartTimerEvent.bpmn20.xml",
                   element="receive", match="receive task names no message")


def test_expression_start_timer_event_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.timer.StartTimerEventTest#testExpressionStartTimerEvent
    (ACT-1415): the fixed date is an expression, ``${'2036-11-14T11:12:22'}``.

    Refused by design: the receive task names no message (Camunda lets the Java test trigger it; sedflow
    delivers named messages)."""
    assert_refused(ST + "testExpressionStartTimerEvent.bpmn20.xml",
                   element="receive", match="receive task names no message")
