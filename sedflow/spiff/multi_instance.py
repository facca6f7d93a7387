"""Multi-instance activities as Camunda 7 runs them.

SpiffWorkflow's Camunda flavour of multi-instance rewrites the *spec* while a case runs (it decides at
run time whether the cardinality is a number or a collection), which with a spec shared by every case
would let one case change another's; and it knows none of Camunda's built-in variables. sedflow builds
SpiffWorkflow's standard BPMN multi-instance tasks instead, read the Camunda way:

- ``loopCardinality`` (an expression giving a number) or ``camunda:collection`` naming a variable that
  holds a list (``items`` or ``${items}``), each instance getting one element in
  ``camunda:elementVariable``; the standard ``loopDataInputRef``/``inputDataItem`` work too;
- each instance sees ``loopCounter`` (0, 1, …); the ``completionCondition`` may read ``nrOfInstances``,
  ``nrOfCompletedInstances`` and ``nrOfActiveInstances``; once it holds, the instances still running
  are cancelled and the activity completes;
- ``loopCounter`` and the element variable belong to their instance: they are not left in the case's
  data afterwards. Other variables an instance sets reach the case's data.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask

from ..bpmn.xml import CAMUNDA_NS, NS

_NAME = re.compile(r"^\$?\{?\s*([A-Za-z_]\w*)\s*\}?$")
LOCAL = ("loopCounter",)


class _CamundaLoop:
    """Mixin for SpiffWorkflow's multi-instance task specs: Camunda's built-in variables."""

    condition: str | None
    input_item: Any
    data_input: Any

    def create_child(self, my_task: Any, item: Any, key_or_index: Any = None) -> None:
        # The new instance copies its parent's data when it starts: lend it its loopCounter.
        instances: Any = self._instances(my_task)  # type: ignore[attr-defined]
        my_task.data["loopCounter"] = len(list(instances))
        try:
            super().create_child(my_task, item, key_or_index)  # type: ignore[misc]
        finally:
            my_task.data.pop("loopCounter", None)

    def merge_child(self, workflow: Any, child: Any) -> None:
        for name in self._local_names():
            child.data.pop(name, None)
        super().merge_child(workflow, child)  # type: ignore[misc]

    def check_completion_condition(self, my_task: Any) -> bool:
        merged = my_task.internal_data.get("merged", [])
        if not merged or self.condition is None:
            return False
        instances: Any = self._instances(my_task)  # type: ignore[attr-defined]
        if self.data_input is not None:
            total = len(self.data_input.get(my_task))
        elif isinstance(self, SequentialMultiInstanceTask):
            total = int(my_task.internal_data.get("cardinality") or 0)
        else:  # a parallel multi-instance starts all its instances at once
            total = len(list(instances))
        completed = len(merged)
        active = 1 if isinstance(self, SequentialMultiInstanceTask) else total - completed
        builtins = {"nrOfInstances": total, "nrOfCompletedInstances": completed, "nrOfActiveInstances": active}
        last = next(c for c in my_task.children if str(c.id) == merged[-1])
        return bool(my_task.workflow.script_engine.evaluate(last, self.condition, external_context=builtins))

    def _local_names(self) -> tuple[str, ...]:
        return LOCAL + ((self.input_item.bpmn_id,) if self.input_item is not None else ())


class CamundaSequentialMultiInstance(_CamundaLoop, SequentialMultiInstanceTask):  # type: ignore[misc]
    pass


class CamundaParallelMultiInstance(_CamundaLoop, ParallelMultiInstanceTask):  # type: ignore[misc]
    pass


class MultiInstanceParser:
    """Task parser mixin: reads multi-instance characteristics into the classes above."""

    PARALLEL_MI_CLASS = CamundaParallelMultiInstance
    SEQUENTIAL_MI_CLASS = CamundaSequentialMultiInstance

    def _add_multiinstance_task(self, loop: etree._Element) -> None:
        collection = loop.get(f"{{{CAMUNDA_NS}}}collection")
        if collection is None:
            TaskParser._add_multiinstance_task(self, loop)  # the standard BPMN reading, with the classes above
            return
        me: Any = self
        name = _NAME.match(collection)
        if name is None:
            raise ValidationException(f"camunda:collection '{collection}' must name a variable that holds a list "
                                      "(e.g. 'coaches' or '${coaches}'); pass the list as a process variable",
                                      me.node, me.filename)
        if loop.find("bpmn:loopCardinality", NS) is not None:
            raise ValidationException("a multi-instance activity takes a loopCardinality or a camunda:collection, "
                                      "not both", me.node, me.filename)
        element = loop.get(f"{{{CAMUNDA_NS}}}elementVariable")
        condition = loop.find("bpmn:completionCondition", NS)
        original = me.spec.task_specs.pop(me.task.name)
        kind = self.SEQUENTIAL_MI_CLASS if loop.get("isSequential") == "true" else self.PARALLEL_MI_CLASS
        me.task = kind(me.spec, original.name, task_spec="", cardinality=None,
                       data_input=TaskDataReference(name.group(1)), data_output=None,
                       input_item=TaskDataReference(element) if element else None, output_item=None,
                       condition=condition.text if condition is not None else None,
                       description="Multi-instance (Camunda collection)")
        me._copy_task_attrs(original, loop)


__all__ = ["CamundaParallelMultiInstance", "CamundaSequentialMultiInstance", "MultiInstanceParser"]
