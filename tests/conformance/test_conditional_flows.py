"""Camunda 7's ConditionalSequenceFlowTest, DefaultSequenceFlowTest, SequenceFlowTest and
UncontrolledFlowTest on sedflow: conditional and default flows out of events and activities (no
gateway), and several unconditional flows out of one activity (an implicit parallel split)."""

from __future__ import annotations

import pytest
from sedflow import SedflowError

from .harness import assert_refused

D = "conditional_flows/"


def test_uel_expression(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.sequenceflow.ConditionalSequenceFlowTest#testUelExpression

    Two conditional flows out of the start event; the one whose condition holds is taken."""
    case = deploy(D + "ConditionalSequenceFlowTest.testUelExpression.bpmn20.xml").start(
        "condSeqFlowUelExpr", {"input": "right"})
    assert case.open_tasks() == [("task2", "task right")]


def test_no_expression_true_throws_exception(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.sequenceflow.ConditionalSequenceFlowTest#testNoExpressionTrueThrowsException
    (CAM-1773): no condition out of the start event holds and there is no default: starting fails,
    naming the start event, and no case is left."""  # noqa: E501
    d = deploy(D + "ConditionalSequenceFlowTest.testUelExpression.bpmn20.xml")
    with pytest.raises(SedflowError) as failed:
        d.start("condSeqFlowUelExpr", {"input": "non-existing-value"})
    assert "theStart" in str(failed.value)
    assert d.cases() == []


def test_value_and_method_expression_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.sequenceflow.ConditionalSequenceFlowTest#testValueAndMethodExpression

    As a refusal: the conditions read properties and call methods of a Java object (``${order.price <= 250}``)."""  # noqa: E501
    assert_refused(D + "ConditionalSequenceFlowTest.testValueAndMethodExpression.bpmn20.xml", element="flow2")


def test_script_expression(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.sequenceflow.ConditionalScriptSequenceFlowTest#testScriptExpression

    Conditions in ``language="groovy"`` whose text (``foo == 'left'``) is also an expression sedflow reads."""  # noqa: E501
    d = deploy(D + "ConditionalScriptSequenceFlowTest.testScriptExpression.bpmn20.xml")
    for direction in ("left", "right"):
        case = d.start("process", {"foo": direction})
        assert case.tasks() == [direction]
        case.complete(direction)


def test_default_sequence_flow_on_task_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.sequenceflow.DefaultSequenceFlowTest#testDefaultSequenceFlowOnTask

    A manual task with a default flow and two conditional ones; the case waits in the receive task the
    chosen flow leads to.

    Refused by design: the receive task names no message (Camunda lets the Java test trigger it; sedflow
    delivers named messages)."""
    assert_refused(D + "DefaultSequenceFlowTest.testDefaultSequenceFlowOnTask.bpmn20.xml", element="task1",
                   match="receive task names no message")


def test_take_all_outgoing_flows_from_non_scope_task(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.sequenceflow.SequenceFlowTest#testTakeAllOutgoingFlowsFromNonScopeTask

    Two unconditional flows out of a user task: both are taken."""  # noqa: E501
    case = deploy(D + "SequenceFlowTest.testTakeAllOutgoingFlowsFromNonScopeTask.bpmn20.xml").start("testProcess")
    case.complete("task1")
    assert case.tasks() == ["task2", "task3"]
    case.complete("task2")
    case.complete("task3")
    assert case.ended


def test_take_all_outgoing_flows_from_scope_task(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.sequenceflow.SequenceFlowTest#testTakeAllOutgoingFlowsFromScopeTask

    The same from a task with a boundary timer on it."""
    case = deploy(D + "SequenceFlowTest.testTakeAllOutgoingFlowsFromScopeTask.bpmn20.xml").start("testProcess")
    case.complete("task1")
    assert case.tasks() == ["task2", "task3"]
    case.complete("task2")
    case.complete("task3")
    assert case.ended


def test_sub_process_two_outgoing_flows_end_process(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.sequenceflow.UncontrolledFlowTest#testSubProcessTwoOutgoingFlowsEndProcess

    Two unconditional flows out of a sub-process, each to an end event: both are taken and the case ends."""  # noqa: E501
    case = deploy(D + "UncontrolledFlowTest.testSubProcessTwoOutgoingFlowsEndProcess.bpmn20.xml").start("process")
    case.complete("innerTask")
    assert case.ended
    assert case.reached("end1") and case.reached("end2")
