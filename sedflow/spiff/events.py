"""BPMN event semantics that SpiffWorkflow 3.2 lacks.

SpiffWorkflow starts an event sub-process beside the running flow and ignores ``isInterrupting``
(only boundary events interrupt). BPMN says an interrupting event sub-process cancels the rest of its
enclosing process when it starts; sedflow applies that after each catch, so that, for example, a
participant's withdrawal ends the case from any stage, including inside a called Supported Training
process (cancelling a call activity cancels its subprocess).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.task import TaskState

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
                    and task.id in owner.workflow.tasks:
                task.cancel()
    return bool(started)
