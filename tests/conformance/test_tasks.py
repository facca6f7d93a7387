"""Camunda 7's StartToEndTest, ParallelTest and UserTaskTest on sedflow: user tasks wait, plain and
manual tasks pass straight through."""

from __future__ import annotations

from .harness import assert_refused

D = "tasks/"


def test_start_to_end(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.StartToEndTest#testStartToEnd"""
    case = deploy(D + "StartToEndTest.testStartToEnd.bpmn20.xml").start("startToEnd")
    assert case.ended
    assert case.end_event() == "theEnd"


def test_parallel(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.parallel.ParallelTest#testParallel

    A manual task, a fork into a user task and another manual task: the manual tasks complete on arrival,
    the user task waits."""
    case = deploy(D + "ParallelTest.testParallel.bpmn20.xml").start("myProc")
    assert case.tasks() == ["userTask1"]
    assert case.reached("manTask1") and case.reached("manTask2") and case.reached("theEnd2")
    assert not case.ended


def test_simple_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.usertask.UserTaskTest#testSimpleProcess

    Two user tasks in sequence (their candidate users are not sedflow's business)."""
    case = deploy(D + "UserTaskTest.testSimpleProcess.bpmn20.xml").start("financialReport")
    assert case.open_tasks() == [("writeReportTask", "Write monthly financial report")]
    case.complete("writeReportTask")
    assert case.open_tasks() == [("verifyReportTask", "Verify monthly financial report")]
    case.complete("verifyReportTask")
    assert case.ended


def test_complex_scenario_with_subprocesses_and_parallel_gateways_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.usertask.UserTaskTest#testComplexScenarioWithSubprocessesAndParallelGateways

    Nested sub-processes, forks, sequential and parallel multi-instance sub-processes and expression
    service tasks (``${true}``): 13 user tasks open at once.

    Refused by design: sedflow runs no code from diagrams, not even ``camunda:expression`` service tasks."""  # noqa: E501
    assert_refused(D + "UserTaskTest.testComplexScenarioWithSubprocessesAndParallelGateways.bpmn",
                   element="runSomeService", match="service tasks are refused")
