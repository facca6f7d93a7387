"""Questions about a running workflow, answered in sedflow's terms (diagram elements, not spec objects).

SpiffWorkflow names tasks by spec; the diagram element a task runs is found through the element
index of the definition. Embedded and event sub-processes run as workflows of their own, so their
tasks resolve to the process that draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task, TaskState

from ..bpmn.elements import HUMAN, SUB_PROCESSES
from ..definitions import ElementInfo, ProcessDefinition
from .external import waits_for_worker
from .timers import due_time, events_of, next_timer, timers_of

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
    process = _drawn_by(task.workflow, definition)
    return definition.element(process, task.task_spec.bpmn_id) if process else None


def is_timer(task: Task) -> bool:
    """A timer event, or an event-based gateway with a timer among its events."""
    return next(timers_of(task), None) is not None


@dataclass(frozen=True)
class EventWait:
    """An element of a case that catches a message or signal now, and the event definition that catches it."""

    info: ElementInfo
    definition: Any


def message_waits(workflow: Any, definition: ProcessDefinition, name: str) -> list[EventWait]:
    """Where the case would catch message ``name`` now: waiting receive tasks, catch, boundary and event-based
    gateway events, and the message starts of the event sub-processes of every scope that runs (SpiffWorkflow
    creates those only when their message comes)."""
    return event_waits(workflow, definition, lambda d: isinstance(d, MessageEventDefinition) and d.name == name)


def signal_waits(workflow: Any, definition: ProcessDefinition, name: str | None = None) -> list[EventWait]:
    """Where the case would catch signal ``name`` (None: any signal) now, in the same places as messages."""
    return event_waits(workflow, definition,
                       lambda d: isinstance(d, SignalEventDefinition) and name in (None, d.name))


def event_waits(workflow: Any, definition: ProcessDefinition, catches: Callable[[Any], bool]) -> list[EventWait]:
    """Where the case would catch an event whose definition ``catches`` accepts: every waiting task's events
    (an event-based gateway's named by the catch event of their branch), and the start events of the event
    sub-processes of every scope that runs."""
    found = []
    for task in all_tasks(workflow):
        if task.state != TaskState.WAITING:
            continue
        for d in events_of(task):
            info = element_of(task, definition)
            if info is not None and info.kind == "eventBasedGateway":  # the catch event of the branch it takes
                scope = info.process_id
                info = next((b for b in (definition.element(scope, o.bpmn_id) for o in task.task_spec.outputs)
                             if b is not None and b.event_name == getattr(d, "name", None)), info)
            if catches(d) and info is not None:
                found.append(EventWait(info, d))
    for wf in (workflow, *(s for s in workflow.subprocesses.values() if not s.completed)):
        process = _drawn_by(wf, definition)
        for spec_name in wf.spec.start.trigger_specs:
            sub_spec = workflow.subprocess_specs.get(spec_name)
            for start in sub_spec.bpmn_start_events if sub_spec is not None else ():
                d = start.event_definition
                info = definition.element(process, start.bpmn_id) if process else None
                if catches(d) and info is not None:
                    found.append(EventWait(info, d))
    return found


def _drawn_by(wf: Any, definition: ProcessDefinition) -> str | None:
    """The process that draws what runs in ``wf`` (embedded and event sub-processes run as workflows of their own)."""
    known = {pid for pid, _ in definition.elements}
    while wf.spec.name not in known and wf.parent_workflow is not None:
        wf = wf.parent_workflow
    return wf.spec.name if wf.spec.name in known else None


def snapshot(workflow: Any) -> Snapshot:
    """Each visible task's state and, for a cycle timer (which fires while staying WAITING), its next due."""
    return {t.id: (t.state, cycle_next(t), t) for t in all_tasks(workflow) if t.task_spec.bpmn_id is not None}


def cycle_next(task: Task) -> Any:
    """A cycle timer's next due (it fires while staying WAITING), else None."""
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


@dataclass(frozen=True)
class Stuck:
    """An element a case cannot get past, and why in words ("waits for message 'x', which ...")."""

    info: ElementInfo
    reason: str


#: Where a case waits for an event but that event alone does not keep it alive: an event sub-process's
#: start and a boundary event fire beside a flow that must advance of its own.
_BESIDE = frozenset({"boundaryEvent", "startEvent"})
_JOINS = frozenset({"parallelGateway", "inclusiveGateway", "complexGateway"})
#: The events the engine delivers from outside a case.
DELIVERED = (MessageEventDefinition, SignalEventDefinition)


def stuck_at(workflow: Any, definition: ProcessDefinition) -> list[Stuck] | None:
    """Where a case that is not completed is stuck: None if it has a live wait.

    A live wait is a ready user task, an external task waiting for a worker, a waiting timer with a due
    time, or a message or signal (which ``Engine.correlate_message`` and ``Engine.broadcast_signal``
    deliver, and other cases' signal throws) awaited at an element that keeps a case alive (an
    intermediate catch, a receive task, an event-based gateway; not a boundary event or a start event).
    Callers that know the tasks and timers already (``plan_step``) call this only when there are none: one
    more walk of the tree.

    Otherwise every element the case is stuck at, in tree order: a join waiting for a branch that
    cannot come, a catch waiting for an event nothing delivers, a task SpiffWorkflow started or made
    ready that nothing in sedflow completes. Running sub-processes and call activities (whose insides
    are listed) and events beside the flow are named only when nothing else is. An empty list: nothing
    at all is ready, waiting or running.
    """
    inner: list[Stuck] = []
    outer: list[Stuck] = []
    for task in all_tasks(workflow):
        if not task.state & LIVE or task.task_spec.bpmn_id is None:
            continue
        info = element_of(task, definition)
        if info is None:
            continue
        if (task.state == TaskState.READY and info.kind in HUMAN) or waits_for_worker(task):
            return None
        events = events_of(task) if task.state == TaskState.WAITING else []
        if events and is_timer(task) and due_time(task) is not None:
            return None
        if info.kind not in _BESIDE and any(isinstance(d, DELIVERED) for d in events):
            return None
        if info.kind in SUB_PROCESSES and task.state == TaskState.STARTED:
            outer.append(Stuck(info, "is running, and nothing inside it can advance"))
        elif info.kind in _BESIDE:
            outer.append(Stuck(info, _waiting_for(events)))
        else:
            inner.append(Stuck(info, _why(task, info, events)))
    return inner or outer


def _why(task: Task, info: ElementInfo, events: list[Any]) -> str:
    if events:
        return _waiting_for(events)
    if task.state == TaskState.WAITING and info.kind in _JOINS:
        hint = ": is an exclusive or inclusive split joined by a parallel gateway?" \
            if info.kind == "parallelGateway" else ""
        return ("waits for incoming branches that can no longer arrive (nothing in the case is ready or waiting "
                f"to bring them{hint})")
    if task.state == TaskState.READY:
        return f"is ready, but a {info.kind} is nothing a person completes in sedflow"
    state = "was started" if task.state == TaskState.STARTED else "waits"
    return f"{state}, and nothing in sedflow drives a {info.kind}"


def _waiting_for(events: list[Any]) -> str:
    """Why the events an element waits for will never come."""
    said = []
    for d in events:
        if isinstance(d, DELIVERED):  # at a boundary or start event
            what = "message" if isinstance(d, MessageEventDefinition) else "signal"
            said.append(f"{what} '{d.name}' beside the flow, which does not keep a case alive on its own")
        elif isinstance(d, TimerEventDefinition):
            said.append("a timer that has no due time left")
        else:
            said.append(f"a {type(d).__name__.removesuffix('EventDefinition').lower() or 'n'} event sedflow never "
                        "delivers")
    return "waits for " + (" or ".join(said) if said else "an event sedflow never delivers")
