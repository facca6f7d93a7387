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

from SpiffWorkflow.task import Task, TaskState

from ..bpmn.elements import HUMAN, PASS_THROUGH, SUB_PROCESSES
from ..definitions import ElementInfo, ProcessDefinition
from ..journal import JournalEntry, JournalKind
from .external import ExternalWork
from .queries import LIVE, Snapshot, cycle_next, element_of, is_timer, snapshot
from .timers import due_time, fired_at_gateway

_CYCLE_FIRED = -1  # pseudo state: a cycle timer fired without leaving WAITING


@dataclass(frozen=True)
class StepContext:
    """What a step's transitions are attributed to: the case, the time, who acted, what they submitted."""

    case_id: str
    at: datetime
    definition: ProcessDefinition
    actor: str | None = None
    completed_task: str | None = None          # the human task this step completed, if any
    submitted: Mapping[str, Any] = field(default_factory=dict)


def transitions(before: Snapshot, workflow: Any, ctx: StepContext) -> list[JournalEntry]:
    after = snapshot(workflow)
    changed: list[tuple[Task, int | None, int]] = []
    for tid, (was, was_next, task) in before.items():
        if tid not in after:  # removed from the tree: its subprocess ended, or SpiffWorkflow dropped its branch
            if was_next is not None and cycle_next(task) != was_next:  # a cycle fired, then its scope ended
                changed.append((task, TaskState.WAITING, _CYCLE_FIRED))
            # A task dropped while still live (a non-interrupting boundary path when its activity ends, the
            # descendants of a cancelled task) keeps its state: for the journal it was cancelled.
            dropped = TaskState.CANCELLED if task.state == was and was & LIVE else task.state
            if dropped != was:
                changed.append((task, was, dropped))
    for tid, (new, cycle, task) in after.items():
        old, old_cycle = before[tid][:2] if tid in before else (None, None)
        if old_cycle is not None and cycle != old_cycle:  # a cycle timer fired (and re-armed, or was stopped)
            changed.append((task, TaskState.WAITING, _CYCLE_FIRED))
        if old != new:
            changed.append((task, old, new))
    keyed: list[tuple[float, int, JournalEntry]] = []
    for task, old, new in changed:
        info = element_of(task, ctx.definition)
        if info is None:
            continue
        for entry in _entries(task, info, old, new, ctx):
            at = _started_at(task, workflow) if entry.kind == JournalKind.ACTIVITY_STARTED else task.last_state_change
            keyed.append((at, len(keyed), entry))
    return [entry for *_, entry in sorted(keyed, key=lambda k: k[:2])]


def _started_at(task: Task, workflow: Any) -> float:
    """An activity that started and ended within one step: order its start before what ran inside it."""
    sub = workflow.subprocesses.get(task.id)
    inner: list[float] = [t.last_state_change for t in sub.tasks.values()] if sub is not None else []
    return float(min(inner, default=task.last_state_change)) - 1e-6


def _entries(task: Task, info: ElementInfo, old: int | None, new: int, ctx: StepContext) -> Iterator[JournalEntry]:
    def entry(kind: JournalKind, **kw: Any) -> JournalEntry:
        return JournalEntry(case_id=ctx.case_id, at=ctx.at, kind=kind, process_id=info.process_id,
                            definition_version=ctx.definition.version, element_id=info.id, element_name=info.label,
                            element_type=info.kind, lane=info.lane, task_id=str(task.id), **kw)

    timer = is_timer(task)
    external = isinstance(task.task_spec, ExternalWork)
    if new == TaskState.CANCELLED:
        # Waiting message/signal catchers are cancelled whenever a case ends: only work and timers count.
        if old is not None and old & LIVE and (info.kind in HUMAN or info.kind in SUB_PROCESSES or timer or external):
            yield entry(JournalKind.TASK_CANCELLED)
        return
    if external:  # waits for a worker from when it starts; a throw event done is an event reached
        if new == TaskState.STARTED:
            yield entry(JournalKind.TASK_READY, data={"topic": task.task_spec.topic})
        elif new == TaskState.COMPLETED:
            mine = str(task.id) == ctx.completed_task
            yield entry(JournalKind.EVENT_REACHED if info.kind.endswith("Event") else JournalKind.TASK_COMPLETED,
                        actor=ctx.actor if mine else None, data=dict(ctx.submitted) if mine else {})
    elif info.kind in HUMAN:
        if new == TaskState.READY:
            yield entry(JournalKind.TASK_READY)
        elif new == TaskState.COMPLETED:
            mine = str(task.id) == ctx.completed_task
            yield entry(JournalKind.TASK_COMPLETED, actor=ctx.actor if mine else None,
                        data=dict(ctx.submitted) if mine else {})
    elif info.kind in PASS_THROUGH:
        if new == TaskState.COMPLETED:
            yield entry(JournalKind.TASK_COMPLETED)
    elif info.kind.endswith("Gateway"):
        if new == TaskState.COMPLETED:
            yield entry(JournalKind.GATEWAY_TAKEN, data={"to": sorted(_targets(task))})
    elif info.kind in SUB_PROCESSES:
        if new == TaskState.STARTED or (new == TaskState.COMPLETED and not (old or 0) & TaskState.STARTED):
            yield entry(JournalKind.ACTIVITY_STARTED)
        if new == TaskState.COMPLETED:
            yield entry(JournalKind.ACTIVITY_COMPLETED)
    elif timer:
        if new == _CYCLE_FIRED:
            due = due_time(task)
            yield entry(JournalKind.TIMER_FIRED, data={"next": due.isoformat() if due else None})
        elif new == TaskState.WAITING:
            due = due_time(task)
            yield entry(JournalKind.TIMER_WAITING, data={"due": due.isoformat() if due else None})
        elif new == TaskState.COMPLETED:
            yield entry(JournalKind.TIMER_FIRED)
    elif info.kind.endswith("Event") and new == TaskState.COMPLETED:
        yield entry(JournalKind.TIMER_FIRED if _fired_by_gateway(task) else JournalKind.EVENT_REACHED)


def _fired_by_gateway(task: Task) -> bool:
    """A catch event after an event-based gateway whose timer fired (the gateway waits for its timers)."""
    return task.parent is not None and fired_at_gateway(task.parent, task.task_spec.bpmn_id)


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
