"""Camunda 7's ExclusiveGatewayTest on sedflow: conditions, the default flow, no flow selected."""

from __future__ import annotations

import pytest
from sedflow import DefinitionError, SedflowError, load_files

from .harness import assert_refused

D = "exclusive_gateway/ExclusiveGatewayTest."


def test_diverging_exclusive_gateway(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testDivergingExclusiveGateway"""
    d = deploy(D + "testDivergingExclusiveGateway.bpmn20.xml")
    for i in (1, 2, 3):
        case = d.start("exclusiveGwDiverging", {"input": i})
        assert case.open_tasks() == [(f"theTask{i}", f"Task {i}")]


def test_merging_exclusive_gateway(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testMergingExclusiveGateway

    Three flows from the start event into one exclusive gateway: it does not join, each token passes."""
    d = deploy(D + "testMergingExclusiveGateway.bpmn20.xml")
    case = d.start("exclusiveGwMerging")
    assert case.tasks() == ["theTask", "theTask", "theTask"]


def test_multiple_valid_conditions(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testMultipleValidConditions

    Several conditions hold: the first flow defined is taken."""
    d = deploy(D + "testMultipleValidConditions.bpmn20.xml")
    case = d.start("exclusiveGwMultipleValidConditions", {"input": 5})
    assert case.open_tasks() == [("theTask2", "Task 2")]


def test_no_sequence_flow_selected(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testNoSequenceFlowSelected

    No condition holds and there is no default: starting fails, naming the gateway, and no case is left."""
    d = deploy(D + "testNoSequenceFlowSelected.bpmn20.xml")
    with pytest.raises(SedflowError) as failed:
        d.start("exclusiveGwNoSeqFlowSelected", {"input": 4})
    assert "exclusiveGw" in str(failed.value)
    assert d.cases() == []


def test_whitespace_in_expression(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testWhitespaceInExpression

    A condition written over several lines, with spaces around ``${...}``, is evaluated as any other."""
    d = deploy(D + "testWhitespaceInExpression.bpmn20.xml")
    case = d.start("whiteSpaceInExpression", {"input": 1})
    assert case.open_tasks() == [("theTask1", "Task 1")]


def test_unknown_variable_in_expression(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testUnknownVariableInExpression

    The case starts with ``iinput`` (a typo) instead of ``input``: evaluating the conditions fails, naming
    the unknown name, and no case is left."""
    d = deploy(D + "testDivergingExclusiveGateway.bpmn20.xml")
    with pytest.raises(SedflowError) as failed:
        d.start("exclusiveGwDiverging", {"iinput": 1})
    assert "input" in str(failed.value)
    assert d.cases() == []


def test_default_sequence_flow(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testDefaultSequenceFlow"""
    d = deploy(D + "testDefaultSequenceFlow.bpmn20.xml")
    assert d.start("exclusiveGwDefaultSequenceFlow", {"input": 1}).open_tasks() == [("theTask1", "Input is one")]
    assert d.start("exclusiveGwDefaultSequenceFlow", {"input": 5}).open_tasks() == [("theTask2", "Default input")]


def test_no_id_on_sequence_flow(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testNoIdOnSequenceFlow

    Two flows without an id, the second without a condition (taken when the first does not hold)."""
    d = deploy(D + "testNoIdOnSequenceFlow.bpmn20.xml")
    case = d.start("noIdOnSequenceFlow", {"input": 3})
    assert case.open_tasks() == [("theTask2", "Input is more than one")]


def test_decision_functionality(deploy):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testDecisionFunctionality"""
    d = deploy(D + "testDecisionFunctionality.bpmn20.xml")
    expected = {1: ("theTask1", "Send e-mail for more information"), 2: ("theTask2", "Check account balance"),
                3: ("theTask3", "Call customer")}
    for i, task in expected.items():
        assert d.start("exclusiveGateway", {"input": i}).open_tasks() == [task]
    with pytest.raises(SedflowError):
        d.start("exclusiveGateway", {"input": 4})
    assert len(d.cases()) == 3


# The three diagrams ExclusiveGatewayTest deploys from strings, byte for byte as the Java test writes them.
_FLOW_WITHOUT_CONDITION_NO_DEFAULT_FLOW = (
    "<?xml version='1.0' encoding='UTF-8'?>"
    "<definitions id='definitions' xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL' "
    "xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:activiti='http://activiti.org/bpmn' "
    "targetNamespace='Examples'>"
    "  <process id='exclusiveGwDefaultSequenceFlow' isExecutable='true'> "
    "    <startEvent id='theStart' /> "
    "    <sequenceFlow id='flow1' sourceRef='theStart' targetRef='exclusiveGw' /> "
    "    <exclusiveGateway id='exclusiveGw' name='Exclusive Gateway' /> "
    "    <sequenceFlow id='flow2' sourceRef='exclusiveGw' targetRef='theTask1'> "
    "      <conditionExpression xsi:type='tFormalExpression'>${input == 1}</conditionExpression> "
    "    </sequenceFlow> "
    "    <sequenceFlow id='flow3' sourceRef='exclusiveGw' targetRef='theTask2'/> "
    "    <sequenceFlow id='flow4' sourceRef='exclusiveGw' targetRef='theTask2'/> "
    "    <userTask id='theTask1' name='Input is one' /> "
    "    <userTask id='theTask2' name='Default input' /> "
    "  </process>"
    "</definitions>")

_DEFAULT_FLOW_WITH_CONDITION = (
    "<?xml version='1.0' encoding='UTF-8'?>"
    "<definitions id='definitions' xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL' "
    "xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:activiti='http://activiti.org/bpmn' "
    "targetNamespace='Examples'>"
    "  <process id='exclusiveGwDefaultSequenceFlow' isExecutable='true'> "
    "    <startEvent id='theStart' /> "
    "    <sequenceFlow id='flow1' sourceRef='theStart' targetRef='exclusiveGw' /> "
    "    <exclusiveGateway id='exclusiveGw' name='Exclusive Gateway' default='flow3' /> "
    "    <sequenceFlow id='flow2' sourceRef='exclusiveGw' targetRef='theTask1'> "
    "      <conditionExpression xsi:type='tFormalExpression'>${input == 1}</conditionExpression> "
    "    </sequenceFlow> "
    "    <sequenceFlow id='flow3' sourceRef='exclusiveGw' targetRef='theTask2'> "
    "      <conditionExpression xsi:type='tFormalExpression'>${input == 3}</conditionExpression> "
    "    </sequenceFlow> "
    "    <userTask id='theTask1' name='Input is one' /> "
    "    <userTask id='theTask2' name='Default input' /> "
    "  </process>"
    "</definitions>")

_NO_OUTGOING_FLOW = (
    "<?xml version='1.0' encoding='UTF-8'?>"
    "<definitions id='definitions' xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL' "
    "xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:activiti='http://activiti.org/bpmn' "
    "targetNamespace='Examples'>"
    "  <process id='exclusiveGwDefaultSequenceFlow' isExecutable='true'> "
    "    <startEvent id='theStart' /> "
    "    <sequenceFlow id='flow1' sourceRef='theStart' targetRef='exclusiveGw' /> "
    "    <exclusiveGateway id='exclusiveGw' name='Exclusive Gateway' /> "
    "  </process>"
    "</definitions>")


def _deploy_string(tmp_path, text: str) -> DefinitionError:
    """Camunda's ``addString("myprocess.bpmn20.xml", …).deploy()``: the load must be refused."""
    path = tmp_path / "myprocess.bpmn20.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as refused:
        load_files([path])
    assert "myprocess.bpmn20.xml" in str(refused.value)
    return refused.value


def test_flow_without_condition_no_default_flow(tmp_path):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testFlowWithoutConditionNoDefaultFlow

    Two unconditional flows out of an exclusive gateway, neither the default: refused at deployment, the
    problem at the gateway and naming the flow."""
    error = _deploy_string(tmp_path, _FLOW_WITHOUT_CONDITION_NO_DEFAULT_FLOW)
    assert error.element == "exclusiveGw"
    assert "flow3" in str(error)


def test_default_flow_with_condition(tmp_path):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testDefaultFlowWithCondition

    The default flow has a condition too: refused at deployment, at the gateway, naming the flow."""
    error = _deploy_string(tmp_path, _DEFAULT_FLOW_WITH_CONDITION)
    assert error.element == "exclusiveGw"
    assert "flow3" in str(error)


def test_no_outgoing_flow(tmp_path):
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testNoOutgoingFlow

    An exclusive gateway with no outgoing flow: refused at deployment, at the gateway."""
    error = _deploy_string(tmp_path, _NO_OUTGOING_FLOW)
    assert error.element == "exclusiveGw"


def test_decide_based_on_bean_method_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testDecideBasedOnBeanMethod

    As a refusal: the conditions call methods of a Java object (``${order.basic}``), which sedflow's
    expression language does not have; the load names the file and the first flow."""
    assert_refused(D + "testDecideBasedOnBeanMethod.bpmn20.xml", element="flow2")


def test_loop_with_many_iterations_is_refused():
    """Ports org.camunda.bpm.engine.test.bpmn.gateway.ExclusiveGatewayTest#testLoopWithManyIterations

    As a refusal: the loop counter is kept by script tasks (``${i+1}``), which sedflow does not run."""
    assert_refused(D + "testLoopWithManyIterations.bpmn", element="ManualTask_1", match="script task")
