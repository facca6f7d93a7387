"""Camunda 7's BoundaryErrorEventTest, ErrorEndEventTest and ErrorEventSubProcessTest on sedflow.

Errors thrown by error end events and caught by boundary events (on sub-processes, call activities,
multi-instance sub-processes) and by error event sub-processes; error code and message variables.
"""

from __future__ import annotations

from .harness import assert_refused

B = "error_events/BoundaryErrorEventTest."
END = "error_events/ErrorEndEventTest."
ESP = "error_events/ErrorEventSubProcessTest."


# -------------------------------------------------------------------------------------- boundary events

def test_catch_error_on_embedded_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testCatchErrorOnEmbeddedSubprocess

    A catch-all error boundary event (no errorRef) on a sub-process whose end event throws ``myError``."""
    case = deploy(B + "testCatchErrorOnEmbeddedSubprocess.bpmn20.xml").start("boundaryErrorOnEmbeddedSubprocess")
    assert case.open_tasks() == [("subprocessTask", "subprocessTask")]
    case.complete("subprocessTask")
    assert case.open_tasks() == [("taskAfterErrorCatch", "task after catching the error")]


def test_catch_error_on_embedded_subprocess_without_error_code(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testCatchErrorOnEmbeddedSubprocessWithoutErrorCode

    The same, with an ``<error>`` that has no errorCode declared beside the thrown one."""  # noqa: E501
    case = deploy(B + "testCatchErrorOnEmbeddedSubprocessWithoutErrorCode.bpmn20.xml").start(
        "boundaryErrorOnEmbeddedSubprocess")
    assert case.open_tasks() == [("subprocessTask", "subprocessTask")]
    case.complete("subprocessTask")
    assert case.open_tasks() == [("taskAfterErrorCatch", "task after catching the error")]


def test_catch_error_of_inner_subprocess_on_outer_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testCatchErrorOfInnerSubprocessOnOuterSubprocess

    The inner sub-process's boundary event catches another code; the error passes it to the outer one's."""  # noqa: E501
    case = deploy(B + "testCatchErrorOfInnerSubprocessOnOuterSubprocess.bpmn20.xml").start("boundaryErrorTest")
    assert case.open_tasks() == [("innerTask1", "Inner subprocess task 1"), ("innerTask2", "Inner subprocess task 2")]
    case.complete("innerTask2")
    assert case.open_tasks() == [("taskAfterErrorCatch", "task outside subprocess")]


def test_catch_error_in_concurrent_embedded_subprocesses(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testCatchErrorInConcurrentEmbeddedSubprocesses

    Two parallel inner sub-processes: error 1 (from task A's) is caught on the outer sub-process and ends
    both; error 2 (from task B's) is caught on its own sub-process, and task A runs on."""  # noqa: E501
    d = deploy(B + "testCatchErrorInConcurrentEmbeddedSubprocesses.bpmn20.xml")
    first = d.start("boundaryEventTestConcurrentSubprocesses")
    assert first.open_tasks() == [("taskA", "task A"), ("taskB", "task B")]
    first.complete("taskA")
    assert first.open_tasks() == [("taskD", "task D")]
    first.complete("taskD")
    assert first.ended

    second = d.start("boundaryEventTestConcurrentSubprocesses")
    assert second.open_tasks() == [("taskA", "task A"), ("taskB", "task B")]
    second.complete("taskB")
    assert second.open_tasks() == [("taskA", "task A"), ("taskC", "task C")]
    second.complete("taskC")
    assert second.open_tasks() == [("taskA", "task A")]
    second.complete("taskA")
    assert second.open_tasks() == [("taskD", "task D")]


def test_catch_error_thrown_by_call_activity_on_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testCatchErrorThrownByCallActivityOnSubprocess

    The called process ends with an error end event; the boundary event on the sub-process around the
    call activity catches it. Neither diagram declares ``myError`` (an errorRef without ``<error>``)."""  # noqa: E501
    d = deploy(B + "testCatchErrorThrownByCallActivityOnSubprocess.bpmn20.xml", B + "subprocess.bpmn20.xml")
    case = d.start("catchErrorOnSubprocess")
    assert case.open_tasks() == [("task", "Task in subprocess")]
    case.complete("task")
    assert case.open_tasks() == [("escalatedTask", "Escalated Task")]
    case.complete("escalatedTask")
    assert case.ended


def test_catch_error_thrown_by_call_activity_on_call_activity(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testCatchErrorThrownByCallActivityOnCallActivity

    Two levels of called processes; the error propagates up through both."""  # noqa: E501
    d = deploy(B + "testCatchErrorThrownByCallActivityOnCallActivity.bpmn20.xml", B + "subprocess2ndLevel.bpmn20.xml",
               B + "subprocess.bpmn20.xml")
    case = d.start("catchErrorOnCallActivity2ndLevel")
    assert case.open_tasks() == [("task", "Task in subprocess")]
    case.complete("task")
    assert case.open_tasks() == [("escalatedTask", "Escalated Task")]
    case.complete("escalatedTask")
    assert case.ended


def test_catch_error_on_parallel_multi_instance_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testCatchErrorOnParallelMultiInstance

    Five parallel instances; the third completed with ``throwError`` true throws, and the boundary event
    ends the whole activity (the two left are cancelled) and the case.

    Refused by design: SpiffWorkflow loses the instances' sub-processes when a boundary event interrupts a
    multi-instance sub-process; sedflow asks for a sub-process around it instead."""
    assert_refused(B + "testCatchErrorOnParallelMultiInstance.bpmn20.xml", element="catchError", match="multi-instance")


def test_catch_error_on_sequential_multi_instance_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testCatchErrorOnSequentialMultiInstance

    Refused by design: SpiffWorkflow loses the instances' sub-processes when a boundary event interrupts a
    multi-instance sub-process; sedflow asks for a sub-process around it instead."""
    assert_refused(B + "testCatchErrorOnSequentialMultiInstance.bpmn20.xml", element="catchError",
                   match="multi-instance")


