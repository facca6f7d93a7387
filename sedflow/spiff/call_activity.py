"""Call activities that pass variables as Camunda 7 does: through ``camunda:in`` and ``camunda:out``.

SpiffWorkflow copies every variable into a called process and replaces the caller's data with
everything the called process held at its end. Camunda 7 passes only what the call activity maps:

- ``<camunda:in source="a" target="b"/>``: the called process starts with ``b`` = the caller's ``a``
  (null if the caller has none); ``sourceExpression="${…}"`` maps the value of an expression (the safe
  language, checked at load; text without ``${…}`` is a literal, as in JUEL); ``<camunda:in
  variables="all"/>`` passes every variable;
- ``<camunda:out …/>`` the same way back: the caller keeps its own variables and gets what is mapped;
- no ``camunda:in`` passes nothing in, no ``camunda:out`` nothing out.

``businessKey`` mappings are refused at load: a case has no business key (its participant is its key);
so is ``local="true"``, which in Camunda passes the call activity's local variables, made by
``camunda:inputOutput``, which sedflow does not run.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import CallActivity
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser

from ..bpmn.xml import NS
from ..errors import ExpressionError
from ..expressions import compile_expression


@dataclass(frozen=True)
class VariableMapping:
    """One ``camunda:in``/``camunda:out``: every variable, or one source (a name or an expression) to a target."""

    all: bool = False
    source: str | None = None
    expression: str | None = None
    target: str | None = None


class CamundaCallActivity(CallActivity):  # type: ignore[misc]
    """A call activity with Camunda's variable mappings (``variables_in``/``variables_out``: a task spec's
    ``inputs``/``outputs`` are its neighbours in the flow)."""

    def __init__(self, wf_spec: Any, bpmn_id: str, subworkflow_spec: str, *,
                 inputs: tuple[VariableMapping, ...] = (), outputs: tuple[VariableMapping, ...] = (), **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, subworkflow_spec, **kwargs)
        self.variables_in = inputs
        self.variables_out = outputs

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        start.set_data(**_mapped(self.variables_in, my_task.data, my_task))

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        ended = subworkflow.last_task.data
        my_task.data = {**my_task.data, **_mapped(self.variables_out, ended, my_task)}


def _mapped(mappings: tuple[VariableMapping, ...], data: dict[str, Any], my_task: Any) -> dict[str, Any]:
    """The variables ``mappings`` take from ``data`` (expressions read ``data`` too)."""
    result: dict[str, Any] = {}
    for m in mappings:
        if m.all:
            result.update(deepcopy(data))
        elif m.expression is not None and m.target:
            result[m.target] = my_task.workflow.script_engine.environment.evaluate(m.expression, dict(data)) \
                if _is_expression(m.expression) else m.expression
        elif m.source is not None and m.target:
            result[m.target] = deepcopy(data.get(m.source))
    return result


def _is_expression(text: str) -> bool:
    """JUEL reads text outside ``${…}``/``#{…}`` as a literal."""
    return "${" in text or "#{" in text


class CamundaCallActivityParser(CamundaTaskParser):  # type: ignore[misc]
    """Reads the call activity's ``camunda:in``/``camunda:out`` into :class:`CamundaCallActivity`."""

    def create_task(self) -> CamundaCallActivity:
        called = SubprocessParser.get_call_activity_spec(self)
        return CamundaCallActivity(self.spec, self.bpmn_id, called, inputs=self._mappings("in"),
                                   outputs=self._mappings("out"), **self.bpmn_attributes)

    def _mappings(self, direction: str) -> tuple[VariableMapping, ...]:
        found = []
        for el in self.node.iterfind(f"bpmn:extensionElements/camunda:{direction}", NS):
            found.append(self._mapping(el, direction))
        return tuple(found)

    def _mapping(self, el: etree._Element, direction: str) -> VariableMapping:
        if el.get("businessKey") is not None:
            raise ValidationException(f"camunda:{direction} businessKey is refused: a case has no business key (its "
                                      "participant is its key); map the value to a variable with source/target",
                                      node=self.node, file_name=self.filename)
        if el.get("local") == "true":
            raise ValidationException(f"camunda:{direction} local=\"true\" is refused: it passes the variables of "
                                      "camunda:inputOutput, which sedflow does not run; map each variable with "
                                      "source/target", node=self.node, file_name=self.filename)
        if el.get("variables") == "all":
            return VariableMapping(all=True)
        target, source, expression = el.get("target"), el.get("source"), el.get("sourceExpression")
        if not target or (source is None) == (expression is None):
            raise ValidationException(f"camunda:{direction} needs a target and either a source or a sourceExpression "
                                      "(or variables=\"all\")", node=self.node, file_name=self.filename)
        if expression is not None and _is_expression(expression):
            try:
                compile_expression(expression)
            except ExpressionError as exc:
                raise ValidationException(f"camunda:{direction} sourceExpression: {exc}", node=self.node,
                                          file_name=self.filename) from exc
        return VariableMapping(source=source, expression=expression, target=target)


__all__ = ["CamundaCallActivity", "CamundaCallActivityParser", "VariableMapping"]
