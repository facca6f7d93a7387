"""A small harness for running Camunda 7 engine tests on sedflow, over sedflow's public API only.

Each ported test deploys one or more of Camunda's original diagrams (kept byte for byte under
``diagrams/<category>/``) into a fresh SQLite store with a manual clock, starts cases and drives them
the way the Java test drives its process instances, and asserts what the Java test asserts. How the
Camunda notions map onto sedflow's:

==========================================  ==================================================================
Camunda 7                                   sedflow (this harness)
==========================================  ==================================================================
deployment (``@Deployment(resources=…)``)   ``load_files([...])`` (no profile: the bare BPMN engine)
``startProcessInstanceByKey(key, vars)``    ``engine.start_case(key, participant, variables=vars)``
process instance ended                      the case's status is no longer ``active``
task query (names, definition keys)         ``engine.list_tasks(case_id=…)``: open user tasks by element id
``taskService.complete(id, vars)``          ``engine.complete_task(case_id, task_id, variables=vars)``
execute the (only) timer job / job executor the clock moves to the timer's due time, then ``engine.tick()``
``signalEventReceived(name)``               ``engine.broadcast_signal(name, participant=…)`` (a signal start
                                            event starts a case only for a participant named)
a signal thrown by another instance         the throwing case records it; ``engine.tick()`` delivers it
job query                                   the case's open timers (``engine.due(...)``, kind ``timer``)
activity instance tree (scopes)             sub-processes the journal shows started and not yet left
``runtimeService.getVariables(id)``         ``engine.variables(case_id)``
ProcessEngineException on start/complete    a ``SedflowError``, and no case was created (start)
ParseException on deploy                    a ``DefinitionError`` naming the file and the element
==========================================  ==================================================================
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sedflow import (
    GENERIC,
    CaseStatus,
    DefinitionError,
    Engine,
    JournalEntry,
    JournalKind,
    ManualClock,
    TaskView,
    load_files,
    open_store,
)

DIAGRAMS = Path(__file__).parent / "diagrams"
#: When every conformance case starts (a Monday morning, UTC).
START = "2026-02-02T09:00:00+00:00"
#: How far ahead "every timer the case has" looks.
FOREVER = timedelta(days=365 * 100)


def diagram(name: str) -> Path:
    """A kept Camunda diagram by ``<category>/<file name>``."""
    path = DIAGRAMS / name
    assert path.is_file(), f"no diagram {name} under {DIAGRAMS}"
    return path


def load(*names: str):
    """Load the diagrams as Camunda deploys them together, for the bare BPMN engine (its profile: what it
    can deliver), raising DefinitionError."""
    return load_files([diagram(n) for n in names], profile=GENERIC)


def assert_refused(*names: str, element: str, file: str | None = None, match: str | None = None) -> DefinitionError:
    """Loading the diagrams is refused with a problem at ``element`` of ``file`` (default: the first
    diagram), and the message names both; ``match``: a pattern the message must also contain (any case)."""
    with pytest.raises(DefinitionError) as refused:
        load(*names)
    error = refused.value
    expected_file = Path(file or names[0]).name
    at = [(Path(p.file or "").name, p.element) for p in error.problems]
    assert (expected_file, element) in at, f"no problem at {expected_file}, element {element!r}: {at}"
    message = "\n".join(str(p) for p in error.problems)  # each problem names its file and element
    assert expected_file in message and f"'{element}'" in message, message
    if match is not None:
        assert re.search(match, message, re.IGNORECASE), f"{match!r} not in {message!r}"
    return error


class Deployment:
    """Diagrams loaded into an engine over a fresh SQLite store, with a manual clock at :data:`START`."""

    def __init__(self, directory: Path, names: tuple[str, ...]):
        self.definitions = load(*names)
        directory.mkdir(parents=True, exist_ok=True)
        self.store = open_store(f"sqlite:///{directory / 'conformance.db'}", create=True)
        self.clock = ManualClock(START)
        self.engine = Engine(self.store, self.definitions, clock=self.clock)
        self._started = 0

    def start(self, process_id: str, variables: Mapping[str, Any] | None = None) -> Instance:
        """Start a case (one per Camunda process instance); ``variables`` as Camunda's start variables."""
        self._started += 1
        participant = f"p{self._started}"
        if variables is None:
            case = self.engine.start_case(process_id, participant)
        else:
            case = self.engine.start_case(process_id, participant, variables=dict(variables))
        return Instance(self, case.case_id)

    def signal(self, name: str, participant: str | None = None, data: Mapping[str, Any] | None = None) -> Any:
        """Camunda's ``runtimeService.signalEventReceived(name)``: the signal reaches every case waiting for it
        (and, with ``participant``, starts the processes whose start event catches it); the SignalResult."""
        return self.engine.broadcast_signal(name, data, participant=participant)

    def cases(self) -> list[str]:
        """Ids of every case in the store (Camunda's process instance query, ended ones included)."""
        return [c.case_id for c in self.engine.list_cases()]

    def active_cases(self) -> list[str]:
        return [c.case_id for c in self.engine.list_cases(status=CaseStatus.ACTIVE)]

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> dict[str, list[str]]:
        """Move the clock and let the scheduler fire what is due; the timers fired, per case."""
        self.clock.advance(delta, **kwargs)
        return self.tick()

    def tick(self) -> dict[str, list[str]]:
        result = self.engine.tick()
        assert not result.failed, f"tick failed: {result.failed}"
        return result.fired

    def close(self) -> None:
        self.store.close()


