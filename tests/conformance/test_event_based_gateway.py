"""Camunda 7's EventBasedGatewayTest on sedflow: a timer and a signal (or message) after one gateway."""

from __future__ import annotations

from sedflow import JournalKind

from .harness import assert_refused

D = "event_based_gateway/EventBasedGatewayTest."


def test_catch_signal_cancels_timer(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.EventBasedGatewayTest#testCatchSignalCancelsTimer

    A signal catch and a PT0S timer after the gateway; another instance throws the signal, and in Camunda
    the signal branch is taken ('afterSignal') because no job executor has run the due timer job yet. The
    stated difference (README): a timer due when it is armed fires in the step that arms it, so here the
    timer branch is taken at once and the signal thrown afterwards finds no subscription. That the signal
    branch wins and withdraws a timer not yet due is ``tests/test_signals.py`` (the gateway catch)."""
    d = deploy(D + "testCatchAlertAndTimer.bpmn20.xml", D + "throwAlertSignal.bpmn20.xml")
    case = d.start("catchSignal")
    assert case.task_names() == ["afterTimer"]  # PT0S: the timer won before any signal could come
    d.start("throwSignal")
    d.tick()
    assert case.task_names() == ["afterTimer"] and case.count(JournalKind.SIGNAL_RECEIVED, "signalEvent") == 0


def test_catch_timer_cancels_signal(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.EventBasedGatewayTest#testCatchTimerCancelsSignal

    A signal catch and a PT0S timer after the gateway: the timer fires and the signal catch is withdrawn
    (a later broadcast reaches no one). A stated difference: the timer, due when armed, fires in the same
    step (Camunda: a due job its job executor runs, as the Java test does 10 s on)."""
    d = deploy(D + "testCatchAlertAndTimer.bpmn20.xml")
    case = d.start("catchSignal")
    assert case.task_names() == ["afterTimer"] and case.timers() == []
    assert d.signal("alert").delivered == []  # no subscription left
    case.complete("task1")
    assert case.ended


def test_time_cycle(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.EventBasedGatewayTest#testTimeCycle

    The gateway's timer is a cron cycle (``0 0/5 * * * ?``): it fires once (one job, then none), the
    gateway leaves the signal branch, and the instance ends after the task."""
    d = deploy(D + "testTimeCycle.bpmn20.xml")
    case = d.start("process")
    assert case.timer_ids() == ["timerEvent"]
    case.fire_next_timer()
    assert case.timers() == [] and case.task_names() == ["afterTimer"]
    case.complete("task1")
    assert case.ended


def test_connected_to_activity_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.EventBasedGatewayTest#testConnectedToActitity

    An event-based gateway followed by a service task: refused at deployment, at the gateway, saying it
    may only lead to intermediate catch events (or receive tasks)."""
    assert_refused(D + "testConnectedToActivity.bpmn20.xml", element="gw1", match=r"intermediate ?catch ?event")


def test_invalid_sequence_flow_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.EventBasedGatewayTest#testInvalidSequenceFlow

    A catch event after the gateway has a second incoming flow (from the start event): refused at
    deployment, at that flow."""
    assert_refused(D + "testEventInvalidSequenceFlow.bpmn20.xml", element="invalidFlow")
