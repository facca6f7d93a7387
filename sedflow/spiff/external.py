"""External tasks: service work a worker outside the engine does, as Camunda 7's ``camunda:type="external"``.

A service task, a send task or a message throw (intermediate or end) event drawn with Camunda Modeler's
"Implementation: External" and a topic becomes an :class:`ExternalWork` spec. When a case reaches it
SpiffWorkflow runs it like any engine task, and its run leaves it STARTED -- SpiffWorkflow's state for
work going on elsewhere -- so ``do_engine_steps`` passes it by and the case waits there. The runtime
keeps a row per such waiting task (the external-task table), and a worker ends the wait:
:func:`complete_external` completes the task with the worker's variables (the flow goes on from it),
:func:`throw_error` throws a BPMN error from it, caught as Camunda 7 catches one (the task's own error
boundary events first, then outwards, as an error end event in the task's scope is; nothing catching
it, the task's path ends there). A throw event done by a worker throws nothing itself: the worker sends
the message, as in Camunda.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter, EventConverter
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent, IntermediateThrowEvent
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.task import Task, TaskState

from ..bpmn.xml import BPMN_NS, CAMUNDA_NS
from ..errors import CaseStateError
from .codes import CamundaError

if TYPE_CHECKING:  # the parser uses this module while definitions are still being imported
    from ..definitions import ElementInfo

_TYPE, _TOPIC = f"{{{CAMUNDA_NS}}}type", f"{{{CAMUNDA_NS}}}topic"


def implementation(node: etree._Element) -> etree._Element:
    """Where Camunda reads what an element runs: a task's own attributes, an event's message definition."""
    definition = node.find(f"{{{BPMN_NS}}}messageEventDefinition")
    return definition if definition is not None and node.tag != f"{{{BPMN_NS}}}sendTask" else node


def is_external(node: etree._Element) -> bool:
    """Whether a diagram element is drawn as external-task work (``camunda:type="external"``)."""
    return bool(implementation(node).get(_TYPE) == "external")


class ExternalWork:
    """Spec mixin: a task done by an external worker, which waits STARTED until the worker reports."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str | None = None, **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)  # type: ignore[call-arg]
        #: The topic workers fetch it by (``camunda:topic``).
        self.topic = topic

    def _run_hook(self, my_task: Task) -> None:
        """Nothing runs here (and a throw event throws nothing): the task stays STARTED for a worker."""


class ExternalServiceTask(ExternalWork, BpmnSpecMixin):  # type: ignore[misc]
    """An external service or send task."""


class ExternalThrowEvent(ExternalWork, IntermediateThrowEvent):  # type: ignore[misc]
    """An external message intermediate throw event."""


class ExternalEndEvent(ExternalWork, EndEvent):  # type: ignore[misc]
    """An external message end event: its path ends once the worker completes it."""


_EVENTS = {IntermediateThrowEvent: ExternalThrowEvent, EndEvent: ExternalEndEvent}


class ExternalParser:
    """Task and event parser mixin: an element drawn as external work gets its :class:`ExternalWork` spec
    with the topic (other elements are parsed as before; ``checks.undrivable`` refused the rest)."""

    node: etree._Element
    spec_class: Any

    def create_task(self) -> Any:
        external = is_external(self.node)
        if external:
            self.spec_class = _EVENTS.get(self.spec_class, self.spec_class)
        task = super().create_task()  # type: ignore[misc]
        if external:
            task.topic = implementation(self.node).get(_TOPIC)
        return task


class ExternalTaskConverter(BpmnTaskSpecConverter):  # type: ignore[misc]
    """Serializer converter for :class:`ExternalServiceTask`: the standard attributes and the topic."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct["topic"] = spec.topic
        return dct


class ExternalEventConverter(EventConverter):  # type: ignore[misc]
    """Serializer converter for the external throw events: an event's attributes and the topic."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct["topic"] = spec.topic
        return dct


