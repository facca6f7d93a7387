"""One case's SpiffWorkflow instance behind the few operations the runtime needs.

The runtime never touches SpiffWorkflow: it restores or starts a :class:`CaseWorkflow`, asks it to
act (complete a task, catch a message, fire due timers, cancel, migrate), and reads back what
happened as journal entries and what the case now waits for as ready tasks and timers. Each action
runs the same way: snapshot task states, act, apply the BPMN event semantics SpiffWorkflow lacks,
run the engine until only people and future timers are left, and diff the snapshot into journal
entries. Any failure inside SpiffWorkflow becomes an ``EngineError`` naming the element, so a step
never half-writes a case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import TaskState

from ..definitions import ElementInfo, ProcessDefinition
from ..errors import EngineError, ExpressionError, SedflowError
from ..journal import JournalEntry
from .environment import CaseEnvironment
from .events import interrupt, triggered
from .external import ExternalWait, complete_external, throw_error, waiting_external
from .queries import (
    LIVE,
    EventWait,
    ReadyTask,
    Stuck,
    WaitingTimer,
    all_tasks,
    element_of,
    live_elements,
    message_waits,
    ready_tasks,
    signal_waits,
    snapshot,
    stuck_at,
    waiting_timers,
)
from .state import dump_state, load_state, new_workflow, prune
from .transitions import StepContext, transitions


class CaseWorkflow:
    """A case's workflow on its definition's shared spec, in the case's environment."""

    def __init__(self, workflow: Any, definition: ProcessDefinition):
        self._workflow = workflow
        self.definition = definition

    @classmethod
    def start(cls, definition: ProcessDefinition, environment: CaseEnvironment,
              data: Mapping[str, Any]) -> CaseWorkflow:
        """A new workflow with the start form's data (it runs on the first :meth:`run`)."""
        workflow = new_workflow(definition, environment)
        workflow.task_tree.data.update(data)
        return cls(workflow, definition)

    @classmethod
    def restore(cls, state: bytes, definition: ProcessDefinition,
                environment: CaseEnvironment) -> tuple[CaseWorkflow, dict[str, datetime]]:
        """The stored workflow, and when each of its ready tasks became ready."""
        workflow, ready_since = load_state(state, definition, environment)
        return cls(workflow, definition), ready_since

    # ------------------------------------------------------------------------------------ reading

    @property
    def is_completed(self) -> bool:
        return bool(self._workflow.is_completed())

    @property
    def task_count(self) -> int:
        """Tasks in the main tree (what pruning keeps bounded)."""
        return len(self._workflow.tasks)

    def ready_tasks(self) -> list[ReadyTask]:
        return ready_tasks(self._workflow, self.definition)

    def external_waits(self) -> list[ExternalWait]:
        """External tasks waiting for a worker, in tree order."""
        waits = []
        for task in waiting_external(all_tasks(self._workflow)):
            info = element_of(task, self.definition)
            if info is not None:
                waits.append(ExternalWait(str(task.id), info, task.task_spec.topic))
        return waits

    def waiting_timers(self) -> list[WaitingTimer]:
        return waiting_timers(self._workflow, self.definition)

    def stuck(self) -> list[Stuck] | None:
        """Where the case is stuck (None: it can advance; see :func:`.queries.stuck_at`)."""
        return stuck_at(self._workflow, self.definition)

    def live_elements(self) -> list[ElementInfo]:
        """Elements the case is in now: ready tasks, waiting events, running activities."""
        return list(live_elements(self._workflow, self.definition).values())

    def variables(self, task_id: str | None = None) -> dict[str, Any]:
        """A ready task's data; without one, the process variables: the ended workflow's data, or while it
        runs, the data of the main flow's live task that changed last (where the flow is now)."""
        workflow = self._workflow
        if task_id is not None:
            return dict(workflow.get_task_from_id(UUID(task_id)).data)
        if workflow.is_completed():
            return dict(workflow.data)
        live = [t for t in workflow.tasks.values() if t.has_state(LIVE) and t.task_spec.bpmn_id is not None]
        latest = max(live, key=lambda t: t.last_state_change, default=workflow.task_tree)
        return {**workflow.data, **latest.data}

    def dump(self, ready_since: Mapping[str, datetime]) -> bytes:
        """Prune finished history, then serialize (without the spec)."""
        prune(self._workflow)
        return dump_state(self._workflow, ready_since)

    # ------------------------------------------------------------------------------------ acting

    def run(self, ctx: StepContext, act: Callable[[], object] = lambda: None) -> list[JournalEntry]:
        """Act, apply the event semantics SpiffWorkflow lacks, run the engine; return the transitions."""
        workflow = self._workflow
        before = snapshot(workflow)
        seen = triggered(workflow, self.definition)
        try:
            act()
            interrupt(workflow, seen, self.definition)
            _settle(workflow, lambda: interrupt(workflow, seen, self.definition))
        except SedflowError:
            raise
        except SpiffWorkflowException as exc:
            cause = _root_cause(exc)
            element = getattr(getattr(exc, "task_spec", None), "bpmn_id", None) or \
                getattr(getattr(getattr(exc, "task", None), "task_spec", None), "bpmn_id", None)
            where = f" at element '{element}'" if element else ""
            detail = str(cause) if isinstance(cause, ExpressionError) else str(exc)
            raise EngineError(f"case '{ctx.case_id}' cannot advance{where}: {detail}; nothing was written",
                              element=element) from exc
        except Exception as exc:  # a SpiffWorkflow bug must not leave a half-written case
            raise EngineError(f"case '{ctx.case_id}' cannot advance: {type(exc).__name__}: {exc}; "
                              "nothing was written") from exc
        return transitions(before, workflow, ctx)

    def complete(self, ctx: StepContext, task_id: str, data: Mapping[str, Any]) -> list[JournalEntry]:
        """Complete a ready task with its (validated) form data."""
        def act() -> None:
            task = self._workflow.get_task_from_id(UUID(task_id))
            task.data.update(data)
            self._workflow.run_task_from_id(task.id)
        return self.run(ctx, act)

    def complete_external(self, ctx: StepContext, task_id: str, variables: Mapping[str, Any]) -> list[JournalEntry]:
        """A worker completed an external task with its (checked) variables."""
        return self.run(ctx, lambda: complete_external(self._workflow, task_id, dict(variables)))

    def throw_error(self, ctx: StepContext, task_id: str, code: str, message: str | None,
                    variables: Mapping[str, Any]) -> list[JournalEntry]:
        """A worker threw BPMN error ``code`` from an external task: caught, or (nothing catches it) the task's
        path ends there, as in Camunda 7."""
        return self.run(ctx, lambda: throw_error(self._workflow, task_id, code, message, dict(variables)))

    def message_waits(self, name: str) -> list[EventWait]:
        """Where the case would catch message ``name`` now (none: it is not waiting for it)."""
        return message_waits(self._workflow, self.definition, name)

    def deliver_message(self, ctx: StepContext, wait: EventWait, variables: Mapping[str, Any]) -> list[JournalEntry]:
        """Deliver a BPMN message, or a signal from outside the case, to where the case waits for it; its
        variables join the path it starts. A signal is caught by every place that waits for it (Camunda 7)."""
        event = BpmnEvent(wait.definition, payload=dict(variables))
        return self.run(ctx, lambda: self._workflow.catch(event))

    def signal_waits(self, name: str | None = None) -> list[EventWait]:
        """Where the case would catch signal ``name`` now (None: any signal; none: it is not waiting)."""
        return signal_waits(self._workflow, self.definition, name)

    def fire_due_timers(self, ctx: StepContext) -> list[JournalEntry]:
        return self.run(ctx, self._workflow.refresh_timers)

    def cancel(self, ctx: StepContext) -> list[JournalEntry]:
        return self.run(ctx, self._workflow.cancel)

    def correct_data(self, data: Mapping[str, Any]) -> None:
        """Set corrected (validated) fields in the process data and in every live task's data, so that
        later conditions read them; nothing runs (a correction is not a step of the flow)."""
        self._workflow.data.update(data)
        for task in self._workflow.tasks.values():
            if task.has_state(LIVE):
                task.data.update(data)

    @property
    def spiff(self) -> Any:
        """The SpiffWorkflow instance, for the other modules of this package (migration)."""
        return self._workflow


def _settle(workflow: Any, after_pass: Callable[[], object], rounds: int = 100) -> None:
    """Run engine tasks until only people and future timers are left, applying ``after_pass`` (the event
    semantics) after each pass.

    ``do_engine_steps`` refreshes timers after its last pass, so a timer that came due during the step
    is left READY but not run; another pass runs it (and whatever follows it).
    """
    for _ in range(rounds):
        workflow.do_engine_steps()
        after_pass()
        if workflow.get_next_task(state=TaskState.READY, manual=False) is None:
            return
    raise EngineError(f"the engine did not settle after {rounds} rounds (a loop of timers that are always due?)")


def _root_cause(exc: BaseException) -> BaseException:
    """The error behind SpiffWorkflow's wrappers: our own if one is in the chain, else the innermost."""
    seen = set()
    while id(exc) not in seen and not isinstance(exc, SedflowError):
        seen.add(id(exc))
        inner = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if inner is None:
            break
        exc = inner
    return exc