def test_deeply_nested_error_thrown(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testDeeplyNestedErrorThrown

    Five nested sub-processes; error1 is caught three levels up (inside the outermost sub-process, whose
    path then ends), error2 on the outermost one (to a task). Neither error is declared."""
    d = deploy(B + "testDeeplyNestedErrorThrown.bpmn20.xml")
    one = d.start("deeplyNestedErrorThrown")
    assert one.open_tasks() == [("taskInSubprocess", "Nested task")]
    one.complete("taskInSubprocess", {"input": 1})
    assert one.ended

    two = d.start("deeplyNestedErrorThrown")
    assert two.open_tasks() == [("taskInSubprocess", "Nested task")]
    two.complete("taskInSubprocess", {"input": 2})
    assert two.open_tasks() == [("taskAfterCatch", "task after catch")]
    two.complete("taskAfterCatch")
    assert two.ended


def test_concurrent_executions_interrupted_on_destroy_scope(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testConcurrentExecutionsInterruptedOnDestroyScope

    A fork inside the sub-process: one branch throws at once; the other branch's task is cancelled with the
    sub-process, and the case continues after the boundary event."""  # noqa: E501
    case = deploy(B + "testConcurrentExecutionsInterruptedOnDestroyScope.bpmn20.xml").start("process")
    assert case.tasks() == ["taskAfterErrorCatch"]


def test_throw_error_without_error_code_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.BoundaryErrorEventTest#testThrowErrorWithoutErrorCode

    An error end event throws an ``<error>`` without errorCode: refused at deployment, at the end event."""
    assert_refused(B + "testThrowErrorWithoutErrorCode.bpmn20.xml", element="theEnd", match="errorCode")


# ---------------------------------------------------------------------------------- error end events

def test_error(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.ErrorEndEventTest#testError

    The boundary event's ``camunda:errorCodeVariable`` gets the error's code; there is no message."""
    case = deploy(END + "testError.bpmn20.xml").start("testError")
    variables = case.variables()
    assert variables.get("errorCode") == "123"
    assert variables.get("errorMessage") is None


def test_error_message(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.ErrorEndEventTest#testErrorMessage

    The error's ``camunda:errorMessage`` goes to the ``camunda:errorMessageVariable``."""
    case = deploy(END + "testErrorMessage.bpmn20.xml").start("testErrorMessage")
    variables = case.variables()
    assert variables.get("errorCode") == "123"
    assert variables.get("errorMessage") == "This is the error message indicating what went wrong."


# ---------------------------------------------------------------------------- error event sub-processes

def test_catch_error_in_embedded_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.ErrorEventSubProcessTest#testCatchErrorInEmbeddedSubProcess

    An error event sub-process inside the sub-process whose end event throws."""
    case = deploy(ESP + "testCatchErrorInEmbeddedSubProcess.bpmn20.xml").start("CatchErrorInEmbeddedSubProcess")
    assert case.open_tasks() == [("taskAfterErrorCatch", "Escalated Task")]
    case.complete("taskAfterErrorCatch")
    assert case.ended


def test_event_subprocess_takes_precedence_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.ErrorEventSubProcessTest#testEventSubprocessTakesPrecedence

    The error event sub-process inside the scope catches before the boundary event on it.

    Refused by design: SpiffWorkflow does not give the innermost catch precedence as Camunda does, so
    sedflow refuses two catches of one kind for one sub-process."""
    assert_refused(ESP + "testEventSubprocessTakesPrecedence.bpmn20.xml",
                   element="eventSubProcess", match="precedence")


def test_error_code_takes_precedence_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.ErrorEventSubProcessTest#testErrorCodeTakesPrecedence

    Of two error event sub-processes, the one naming the error catches it, not the catch-all.

    Refused by design: SpiffWorkflow does not give the innermost catch precedence as Camunda does, so
    sedflow refuses two catches of one kind for one sub-process."""
    assert_refused(ESP + "testErrorCodeTakesPrecedence.bpmn20.xml",
                   element="eventSubProcess", match="precedence")


def test_thrown_an_error_in_event_subprocess_in_subprocess(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.ErrorEventSubProcessTest#testThrownAnErrorInEventSubprocessInSubprocess

    A non-interrupting timer event sub-process (``R/PT10S``) inside a sub-process throws an error, which the
    boundary event on the sub-process catches; no timer is left."""  # noqa: E501
    case = deploy(ESP + "testThrownAnErrorInEventSubprocessInSubprocess.bpmn20.xml").start("eventSubProcess")
    assert case.open_tasks() == [("UserTask_inside", "inside subprocess")]
    assert case.timer_ids() == ["StartEvent_eventsub"]
    case.fire_next_timer()
    assert case.open_tasks() == [("UserTask_afterCatch", "after catch")]
    assert case.timers() == []


def test_catch_error_event_subprocess_set_error_variables_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.event.error.ErrorEventSubProcessTest#testCatchErrorEventSubprocessSetErrorVariables

    The error event sub-process's start event names ``camunda:errorCodeVariable``: it holds the code.

    Refused by design: SpiffWorkflow does not pass the caught code to an event sub-process, so sedflow refuses
    the attribute there (a boundary event sets it; ``test_error`` shows that)."""  # noqa: E501
    assert_refused(ESP + "testCatchErrorEventSubprocessSetErrorVariables.bpmn", element="StartEvent_2",
                   match="errorCodeVariable")
