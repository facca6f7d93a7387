"""Camunda 7's SubProcessTest on sedflow: embedded and nested sub-processes, with timers, in parallel.

Camunda's activity instance tree is read from the journal: the sub-processes a case has entered and not
yet left (``Instance.open_scopes``).
"""

from __future__ import annotations

from .harness import assert_refused

D = "subprocess/SubProcessTest."


def test_simple_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testSimpleSubProcess"""
    case = deploy(D + "testSimpleSubProcess.bpmn20.xml").start("simpleSubProcess")
    assert case.open_tasks() == [("subProcessTask", "Task in subprocess")]
    assert case.open_scopes() == ["subProcess"]
    case.complete("subProcessTask")
    assert case.ended
    assert case.open_scopes() == []
    assert case.end_event() == "theEnd"


def test_simple_automatic_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testSimpleAutomaticSubProcess

    The sub-process holds only a manual task, which waits for no one: the case ends as it starts."""
    case = deploy(D + "testSimpleAutomaticSubProcess.bpmn20.xml").start("simpleSubProcessAutomatic")
    assert case.ended
    assert case.end_event() == "theEnd"


def test_simple_sub_process_with_timer(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testSimpleSubProcessWithTimer

    The clock moves 2 hours and 1 second; the timer on the sub-process fires and leaves it."""
    d = deploy(D + "testSimpleSubProcessWithTimer.bpmn20.xml")
    case = d.start("simpleSubProcess")
    assert case.open_tasks() == [("subProcessTask", "Task in subprocess")]
    assert case.open_scopes() == ["subProcess"]
    d.advance(hours=2, seconds=1)
    assert case.open_tasks() == [("escalationTask", "Fix escalated problem")]
    assert case.open_scopes() == []


def test_nested_simple_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testNestedSimpleSubProcess"""
    d = deploy(D + "testNestedSimpleSubProcess.bpmn20.xml")
    d.start("nestedSimpleSubProcess", {"someVar": "abc"})  # started (and deleted) in Camunda's test
    case = d.start("nestedSimpleSubProcess")
    assert case.open_tasks() == [("innerSubProcessTask", "Task in subprocess")]
    assert case.open_scopes() == ["innerSubProcess", "outerSubProcess"]
    case.complete("innerSubProcessTask")
    assert case.open_tasks() == [("afterSubProcessTask", "Task after subprocesses")]
    assert case.open_scopes() == []
    case.complete("afterSubProcessTask")
    assert case.ended


def test_nested_simple_subprocess_with_timer_on_inner_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testNestedSimpleSubprocessWithTimerOnInnerSubProcess

    The timer on the inner sub-process leaves it, and the case stays in the outer one."""  # noqa: E501
    d = deploy(D + "testNestedSimpleSubprocessWithTimerOnInnerSubProcess.bpmn20.xml")
    case = d.start("nestedSubProcessWithTimer")
    assert case.open_tasks() == [("innerSubProcessTask", "Task in subprocess")]
    assert case.open_scopes() == ["innerSubProcess", "outerSubProcess"]
    d.advance(hours=1, seconds=1)
    assert case.open_tasks() == [("escalationTask", "Escalated task")]
    assert case.open_scopes() == ["outerSubProcess"]
    case.complete("escalationTask")
    assert case.open_tasks() == [("afterSubProcessTask", "Task after subprocesses")]


def test_double_nested_simple_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testDoubleNestedSimpleSubProcess"""
    case = deploy(D + "testDoubleNestedSimpleSubProcess.bpmn20.xml").start("nestedSimpleSubProcess")
    assert case.open_tasks() == [("thirdSubProcessTask", "Task in subprocess")]
    case.complete("thirdSubProcessTask")
    assert case.open_tasks() == [("afterSubProcessTask", "Task after subprocesses")]


def test_simple_parallel_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testSimpleParallelSubProcess"""
    case = deploy(D + "testSimpleParallelSubProcess.bpmn20.xml").start("simpleParallelSubProcess")
    assert case.open_tasks() == [("task1", "Task A"), ("task2", "Task B")]
    assert case.open_scopes() == ["subProcess"]
    case.complete("task1")
    assert case.open_scopes() == ["subProcess"]  # task B and the join
    case.complete("task2")
    assert case.open_tasks() == [("taskAfterSubProcess", "Task after sub process")]


def test_simple_parallel_sub_process_with_timer(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testSimpleParallelSubProcessWithTimer"""
    case = deploy(D + "testSimpleParallelSubProcessWithTimer.bpmn20.xml").start("simpleParallelSubProcessWithTimer")
    assert case.open_tasks() == [("task1", "Task A"), ("task2", "Task B")]
    assert case.timer_ids() == ["timer"]
    case.fire_next_timer()
    assert case.open_tasks() == [("taskAfterTimer", "Task after timer")]
    case.complete("taskAfterTimer")
    assert case.ended


def test_two_sub_process_in_parallel(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testTwoSubProcessInParallel"""
    case = deploy(D + "testTwoSubProcessInParallel.bpmn20.xml").start("twoSubProcessInParallel")
    assert case.task_names() == ["Task in subprocess A", "Task in subprocess B"]
    assert case.open_scopes() == ["subProcessA", "subProcessB"]
    case.complete("subProcessATask")
    assert case.task_names() == ["Task after subprocess A", "Task in subprocess B"]
    case.complete("subProcessBTask")
    assert case.task_names() == ["Task after subprocess A", "Task after subprocess B"]
    case.complete("taskAfterSubProcessA")
    case.complete("taskAfterSubProcessB")
    assert case.ended


def test_two_sub_process_in_parallel_within_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testTwoSubProcessInParallelWithinSubProcess"""
    case = deploy(D + "testTwoSubProcessInParallelWithinSubProcess.bpmn20.xml").start(
        "twoSubProcessInParallelWithinSubProcess")
    assert case.open_tasks() == [("subProcessATask", "Task in subprocess A"),
                                 ("subProcessBTask", "Task in subprocess B")]
    assert case.open_scopes() == ["outerSubProcess", "subProcessA", "subProcessB"]
    case.complete("subProcessATask")
    case.complete("subProcessBTask")
    assert case.open_tasks() == [("taskAfterSubProcess", "Task after subprocess")]
    case.complete("taskAfterSubProcess")
    assert case.ended


def test_two_nested_sub_processes_in_parallel_with_timer(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testTwoNestedSubProcessesInParallelWithTimer

    The timer on the outer sub-process ends all three sub-processes."""
    case = deploy(D + "testTwoNestedSubProcessesInParallelWithTimer.bpmn20.xml").start(
        "nestedParallelSubProcessesWithTimer")
    assert case.task_names() == ["Task in subprocess A", "Task in subprocess B"]
    case.fire_next_timer()
    assert case.open_tasks() == [("taskAfterTimer", "Task after timer")]
    assert case.open_scopes() == []
    case.complete("taskAfterTimer")
    assert case.ended


def test_nested_simple_sub_process_without_end_event(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testNestedSimpleSubProcessWithoutEndEvent
    (ACT-1072): the outer sub-process has no end event; it completes when its inner one does."""
    case = deploy(D + "testNestedSimpleSubProcessWithoutEndEvent.bpmn20.xml").start("nestedSimpleSubProcess")
    assert case.open_tasks() == [("innerSubProcessTask", "Task in subprocess")]
    assert case.open_scopes() == ["innerSubProcess", "outerSubProcess"]
    case.complete("innerSubProcessTask")
    assert case.open_tasks() == [("afterSubProcessTask", "Task after subprocesses")]
    case.complete("afterSubProcessTask")
    assert case.ended


def test_simple_sub_process_without_end_event_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testSimpleSubProcessWithoutEndEvent

    As a refusal: the sub-process's only activity is a Groovy script task."""
    assert_refused(D + "testSimpleSubProcessWithoutEndEvent.bpmn20.xml", element="subprocessScriptTask",
                   match="script task")


def test_nested_sub_processes_without_end_events_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.subprocess.SubProcessTest#testNestedSubProcessesWithoutEndEvents

    As a refusal: the innermost activity is a Groovy script task."""
    assert_refused(D + "testNestedSubProcessesWithoutEndEvents.bpmn20.xml", element="innerSubProcessTask",
                   match="script task")
