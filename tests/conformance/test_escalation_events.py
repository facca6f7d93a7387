"""Camunda 7's EscalationEventTest and EscalationEventSubprocessTest on sedflow.

Escalations thrown by intermediate throw and end events, caught by boundary events (interrupting or
not) and by escalation event sub-processes, matched by escalation code.
"""

from __future__ import annotations

from .harness import assert_refused

T = "escalation_events/EscalationEventTest."
S = "escalation_events/EscalationEventSubprocessTest."
IN_SUBPROCESS = ("taskInSubprocess", "task in subprocess")
CAUGHT = ("taskAfterCatchedEscalation", "task after catched escalation")


# ----------------------------------------------------------------------------------- boundary events

def test_throw_escalation_event_from_embedded_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventTest#testThrowEscalationEventFromEmbeddedSubprocess

    An intermediate escalation throw event inside a sub-process; a non-interrupting boundary event catches
    it and the sub-process runs on."""  # noqa: E501
    case = deploy(T + "testThrowEscalationEventFromEmbeddedSubprocess.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [CAUGHT, IN_SUBPROCESS]


def test_throw_escalation_event_hierarchical(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventTest#testThrowEscalationEventHierarchical

    The innermost boundary event catches the escalation; the outer one does not."""
    case = deploy(T + "testThrowEscalationEventHierarchical.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [
        ("taskAfterCatchedEscalationInsideSubprocess", "task after catched escalation inside subprocess"),
        IN_SUBPROCESS]


def test_boundary_event_with_escalation_code(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventTest#testBoundaryEventWithEscalationCode

    Of two boundary events, the one whose escalation code matches catches."""
    case = deploy(T + "testBoundaryEventWithEscalationCode.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [("taskAfterCatchedEscalation1", "task after catched escalation 1"), IN_SUBPROCESS]


def test_boundary_event_without_escalation_code(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventTest#testBoundaryEventWithoutEscalationCode

    The boundary event's escalation has no code: it catches every escalation."""  # noqa: E501
    case = deploy(T + "testBoundaryEventWithoutEscalationCode.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [CAUGHT, IN_SUBPROCESS]


def test_interrupting_escalation_boundary_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventTest#testInterruptingEscalationBoundaryEvent"""  # noqa: E501
    case = deploy(T + "testInterruptingEscalationBoundaryEvent.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [CAUGHT]


def test_escalation_end_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventTest#testEscalationEndEvent

    An escalation end event ends the sub-process; the non-interrupting boundary event's path runs."""
    case = deploy(T + "testEscalationEndEvent.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [CAUGHT]


def test_parallel_escalation_end_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventTest#testParallelEscalationEndEvent

    One branch of a fork in the sub-process ends with an escalation end event; the other runs on."""
    case = deploy(T + "testParallelEscalationEndEvent.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [CAUGHT, IN_SUBPROCESS]


def test_retrieve_escalation_code_variable_on_boundary_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventTest#testRetrieveEscalationCodeVariableOnBoundaryEvent

    ``camunda:escalationCodeVariable`` holds the code for the task after the boundary event."""  # noqa: E501
    case = deploy(T + "testRetrieveEscalationCodeVariableOnBoundaryEvent.bpmn20.xml").start("escalationProcess")
    task = case.task("taskAfterCatchedEscalation")
    assert case.variables(task=task.task_id).get("escalationCodeVar") == "escalationCode"


def test_non_interrupting_escalation_boundary_event_on_multi_instance_subprocess_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventTest#testNonInterruptingEscalationBoundaryEventOnMultiInstanceSubprocess

    Each of five parallel instances throws once: five caught paths, five tasks still in the sub-process.

    Refused by design: SpiffWorkflow loses the instances' sub-processes when a boundary event interrupts a
    multi-instance sub-process; sedflow asks for a sub-process around it instead."""  # noqa: E501
    assert_refused(T + "testNonInterruptingEscalationBoundaryEventOnMultiInstanceSubprocess.bpmn20.xml",
                   element="escalationBoundaryEvent", match="multi-instance")


def test_catch_escalation_event_from_embedded_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventSubprocessTest#testCatchEscalationEventFromEmbeddedSubprocess"""  # noqa: E501
    case = deploy(S + "testCatchEscalationEventFromEmbeddedSubprocess.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [CAUGHT, IN_SUBPROCESS]


def test_catch_escalation_event_from_top_level_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventSubprocessTest#testCatchEscalationEventFromTopLevelProcess"""  # noqa: E501
    case = deploy(S + "testCatchEscalationEventFromTopLevelProcess.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [CAUGHT, ("taskAfterThrownEscalation", "task after thrown escalation")]


def test_catch_escalation_event_from_call_activity(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventSubprocessTest#testCatchEscalationEventFromCallActivity

    The called process throws; the calling process's escalation event sub-process catches, the called
    process runs on."""  # noqa: E501
    d = deploy(T + "throwEscalationEvent.bpmn20.xml", S + "testCatchEscalationEventFromCallActivity.bpmn20.xml")
    case = d.start("catchEscalationProcess")
    assert case.open_tasks() == [CAUGHT, ("task", "task after thrown escalation")]


def test_prefer_escalation_event_subprocess_to_boundary_event_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventSubprocessTest#testPreferEscalationEventSubprocessToBoundaryEvent

    The event sub-process inside the scope catches, not the boundary event on it.

    Refused by design: SpiffWorkflow does not give the innermost catch precedence as Camunda does, so
    sedflow refuses two catches of one kind for one sub-process."""  # noqa: E501
    assert_refused(S + "testPreferEscalationEventSubprocessToBoundaryEvent.bpmn20.xml",
                   element="escalationEventSubprocess", match="precedence")


def test_escalation_event_subprocess_with_escalation_code_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventSubprocessTest#testEscalationEventSubprocessWithEscalationCode

    Refused by design: SpiffWorkflow does not give the innermost catch precedence as Camunda does, so
    sedflow refuses two catches of one kind for one sub-process."""  # noqa: E501
    assert_refused(S + "testEscalationEventSubprocessWithEscalationCode.bpmn20.xml",
                   element="escalationEventSubprocess1", match="precedence")


def test_interruption_escalation_event_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.escalation.EscalationEventSubprocessTest#testInterruptionEscalationEventSubprocess"""  # noqa: E501
    case = deploy(S + "testInterruptionEscalationEventSubprocess.bpmn20.xml").start("escalationProcess")
    assert case.open_tasks() == [CAUGHT]
