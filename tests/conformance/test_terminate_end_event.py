"""Camunda 7's TerminateEndEventTest on sedflow: a terminate end event ends its scope (the process, a
sub-process, a called process) and everything still running in it, and nothing outside it."""

from __future__ import annotations

T = "terminate_end_event/TerminateEndEventTest."


def test_process_terminate(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testProcessTerminate

    Two parallel tasks; the one before the terminate end event ends the case, cancelling the other."""
    case = deploy(T + "testProcessTerminate.bpmn").start("terminateEndEventExample")
    assert case.tasks() == ["preNormalTerminateTask", "preTerminateTask"]
    case.complete("preTerminateTask")
    assert case.ended
    assert case.end_event() == "EndEvent_2"
    assert case.tasks() == []


def test_terminate_with_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testTerminateWithSubProcess

    The terminate end event at process level also ends a sub-process still running."""
    case = deploy(T + "testTerminateWithSubProcess.bpmn").start("terminateEndEventExample")
    assert case.tasks() == ["preNormalEnd", "preTerminateEnd"]
    assert case.open_scopes() == ["SubProcess_1"]
    case.complete("preTerminateEnd")
    assert case.ended
    assert case.open_scopes() == []


def test_terminate_with_call_activity(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testTerminateWithCallActivity

    ... and a called process still running."""
    d = deploy(T + "testTerminateWithCallActivity.bpmn", T + "subProcessNoTerminate.bpmn")
    case = d.start("terminateEndEventExample")
    assert case.tasks() == ["preTerminateEnd", "task"]
    case.complete("preTerminateEnd")
    assert case.ended
    assert case.tasks() == []


def test_terminate_in_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testTerminateInSubProcess

    A sub-process reaching a terminate end event at once ends only itself; the case runs on."""
    case = deploy(T + "testTerminateInSubProcess.bpmn").start("terminateEndEventExample")
    assert case.tasks() == ["preNormalEnd"]
    assert case.open_scopes() == []
    case.complete("preNormalEnd")
    assert case.ended


def test_terminate_in_sub_process_should_not_end_process_instance_in_history(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testTerminateInSubProcessShouldNotEndProcessInstanceInHistory
    (CAM-4067): the sub-process's terminate end event does not end the case, nor journal it as ended."""  # noqa: E501
    case = deploy(T + "testTerminateInSubProcess.bpmn").start("terminateEndEventExample")
    assert not case.ended
    assert case.end_event() is None


def test_terminate_in_sub_process_concurrent(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testTerminateInSubProcessConcurrent

    Inside the sub-process a fork reaches a user task and a terminate end event: the task is cancelled with
    the sub-process."""
    case = deploy(T + "testTerminateInSubProcessConcurrent.bpmn").start("terminateEndEventExample")
    assert case.tasks() == ["preNormalEnd"]
    case.complete("preNormalEnd")
    assert case.ended


def test_terminate_in_sub_process_multi_instance(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testTerminateInSubProcessMultiInstance"""
    case = deploy(T + "testTerminateInSubProcessMultiInstance.bpmn").start("terminateEndEventExample")
    assert case.tasks() == ["preNormalEnd"]
    case.complete("preNormalEnd")
    assert case.ended


def test_terminate_in_call_activity(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testTerminateInCallActivity

    The called process's terminate end event ends the called process only."""
    case = deploy(T + "testTerminateInCallActivity.bpmn", T + "subProcessTerminate.bpmn").start(
        "terminateEndEventExample")
    assert case.tasks() == ["preNormalEnd"]
    assert not case.ended
    case.complete("preNormalEnd")
    assert case.ended


def test_terminate_in_call_activity_concurrent(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testTerminateInCallActivityConcurrent

    The called process forks to a user task and a terminate end event: the task is cancelled with it."""
    case = deploy(T + "testTerminateInCallActivityConcurrent.bpmn", T + "subProcessConcurrentTerminate.bpmn").start(
        "terminateEndEventExample")
    assert case.tasks() == ["preNormalEnd"]
    case.complete("preNormalEnd")
    assert case.ended


def test_terminate_in_call_activity_multi_instance(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.event.end.TerminateEndEventTest#testTerminateInCallActivityMulitInstance"""  # noqa: E501
    case = deploy(T + "testTerminateInCallActivityMulitInstance.bpmn", T + "subProcessTerminate.bpmn").start(
        "terminateEndEventExample")
    assert case.tasks() == ["preNormalEnd"]
    case.complete("preNormalEnd")
    assert case.ended
