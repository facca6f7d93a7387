"""Journal entries derived from a before/after diff of a workflow's task states.

SpiffWorkflow has no transition hook that sees everything (its callbacks miss user tasks and
READY/WAITING/CANCELLED changes), so the runtime snapshots ``{task id: state}`` before a step and
diffs after it. This also records what the engine did on its own: gateway decisions, events, timers,
and tasks cancelled by an interrupting event.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task, TaskState

from ..bpmn.elements import HUMAN
from ..bpmn.elements import SUB_PROCESSES as ACTIVITIES
from ..definitions import ElementInfo, ProcessDefinition
from ..spiff.timers import due_time
from . import (ACTIVITY_COMPLETED, ACTIVITY_STARTED, EVENT_REACHED, GATEWAY_TAKEN, TASK_CANCELLED, TASK_COMPLETED,
               TASK_READY, TIMER_FIRED, TIMER_WAITING, JournalEntry)

Snapshot = dict[UUID, tuple[int, Any, Task]]

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_CYCLE_FIRED = -1  # pseudo state: a cycle timer fired without leaving WAITING


@dataclass
class StepContext:
    case_id: str
    at: datetime
    definition: ProcessDefinition
    actor: str | None = None
    completed_task: UUID | None = None          # the human task this step completed, if any
    submitted: dict[str, Any] = field(default_factory=dict)


def all_tasks(workflow: Any) -> Iterator[Task]:
    """Every task of the workflow and of its running subprocesses (call activities, event sub-processes)."""
    for wf in (workflow, *workflow.subprocesses.values()):
        yield from wf.tasks.values()


def snapshot(workflow: Any) -> Snapshot:
    """Each visible task's state and, for a cycle timer (which fires while staying WAITING), its next due."""
    return {t.id: (t.state, _cycle_next(t), t) for t in all_tasks(workflow) if t.task_spec.bpmn_id is not None}


def _cycle_next(task: Task) -> Any:
    value = task.internal_data.get("event_value")
    return value.get("next") if isinstance(value, dict) else None


def element_of(task: Task, definition: ProcessDefinition) -> ElementInfo | None:
    """The diagram element a task runs; embedded and event sub-processes resolve to their process."""
    wf = task.workflow
    known = {pid for pid, _ in definition.elements}
    while wf.spec.name not in known and wf.parent_workflow is not None:
        wf = wf.parent_workflow
    return definition.element(wf.spec.name, task.task_spec.bpmn_id)


def transitions(before: Snapshot, workflow: Any, ctx: StepContext) -> list[JournalEntry]:
    after = snapshot(workflow)
    changed: list[tuple[Task, int | None, int]] = []
    for tid, (old, _, task) in before.items():
        if tid not in after:  # removed from the tree: its subprocess ended, or SpiffWorkflow dropped its branch
            # A task dropped while still live (a non-interrupting boundary path when its activity ends, the
            # descendants of a cancelled task) keeps its state: for the journal it was cancelled.
            new = TaskState.CANCELLED if task.state == old and old & _LIVE else task.state
            if new != old:
                changed.append((task, old, new))
    for tid, (new, cycle, task) in after.items():
        old, old_cycle = before[tid][:2] if tid in before else (None, None)
        if old != new:
            changed.append((task, old, new))
        elif old_cycle is not None and cycle != old_cycle:  # a cycle timer fired and re-armed
            changed.append((task, TaskState.WAITING, _CYCLE_FIRED))
    keyed = []
    for task, old, new in changed:
        info = element_of(task, ctx.definition)
        if info is None:
            continue
        for entry in _entries(task, info, old, new, ctx):
            keyed.append((_started_at(task, workflow) if entry.kind == ACTIVITY_STARTED else task.last_state_change,
                          len(keyed), entry))
    return [entry for *_, entry in sorted(keyed, key=lambda k: k[:2])]


def _started_at(task: Task, workflow: Any) -> float:
    """An activity that started and ended within one step: order its start before what ran inside it."""
    sub = workflow.subprocesses.get(task.id)
    inner = [t.last_state_change for t in sub.tasks.values()] if sub is not None else []
    return min(inner, default=task.last_state_change) - 1e-6