#: Each external spec class and the converter that writes it.
CONVERTERS = {ExternalServiceTask: ExternalTaskConverter, ExternalThrowEvent: ExternalEventConverter,
              ExternalEndEvent: ExternalEventConverter}


@dataclass(frozen=True)
class ExternalWait:
    """A task of a case waiting for a worker: its SpiffWorkflow task id, the element it runs, its topic."""

    task_id: str
    info: ElementInfo
    topic: str


def waiting_external(tasks: Iterable[Task]) -> list[Task]:
    """The external tasks among ``tasks`` that wait for a worker (STARTED), in tree order."""
    return [t for t in tasks if waits_for_worker(t)]


def waits_for_worker(task: Task) -> bool:
    """A live wait: an external task started and waiting for a worker."""
    return task.state == TaskState.STARTED and isinstance(task.task_spec, ExternalWork)


def _started(workflow: Any, task_id: str) -> Task:
    task = workflow.get_task_from_id(UUID(task_id))
    if not waits_for_worker(task):
        raise CaseStateError(f"task '{task.task_spec.bpmn_id}' does not wait for a worker "
                             f"(it is {TaskState.get_name(task.state)}); nothing was written")
    return task


def complete_external(workflow: Any, task_id: str, variables: dict[str, Any]) -> None:
    """The worker is done: its variables join the task's data, which the flow after it reads."""
    task = _started(workflow, task_id)
    task.data.update(variables)
    task.complete()


def throw_error(workflow: Any, task_id: str, code: str, message: str | None, variables: dict[str, Any]) -> bool:
    """Throw BPMN error ``code`` from the external task (with the worker's variables): caught by an error
    boundary event on the task whose code matches (or that names none), else outwards as an error thrown in
    the task's scope (event sub-processes, boundary events on enclosing activities). False: nothing caught
    it, and the task's path ended there (Camunda 7's default)."""
    task = _started(workflow, task_id)
    definition = CamundaError(code, code)
    definition.message = message
    task.data.update(variables)
    event = BpmnEvent(definition, payload=deepcopy(task.data), target=task.workflow)
    split = task.parent
    own = [b for b in (split.children if split is not None else ())
           if b is not task and isinstance(b.task_spec, BoundaryEvent) and b.state == TaskState.WAITING
           and b.task_spec.catches(b, event)]
    if own:
        boundary = own[0]  # the first drawn wins, as in Camunda
        boundary.task_spec.catch(boundary, event)
        boundary.task_spec._update(boundary)
        return True
    top = workflow  # SpiffWorkflow queues an event nothing caught as one for outside the case
    before = len(top.bpmn_events)
    top.catch(event)
    if len(top.bpmn_events) > before and top.bpmn_events[-1] is event:  # reached the top uncaught
        top.bpmn_events.pop()
        _end_path(task)
        return False
    return True


def _end_path(task: Task) -> None:
    """What Camunda 7 does with a BPMN error nothing catches (``BpmnExceptionHandler.propagateError``, by
    default): the execution ends at the task -- its outgoing flows are not taken, its boundary events go --
    and a scope left with nothing else running completes, as if an end event followed the task."""
    split = task.parent
    if split is not None and isinstance(split.task_spec, BoundaryEventSplit):
        for sibling in list(split.children):
            if sibling is not task and sibling.has_state(TaskState.NOT_FINISHED_MASK):
                sibling.cancel()
    task._drop_children()
    task._set_state(TaskState.COMPLETED)
    scope = task.workflow
    if scope.get_next_task(state=TaskState.NOT_FINISHED_MASK) is None:
        scope._mark_complete(task)
    scope._task_completed_notify(task)


__all__ = ["CONVERTERS", "ExternalEndEvent", "ExternalParser", "ExternalServiceTask", "ExternalThrowEvent",
           "ExternalWait", "ExternalWork", "complete_external", "implementation", "is_external", "throw_error",
           "waiting_external", "waits_for_worker"]