class Instance:
    """One case: what a Camunda test asks of its process instance."""

    def __init__(self, deployment: Deployment, case_id: str):
        self.deployment = deployment
        self.engine = deployment.engine
        self.case_id = case_id

    # -------------------------------------------------------------------------------- state

    @property
    def status(self) -> CaseStatus:
        return self.engine.show_case(self.case_id).status

    @property
    def ended(self) -> bool:
        """Camunda's ``isEnded()`` / ``assertProcessEnded``: the case is no longer active."""
        return self.status != CaseStatus.ACTIVE

    def task_views(self) -> list[TaskView]:
        return self.engine.list_tasks(case_id=self.case_id)

    def tasks(self) -> list[str]:
        """Element ids of the open user tasks, sorted (a multi-instance task appears once per instance)."""
        return sorted(t.element_id for t in self.task_views())

    def task_names(self) -> list[str]:
        """Names of the open user tasks, sorted (Camunda's ``orderByTaskName().asc()``)."""
        return sorted(t.name for t in self.task_views())

    def open_tasks(self) -> list[tuple[str, str]]:
        """(element id, name) of each open user task, sorted by name as Camunda's ``orderByTaskName``."""
        return sorted(((t.element_id, t.name) for t in self.task_views()), key=lambda t: (t[1], t[0]))

    def task(self, element_id: str) -> TaskView:
        """The one open task of ``element_id`` (Camunda's ``taskDefinitionKey(…).singleResult()``)."""
        matching = [t for t in self.task_views() if t.element_id == element_id]
        assert len(matching) == 1, f"{len(matching)} open tasks of {element_id!r}; open: {self.tasks()}"
        return matching[0]

    def timers(self) -> list[TaskView]:
        """The timers the case waits on (Camunda's timer jobs), earliest first."""
        views = self.engine.due(within=FOREVER, case_id=self.case_id)
        return sorted((v for v in views if v.kind == "timer"), key=lambda v: (v.due_at or v.since, v.element_id))

    def timer_ids(self) -> list[str]:
        return [t.element_id for t in self.timers()]

    def variables(self, task: str | None = None) -> dict[str, Any]:
        """The case's data (Camunda's ``getVariables(processInstanceId)``), or what a ready task sees."""
        return dict(self.engine.variables(self.case_id, task=task))

    def history(self) -> list[JournalEntry]:
        return self.engine.case_history(self.case_id)

    def reached(self, element_id: str) -> bool:
        """The journal shows the case passing ``element_id`` (an event reached, a task or activity completed)."""
        return any(e.element_id == element_id and e.kind in _PASSED for e in self.history())

    def count(self, kind: JournalKind, element_id: str) -> int:
        """How often the journal records ``kind`` at ``element_id``."""
        return sum(1 for e in self.history() if e.kind == kind and e.element_id == element_id)

    def end_event(self) -> str | None:
        """The end event the journal's ``case_ended`` row names (None while the case runs)."""
        ended = [e for e in self.history() if e.kind == JournalKind.CASE_ENDED]
        assert len(ended) <= 1, ended
        return ended[0].element_id if ended else None

    def open_scopes(self) -> list[str]:
        """Sub-processes and call activities the case is inside now, sorted (Camunda's activity instance
        tree, scopes only): started per the journal and not yet completed or cancelled."""
        counts: Counter[str] = Counter()
        for e in self.history():
            if e.element_id is None:
                continue
            if e.kind == JournalKind.ACTIVITY_STARTED:
                counts[e.element_id] += 1
            elif e.kind == JournalKind.ACTIVITY_COMPLETED or (
                    e.kind == JournalKind.TASK_CANCELLED and counts[e.element_id] > 0):
                counts[e.element_id] -= 1
        return sorted(counts.elements())

    # ------------------------------------------------------------------------------ acting

    def complete(self, element_or_task_id: str, variables: Mapping[str, Any] | None = None) -> None:
        """Complete an open task (by element id when it is the only one of it, else by task id)."""
        if variables is None:
            self.engine.complete_task(self.case_id, element_or_task_id)
        else:
            self.engine.complete_task(self.case_id, element_or_task_id, variables=dict(variables))

    def complete_all(self, element_id: str, variables: Mapping[str, Any] | None = None) -> int:
        """Complete every open task of ``element_id`` (e.g. all instances of a parallel multi-instance
        task), oldest first; how many were completed."""
        done = 0
        for view in sorted((t for t in self.task_views() if t.element_id == element_id), key=lambda t: t.since):
            self.complete(view.task_id, variables)
            done += 1
        return done

    def fire_next_timer(self) -> str:
        """Camunda's ``executeJob`` on the earliest timer job: the clock moves to its due time and the
        scheduler ticks. Returns the timer's element id."""
        timers = self.timers()
        assert timers, "the case waits on no timer"
        first = timers[0]
        assert first.due_at is not None
        if first.due_at > self.deployment.clock.now():
            self.deployment.clock.set(first.due_at)
        fired = self.deployment.tick()
        assert first.element_id in fired.get(self.case_id, []), f"{first.element_id} did not fire: {fired}"
        return first.element_id

    def due_at(self, element_id: str) -> datetime:
        [timer] = [t for t in self.timers() if t.element_id == element_id]
        assert timer.due_at is not None
        return timer.due_at


_PASSED = {JournalKind.EVENT_REACHED, JournalKind.TASK_COMPLETED, JournalKind.ACTIVITY_COMPLETED,
           JournalKind.GATEWAY_TAKEN, JournalKind.TIMER_FIRED}
