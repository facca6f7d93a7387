"""Questions about a running workflow, answered in sedflow's terms (diagram elements, not spec objects).

SpiffWorkflow names tasks by spec; the diagram element a task runs is found through the element
index of the definition. Embedded and event sub-processes run as workflows of their own, so their
tasks resolve to the process that draws them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.task import Task, TaskState

from ..bpmn.elements import HUMAN
from ..definitions import ElementInfo, ProcessDefinition
from .timers import next_timer, timers_of

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED

#: Each visible task's state, a cycle timer's next due (it fires while staying WAITING), and the task.
Snapshot = dict[UUID, tuple[int, Any, Task]]


@dataclass(frozen=True)
class ReadyTask:
    """A user or manual task ready for a person."""

    task_id: str
    info: ElementInfo


@dataclass(frozen=True)
class WaitingTimer:
    """A timer the case waits on, and when it fires next."""

    task_id: str
    info: ElementInfo
    due: datetime


def all_tasks(workflow: Any) -> Iterator[Task]:
    """Every task of the workflow and of its running subprocesses (call activities, event sub-processes)."""
    for wf in (workflow, *workflow.subprocesses.values()):
        yield from wf.tasks.values()


def element_of(task: Task, definition: ProcessDefinition) -> ElementInfo | None:
    """The diagram element a task runs; embedded and event sub-processes resolve to their process."""
    wf = task.workflow
    known = {pid for pid, _ in definition.elements}
    while wf.spec.name not in known and wf.parent_workflow is not None:
        wf = wf.parent_workflow
    return definition.element(wf.spec.name, task.task_spec.bpmn_id)


def is_timer(task: Task) -> bool:
    """A timer event, or an event-based gateway with a timer among its events."""
    return next(timers_of(task), None) is not None


def snapshot(workflow: Any) -> Snapshot:
    """Each visible task's state and, for a cycle timer (which fires while staying WAITING), its next due."""
    return {t.id: (t.state, _cycle_next(t), t) for t in all_tasks(workflow) if t.task_spec.bpmn_id is not None}


def _cycle_next(task: Task) -> Any:
    value = task.internal_data.get("event_value")
    return value.get("next") if isinstance(value, dict) else None



def ready_tasks(workflow: Any, definition: ProcessDefinition) -> list[ReadyTask]:
    """READY user/manual tasks, in tree order."""
    result = []
    for task in all_tasks(workflow):
        if task.state == TaskState.READY:
            info = element_of(task, definition)
            if info is not None and info.kind in HUMAN:
                result.append(ReadyTask(str(task.id), info))
    return result


def waiting_timers(workflow: Any, definition: ProcessDefinition) -> list[WaitingTimer]:
    """Timers the case waits on, with when each fires next."""
    result = []
    for task in all_tasks(workflow):
        timer = next_timer(task) if task.state == TaskState.WAITING else None
        if timer is not None:
            info = element_of(task, definition)
            if info is not None and info.kind == "eventBasedGateway" and timer[0] is not None:
                info = definition.element(info.process_id, timer[0]) or info  # the catch event that fires
            if info is not None:
                result.append(WaitingTimer(str(task.id), info, timer[1]))
    return result


def live_elements(workflow: Any, definition: ProcessDefinition) -> Mapping[UUID, ElementInfo]:
    """Elements a case is currently *in*: ready human tasks, waiting events, running activities."""
    result = {}
    for task in all_tasks(workflow):
        if task.state & LIVE and task.task_spec.bpmn_id is not None:
            info = element_of(task, definition)
            if info is not None:
                result[task.id] = info
    return result
