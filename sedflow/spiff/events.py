"""BPMN event semantics that SpiffWorkflow 3.2 lacks.

SpiffWorkflow starts an event sub-process beside the running flow and ignores ``isInterrupting``
(only boundary events interrupt). BPMN says an interrupting event sub-process cancels the rest of its
enclosing process when it starts; sedflow applies that after each catch and each pass of the engine,
so that, for example, a participant's withdrawal ends the case from any stage, including inside a
called Supported Training process (cancelling a call activity cancels its subprocess), and a timer
event sub-process interrupts when its timer fires.

The work a non-interrupting boundary event started lives on when its activity completes (BPMN and
Camunda 7): SpiffWorkflow cancels a cycle timer's boundary task when the activity ends, and with it the
tasks each firing had started. :class:`LivingBoundaryJoin` stops such a timer without dropping them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.simple import CancelEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import TransactionSubprocess
from SpiffWorkflow.task import TaskState

if TYPE_CHECKING:  # the parser uses this module while definitions are still being imported
    from ..definitions import ProcessDefinition

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.FUTURE


def triggered(workflow: Any, definition: ProcessDefinition) -> set[UUID]:
    """The interrupting event sub-processes whose start event has caught its event (SpiffWorkflow creates a
    timer event sub-process before its timer fires, so that it can wait for it); a start event that caught is
    READY until the engine runs it."""
    return {sid for sid, sub in workflow.subprocesses.items()
            if sub.spec.name in definition.interrupting_event_subprocesses
            and any(isinstance(t.task_spec, StartEvent) and t.has_state(TaskState.READY | TaskState.COMPLETED)
                    for t in sub.tasks.values())}


def interrupt(workflow: Any, seen: set[UUID], definition: ProcessDefinition) -> bool:
    """Cancel what runs beside each interrupting event sub-process triggered since those in ``seen`` (which
    then holds them all: each interrupts once, whenever in a step it starts -- a message caught, a timer
    fired during the engine's run)."""
    now = triggered(workflow, definition)
    started = sorted(now - seen)
    seen.update(now)
    for sid in started:
        owner = workflow.get_task_from_id(sid)
        for task in list(owner.workflow.tasks.values()):
            if task is not owner and task.has_state(_LIVE) and not owner.is_descendant_of(task) \
                    and not task.is_descendant_of(owner) and task.id in owner.workflow.tasks:
                task.cancel()
    return bool(started)


class LivingBoundaryJoin(BoundaryEventJoin):  # type: ignore[misc]
    """The join after an activity with boundary events, leaving the work of non-interrupting ones running."""

    def _check_threshold_structured(self, my_task: Any) -> tuple[bool, list[Any]]:
        finished, cancel = super()._check_threshold_structured(my_task)
        kept = []
        for task in cancel:
            started = [c for c in task.children
                       if c.task_spec is not self and not c.has_state(TaskState.PREDICTED_MASK)]
            if getattr(task.task_spec, "cancel_activity", True) or not started:
                kept.append(task)
                continue
            # A cycle that fired: it fires no more (its predicted paths go), but what it started goes on.
            for child in task.children:
                if child not in started:
                    child._drop_children()
                    del child.workflow.tasks[child.id]
            task.children = started
            task.workflow.top_workflow.event_manager.remove_task(task)
            task._set_state(TaskState.CANCELLED)
        return finished, kept


class BoundaryParser:
    """Task parser mixin: activities with boundary events join through :class:`LivingBoundaryJoin`."""

    def _add_boundary_event(self, children: list[Any]) -> Any:
        me: Any = self  # SpiffWorkflow's TaskParser._add_boundary_event, with sedflow's join
        split_task = BoundaryEventSplit(me.spec, f"{me.bpmn_id}.BoundaryEventSplit", lane=me.task.lane)
        join_task = LivingBoundaryJoin(me.spec, f"{me.bpmn_id}.BoundaryEventJoin", lane=me.task.lane,
                                       split_task=split_task.name, cancel=True)
        split_task.connect(me.task)
        me.task.connect(join_task)
        for event in children:
            child = me.process_parser.parse_node(event)
            if isinstance(child.event_definition, CancelEventDefinition) \
                    and not isinstance(me.task, TransactionSubprocess):
                me.raise_validation_exception("Cancel Events may only be used with transactions")
            split_task.connect(child)
            child.connect(join_task)
        return split_task