def _entries(task: Task, info: ElementInfo, old: int | None, new: int, ctx: StepContext) -> Iterator[JournalEntry]:
    def entry(kind: str, **kw: Any) -> JournalEntry:
        return JournalEntry(case_id=ctx.case_id, at=ctx.at, kind=kind, process_id=info.process_id,
                            definition_version=ctx.definition.version, element_id=info.id, element_name=info.label,
                            element_type=info.kind, lane=info.lane, task_id=str(task.id), **kw)

    timer = isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
    if new == TaskState.CANCELLED:
        # Waiting message/signal catchers are cancelled whenever a case ends: only work and timers count.
        if old is not None and old & _LIVE and (info.kind in HUMAN or info.kind in ACTIVITIES or timer):
            yield entry(TASK_CANCELLED)
        return
    if info.kind in HUMAN:
        if new == TaskState.READY:
            yield entry(TASK_READY)
        elif new == TaskState.COMPLETED:
            mine = task.id == ctx.completed_task
            yield entry(TASK_COMPLETED, actor=ctx.actor if mine else None, data=dict(ctx.submitted) if mine else {})
    elif info.kind.endswith("Gateway"):
        if new == TaskState.COMPLETED:
            yield entry(GATEWAY_TAKEN, data={"to": _targets(task)})
    elif info.kind in ACTIVITIES:
        if new == TaskState.STARTED or (new == TaskState.COMPLETED and not (old or 0) & TaskState.STARTED):
            yield entry(ACTIVITY_STARTED)
        if new == TaskState.COMPLETED:
            yield entry(ACTIVITY_COMPLETED)
    elif timer:
        if new == _CYCLE_FIRED:
            due = due_time(task)
            yield entry(TIMER_FIRED, data={"next": due.isoformat() if due else None})
        elif new == TaskState.WAITING:
            due = due_time(task)
            yield entry(TIMER_WAITING, data={"due": due.isoformat() if due else None})
        elif new == TaskState.COMPLETED:
            yield entry(TIMER_FIRED)
    elif info.kind.endswith("Event") and new == TaskState.COMPLETED:
        yield entry(EVENT_REACHED)


def _targets(task: Task, depth: int = 0) -> list[str]:
    """Element ids the gateway's outgoing paths reached (looking through SpiffWorkflow's internal tasks)."""
    targets = []
    for child in task.children:
        if not child.has_state(TaskState.DEFINITE_MASK | TaskState.FINISHED_MASK) or child.state == TaskState.CANCELLED:
            continue
        if child.task_spec.bpmn_id is not None:
            targets.append(child.task_spec.bpmn_id)
        elif depth < 3:
            targets.extend(_targets(child, depth + 1))
    return targets


def open_human_tasks(workflow: Any, definition: ProcessDefinition) -> list[tuple[Task, ElementInfo]]:
    """READY user/manual tasks, in tree order."""
    result = []
    for task in all_tasks(workflow):
        if task.state == TaskState.READY:
            info = element_of(task, definition)
            if info is not None and info.kind in HUMAN:
                result.append((task, info))
    return result


def waiting_timers(workflow: Any, definition: ProcessDefinition) -> list[tuple[Task, ElementInfo, datetime]]:
    """Timers the case waits on, with when each fires next."""
    result = []
    for task in all_tasks(workflow):
        if task.state == TaskState.WAITING and isinstance(getattr(task.task_spec, "event_definition", None),
                                                          TimerEventDefinition):
            info, due = element_of(task, definition), due_time(task)
            if info is not None and due is not None:
                result.append((task, info, due))
    return result


def live_elements(workflow: Any, definition: ProcessDefinition) -> Mapping[UUID, ElementInfo]:
    """Elements a case is currently *in*: ready human tasks, waiting events, running activities."""
    result = {}
    for task in all_tasks(workflow):
        if task.state & _LIVE and task.task_spec.bpmn_id is not None:
            info = element_of(task, definition)
            if info is not None:
                result[task.id] = info
    return result
