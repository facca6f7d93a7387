"""Camunda 7's ParallelGatewayTest on sedflow: fork and join, unbalanced and nested, joins waiting."""

from __future__ import annotations

from .harness import assert_refused

D = "parallel_gateway/ParallelGatewayTest."


def test_split_merge_no_waitstates(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testSplitMergeNoWaitstates

    Three branches split and join again with nothing to wait for: the case ends as it starts."""
    case = deploy(D + "testSplitMergeNoWaitstates.bpmn20.xml").start("forkJoinNoWaitStates")
    assert case.ended
    assert case.tasks() == []


def test_unstructured_concurrency_two_forks(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testUnstructuredConcurrencyTwoForks

    Two forks (one nested in the other's branch) feed one join of four branches."""
    case = deploy(D + "testUnstructuredConcurrencyTwoForks.bpmn20.xml").start("unstructuredConcurrencyTwoForks")
    assert case.ended
    assert case.end_event() == "theEnd"


def test_unstructured_concurrency_two_joins(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testUnstructuredConcurrencyTwoJoins"""
    case = deploy(D + "testUnstructuredConcurrencyTwoJoins.bpmn20.xml").start("unstructuredConcurrencyTwoJoins")
    assert case.ended


def test_fork_followed_by_only_end_events(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testForkFollowedByOnlyEndEvents"""
    case = deploy(D + "testForkFollowedByOnlyEndEvents.bpmn20.xml").start("forkFollowedByEndEvents")
    assert case.ended


def test_nested_forks_followed_by_end_events(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testNestedForksFollowedByEndEvents"""
    case = deploy(D + "testNestedForksFollowedByEndEvents.bpmn20.xml").start("nestedForksFollowedByEndEvents")
    assert case.ended
    assert all(case.reached(end) for end in ("end1", "end2", "end3", "end4"))


def test_nested_fork_join_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testNestedForkJoin (ACT-482)

    The diagram names its start and end events ``Start`` and ``End``.

    Refused by design: SpiffWorkflow, which runs sedflow's cases, keeps these ids for tasks of its own."""
    assert_refused(D + "testNestedForkJoin.bpmn20.xml", element="Start", match="reserved")


def test_recycling_execution_with_call_activity(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testReceyclingExecutionWithCallActivity
    (ACT-1222): a fork into a user task and a call activity; the parent's branch ends first."""
    case = deploy(D + "testReceyclingExecutionWithCallActivity.bpmn20.xml").start("parent-process")
    some_task, another_task = "sid-1F49ED80-AAF9-404B-81D7-C861BD4B720F", "sid-AC64BD66-A295-4B1D-93F7-AB8F0AE05966"
    assert case.open_tasks() == [(another_task, "Another task"), (some_task, "Some Task")]
    case.complete(some_task)
    assert case.open_tasks() == [(another_task, "Another task")]
    case.complete(another_task)  # the called process ends, and with it the parent
    assert case.tasks() == []
    assert case.ended


def test_completing_join(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testCompletingJoin

    Two plain tasks joined by a gateway that has no outgoing flow: the case ends there (no end event)."""
    case = deploy(D + "testCompletingJoin.bpmn").start("process")
    assert case.ended


def test_completing_join_in_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testCompletingJoinInSubProcess

    The same inside a sub-process, which has no end event either, nor does the process around it."""
    case = deploy(D + "testCompletingJoinInSubProcess.bpmn").start("process")
    assert case.ended


def test_parallel_gateway_before_and_in_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testParallelGatewayBeforeAndInSubProcess

    Three user tasks: the outer one beside the sub-process, the two inner ones inside it."""
    case = deploy(D + "testParallelGatewayBeforeAndInSubProcess.bpmn").start("process")
    assert case.open_tasks() == [("UserTask_2", "Inner User Task 1"), ("UserTask_4", "Inner User Task 2"),
                                 ("UserTask_1", "Outer User Task")]
    assert case.open_scopes() == ["SubProcess_1"]


def test_fork_join(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testForkJoin"""
    case = deploy(D + "testForkJoin.bpmn20.xml").start("forkJoin")
    assert case.open_tasks() == [("receivePayment", "Receive Payment"), ("shipOrder", "Ship Order")]
    case.complete("receivePayment")
    case.complete("shipOrder")
    assert case.open_tasks() == [("archiveOrder", "Archive Order")]


def test_unbalanced_fork_join(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ParallelGatewayTest#testUnbalancedForkJoin

    A fork into three; two branches join first, the third joins after the task that follows."""
    case = deploy(D + "testUnbalancedForkJoin.bpmn20.xml").start("UnbalancedForkJoin")
    assert case.open_tasks() == [("task1", "Task 1"), ("task2", "Task 2"), ("task3", "Task 3")]
    case.complete("task1")  # the first join waits for task 2
    assert case.tasks() == ["task2", "task3"]
    case.complete("task2")
    assert case.open_tasks() == [("task3", "Task 3"), ("task4", "Task 4")]
    case.complete("task3")  # the second join waits for task 4
    assert not case.ended
    case.complete("task4")
    assert case.ended
    assert case.end_event() == "theEnd"
