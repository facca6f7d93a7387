"""BPMN event semantics that SpiffWorkflow 3.2 lacks.

SpiffWorkflow starts an event sub-process beside the running flow and ignores ``isInterrupting``
(only boundary events interrupt). BPMN says an interrupting event sub-process cancels the rest of its
enclosing process when it starts; sedflow applies that after each catch, so that, for example, a
participant's withdrawal ends the case from any stage, including inside a called Supported Training
process (cancelling a call activity cancels its subprocess).
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any
from uuid import UUID

from SpiffWorkflow.task import TaskState

from ..definitions import ProcessDefinition

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.FUTURE


def interrupt(workflow: Any, subprocesses_before: Set[UUID], definition: ProcessDefinition) -> bool:
    """Cancel what runs beside each interrupting event sub-process started since ``subprocesses_before``."""
    started = [sid for sid in workflow.subprocesses if sid not in subprocesses_before
               and workflow.subprocesses[sid].spec.name in definition.interrupting_event_subprocesses]
    for sid in started:
        owner = workflow.get_task_from_id(sid)
        for task in list(owner.workflow.tasks.values()):
            if task is not owner and task.has_state(_LIVE) and not owner.is_descendant_of(task) \
                    and task.id in owner.workflow.tasks:
                task.cancel()
    return bool(started)
