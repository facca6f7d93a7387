"""Camunda 7's InclusiveGatewayTest on sedflow: diverging, merging (partly), the default flow, loops."""

from __future__ import annotations

import pytest
from sedflow import SedflowError

from .harness import assert_refused

D = "inclusive_gateway/InclusiveGatewayTest."


def test_diverging_inclusive_gateway(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testDivergingInclusiveGateway

    Every flow whose condition holds is taken: input 1 reaches three tasks, 2 two, 3 one."""
    d = deploy(D + "testDivergingInclusiveGateway.bpmn20.xml")
    expected = {1: ["theTask1", "theTask2", "theTask3"], 2: ["theTask2", "theTask3"], 3: ["theTask3"]}
    for i, tasks in expected.items():
        case = d.start("inclusiveGwDiverging", {"input": i})
        assert case.tasks() == tasks, i
        assert len(case.tasks()) == 4 - i


def test_merging_inclusive_gateway(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testMergingInclusiveGateway

    Conditional flows out of the start event: two of three hold, and the inclusive gateway joins both
    into one task."""
    case = deploy(D + "testMergingInclusiveGateway.bpmn20.xml").start("inclusiveGwMerging", {"input": 2})
    assert case.tasks() == ["theTask"]


def test_partial_merging_inclusive_gateway(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testPartialMergingInclusiveGateway

    The first join gets the only token that can reach it and passes; the second waits for the partial task."""
    case = deploy(D + "testPartialMergingInclusiveGateway.bpmn20.xml").start("partialInclusiveGwMerging",
                                                                            {"input": 2})
    assert case.tasks() == ["partialTask"]
    case.complete("partialTask")
    assert case.tasks() == ["theTask"]


def test_no_sequence_flow_selected(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testNoSequenceFlowSelected"""
    d = deploy(D + "testNoSequenceFlowSelected.bpmn20.xml")
    with pytest.raises(SedflowError) as failed:
        d.start("inclusiveGwNoSeqFlowSelected", {"input": 4})
    assert "inclusiveGw" in str(failed.value)
    assert d.cases() == []


def test_parent_activation_on_non_joining_end(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testParentActivationOnNonJoiningEnd
    (ACT-1216): two branches of two checks each, ending at end events of their own."""
    case = deploy(D + "testParentActivationOnNonJoiningEnd.bpmn20.xml").start("parentActivationOnNonJoiningEnd")
    assert case.tasks() == ["first_check", "first_check_2"]
    case.complete("first_check")
    case.complete("first_check_2")
    assert case.tasks() == ["second_check", "second_check_2"]
    case.complete("second_check")
    assert case.tasks() == ["second_check_2"]
    assert not case.ended
    case.complete("second_check_2")
    assert case.ended


def test_whitespace_in_expression(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testWhitespaceInExpression"""
    case = deploy(D + "testWhitespaceInExpression.bpmn20.xml").start("inclusiveWhiteSpaceInExpression", {"input": 1})
    assert case.tasks() == ["theTask1"]


def test_unknown_variable_in_expression(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testUnknownVariableInExpression"""
    d = deploy(D + "testDivergingInclusiveGateway.bpmn20.xml")
    with pytest.raises(SedflowError) as failed:
        d.start("inclusiveGwDiverging", {"iinput": 1})
    assert "input" in str(failed.value)
    assert d.cases() == []


def test_default_sequence_flow(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testDefaultSequenceFlow

    The default flow is taken only when no condition holds."""
    d = deploy(D + "testDefaultSequenceFlow.bpmn20.xml")
    one = d.start("inclusiveGwDefaultSequenceFlow", {"input": 1})
    assert one.open_tasks() == [("theTask1", "Input is one"), ("theTask3", "Input is three or one")]
    three = d.start("inclusiveGwDefaultSequenceFlow", {"input": 3})
    assert three.open_tasks() == [("theTask3", "Input is three or one")]
    other = d.start("inclusiveGwDefaultSequenceFlow", {"input": 5})
    assert other.open_tasks() == [("theTask2", "Default input")]


def test_default_sequence_flow_execution_is_active(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testDefaultSequenceFlowExecutionIsActive

    After the default flow the case is active at ``theTask2``, and nowhere else."""
    case = deploy(D + "testDefaultSequenceFlow.bpmn20.xml").start("inclusiveGwDefaultSequenceFlow", {"input": 5})
    assert not case.ended
    assert case.tasks() == ["theTask2"]


def test_split_merge_split(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testSplitMergeSplit

    The joining gateway's only outgoing flow is its default flow: after the join, one task."""
    case = deploy(D + "testSplitMergeSplit.bpmn20.xml").start("inclusiveGwSplitAndMerge", {"input": 1})
    assert case.tasks() == ["theTask1", "theTask2"]
    case.complete("theTask1")
    case.complete("theTask2")
    assert case.tasks() == ["theTask3"]


def test_no_id_on_sequence_flow(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testNoIdOnSequenceFlow

    An unconditional flow out of an inclusive gateway (no id either) is always taken."""
    d = deploy(D + "testNoIdOnSequenceFlow.bpmn20.xml")
    assert d.start("inclusiveNoIdOnSequenceFlow", {"input": 3}).open_tasks() == [
        ("theTask2", "Input is more than one")]
    assert d.start("inclusiveNoIdOnSequenceFlow", {"input": 1}).open_tasks() == [  # sorted by name
        ("theTask2", "Input is more than one"), ("theTask1", "Input is one")]


def test_loop_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testLoop

    As a refusal: the loop's counter is kept by a Groovy script task."""
    assert_refused(D + "testLoop.bpmn20.xml", element="A", match="script task")


def test_join_after_subprocesses(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testJoinAfterSubprocesses (ACT-1204)"""
    d = deploy(D + "testJoinAfterSubprocesses.bpmn20.xml")
    both = d.start("InclusiveGateway", {"a": 1, "b": 1})
    assert both.tasks() == ["usertask1", "usertask2"]
    both.complete("usertask1")
    assert both.tasks() == ["usertask2"]  # the join waits for the other sub-process
    both.complete("usertask2")
    assert both.tasks() == ["usertask3"]
    both.complete("usertask3")
    assert both.ended

    one = d.start("InclusiveGateway", {"a": 1, "b": 2})
    assert one.tasks() == ["usertask1"]
    one.complete("usertask1")
    assert one.tasks() == ["usertask3"]
    one.complete("usertask3")
    assert one.ended

    with pytest.raises(SedflowError):
        d.start("InclusiveGateway", {"a": 2, "b": 2})
    assert len(d.cases()) == 2


def test_join_after_call(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testJoinAfterCall (ACT-1026)

    Unconditional flows into two tasks and a call activity, joined by an inclusive gateway."""
    d = deploy(D + "testJoinAfterCall.bpmn20.xml", D + "testJoinAfterCallSubProcess.bpmn20.xml")
    case = d.start("InclusiveGatewayAfterCall")
    assert case.open_tasks() == [("taskA", "Task A"), ("taskB", "Task B"), ("taskC", "Task C")]
    case.complete("taskA")
    assert case.tasks() == ["taskB", "taskC"]
    case.complete("taskB")
    assert case.tasks() == ["taskC"]
    case.complete("taskC")
    assert case.open_tasks() == [("taskD", "Task D")]
    case.complete("taskD")
    assert case.ended


def test_decision_functionality(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testDecisionFunctionality"""
    d = deploy(D + "testDecisionFunctionality.bpmn20.xml")
    expected = {1: ["Task 1", "Task 2", "Task 3"], 2: ["Task 2", "Task 3"], 3: ["Task 3"]}
    for i, names in expected.items():
        assert d.start("inclusiveGateway", {"input": i}).task_names() == names, i
    with pytest.raises(SedflowError):
        d.start("inclusiveGateway", {"input": 4})


def test_join_after_sequential_multi_instance_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testJoinAfterSequentialMultiInstanceSubProcess

    The join waits while the multi-instance sub-process still runs (despite the name, the diagram's
    ``multiInstanceLoopCharacteristics`` has no ``isSequential``: its two instances run in parallel)."""  # noqa: E501
    case = deploy(D + "testJoinAfterSequentialMultiInstanceSubProcess.bpmn20.xml").start("process")
    case.complete("task")
    assert "taskAfterJoin" not in case.tasks()
    assert case.tasks() == ["innerTask", "innerTask"]


def test_join_after_parallel_multi_instance_sub_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testJoinAfterParallelMultiInstanceSubProcess"""  # noqa: E501
    case = deploy(D + "testJoinAfterParallelMultiInstanceSubProcess.bpmn20.xml").start("process")
    case.complete("task")
    assert "taskAfterJoin" not in case.tasks()
    assert case.tasks() == ["innerTask", "innerTask"]


def test_join_after_nested_scopes(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testJoinAfterNestedScopes

    The join waits while a token is inside a sub-process nested in a sub-process."""
    case = deploy(D + "testJoinAfterNestedScopes.bpmn20.xml").start("process")
    case.complete("task")
    assert "taskAfterJoin" not in case.tasks()
    assert case.tasks() == ["innersubprocessTask"]


def test_looping_inclusive_gateways(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.InclusiveGatewayTest#testLoopingInclusiveGateways

    Five inclusive gateways in a loop, all flows unconditional: the case stops at task 1 and task 2 (and
    inclusiveGw3 waits for task 2's token)."""
    case = deploy(D + "testLoopingInclusiveGateways.bpmn").start("process")
    assert case.tasks() == ["task1", "task2"]
    assert not case.ended
