"""The step pipeline: every change to a case is load -> act -> plan -> commit -> view.

``LoadedCase`` is the committed case with its workflow restored; the engine acts on the workflow
(``sedflow.spiff.CaseWorkflow``), which returns the step's transitions as journal entries;
:func:`plan_step` turns all of that into a :class:`StepResult` -- the new case row, its open tasks and
timers, its journal entries -- without changing what it was given; :meth:`StepResult.write` puts it in
a store transaction, guarded by the revision the case was read at, so that a concurrent writer makes
the later commit fail with ``RecordConflictError`` and nothing of it is written.

No silent stall: after every step an active case must have a live wait -- a ready user task, an external
task waiting for a worker, a timer with a due time, or a message or signal the engine delivers awaited
where it keeps a case alive. A step that leaves it none still commits (the step itself was valid), with
an ``incident_opened`` entry naming the element(s) it is stuck at and why, and the incident on the case
row; the step that gives it a live wait again, or ends it, journals ``incident_resolved``. The check
reuses the ready tasks, external tasks and timers the step computes anyway: only a case with none of
them walks its tree once more. A case in incident because a worker's attempts failed (a timer's step
under ``tick``, ``scheduler.RetryPolicy``; an external task out of retries) stays in it through other
steps (a coach's task, a data correction): only a retry that succeeds, a person resolving it, or the
case's end closes it (``Engine.retry_incident`` / ``resolve_incident``), as Camunda 7 keeps a failed
job's incident until its retries are set again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..definitions import ElementInfo, ProcessDefinition
from ..errors import EngineError
from ..journal import JournalEntry, JournalKind
from ..profile import DomainRules
from ..spiff.queries import Stuck
from ..spiff.transitions import StepContext
from ..spiff.workflow import CaseWorkflow
from ..store import CaseRecord, CaseStatus, ExternalTaskRecord, Incident, IncidentKind, OpenKind, OpenTask, Transaction
from .views import Case, TaskView


@dataclass(frozen=True)
class LoadedCase:
    """A committed case and its workflow, restored on the definition version it runs on."""

    record: CaseRecord
    workflow: CaseWorkflow
    ready_since: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Ending:
    """How the case ends if this step ends it; unset fields come from the end event, then the profile."""

    status: CaseStatus = CaseStatus.COMPLETED
    outcome: str | None = None
    end_reason: str | None = None


#: A step that may complete the case through its end events.
COMPLETE = Ending()


@dataclass(frozen=True)
class StepResult:
    """Everything one step writes, ready to commit."""

    record: CaseRecord
    definition: ProcessDefinition
    open_tasks: tuple[OpenTask, ...]
    timers: tuple[OpenTask, ...]
    entries: tuple[JournalEntry, ...]
    expected_revision: int | None   # None: a new case
    first_deployment: bool = False  # the first case of a process never deployed deploys its version
    signal_waits: frozenset[str] = frozenset()  # the signals the case waits for (other cases' throws reach it)
    external_tasks: tuple[ExternalTaskRecord, ...] = ()  # what the case waits for workers to do

    def write(self, tx: Transaction) -> None:
        d, r = self.definition, self.record
        if self.expected_revision is None:
            tx.save_definition(d.version, d.process_id, d.name, d.sources, r.updated_at)
            if self.first_deployment:
                tx.record_deployment(d.process_id, d.version, r.updated_at, self.entries[0].actor, {"previous": None})
            tx.insert_case(r)
        else:
            tx.update_case(r, expected_revision=self.expected_revision)
        tx.replace_open_tasks(r.case_id, self.open_tasks + self.timers)
        if d.caught_signals or self.expected_revision is not None:  # (a new case of a process without any: none)
            tx.replace_signal_waits(r.case_id, self.signal_waits)
        tx.sync_external_tasks(r.case_id, self.external_tasks, new=self.expected_revision is None)
        tx.append_journal(self.entries)

    def view(self) -> Case:
        return Case.of(self.record, [TaskView.of(replace(t, participant=self.record.participant))
                                     for t in self.open_tasks])


def plan_step(loaded: LoadedCase, ctx: StepContext, entries: Sequence[JournalEntry], *, rules: DomainRules,
              recorded: Mapping[str, Any] | None = None, ending: Ending = COMPLETE, new: bool = False,
              first_deployment: bool = False, resolution: str | None = None) -> StepResult:
    """The new case row, open tasks, timers and journal entries after ``entries`` happened to the case.

    ``recorded`` is the form data this step records into the case's summary of latest values;
    ``resolution`` says why an open incident closes, when a person closes it (retried, resolved).
    """
    record, workflow, now = loaded.record, loaded.workflow, ctx.at
    definition = workflow.definition
    milestones = dict(record.milestones)
    for e in entries:
        if e.kind == JournalKind.TASK_COMPLETED and e.element_id is not None:
            info = definition.element(e.process_id, e.element_id)
            if info is not None and info.milestone:
                milestones.setdefault(info.milestone, now.isoformat(timespec="seconds"))
    entries = [replace(e, duration=(now - loaded.ready_since[e.task_id]).total_seconds())
               if e.kind == JournalKind.TASK_COMPLETED and e.task_id is not None and e.task_id in loaded.ready_since
               else e for e in entries]
    data = {**record.data, **(recorded or {})}
    completed = workflow.is_completed
    open_tasks = tuple(OpenTask(case_id=record.case_id, task_id=t.task_id, element_id=t.info.id, name=t.info.label,
                                process_id=t.info.process_id, definition_version=definition.version,
                                lane=t.info.lane, stage=t.info.stage, since=loaded.ready_since.get(t.task_id, now))
                       for t in workflow.ready_tasks())
    timers = tuple(OpenTask(case_id=record.case_id, task_id=t.task_id, element_id=t.info.id, name=t.info.label,
                            process_id=t.info.process_id, definition_version=definition.version, lane=t.info.lane,
                            stage=t.info.stage, since=now, kind=OpenKind.TIMER, due_at=t.due)
                   for t in workflow.waiting_timers())
    external = tuple(ExternalTaskRecord(id=uuid.uuid4().hex, case_id=record.case_id, task_id=w.task_id,
                                        element_id=w.info.id, process_id=w.info.process_id, topic=w.topic,
                                        created_at=now) for w in workflow.external_waits())
    # A live wait in hand costs nothing more; only a case with none is walked again.
    stuck = None if completed or open_tasks or timers or external else workflow.stuck()
    incident = None
    failed = record.incident is not None and (
        record.incident.kind == IncidentKind.FAILED
        or (record.incident.kind == IncidentKind.EXTERNAL  # while its external task still waits
            and any((e.process_id, e.element_id) == (record.incident.process_id, record.incident.element_id)
                    for e in external)))
    if failed and stuck is None and not completed and resolution is None:
        incident = record.incident  # only a retry, a person, or the case's end closes it
    elif stuck is not None or record.incident is not None:
        incident = _incident(record.incident, stuck, entries, ctx,
                             live=resolution or _live(open_tasks, timers, completed, ending, external))
    ended: dict[str, Any] = {}
    if completed:
        end = _closing(definition, entries, data, ending, rules, ctx)
        entries.append(end)
        ended = {"status": ending.status, "outcome": end.outcome, "end_reason": end.end_reason, "ended_at": now}
    state = workflow.dump({t.task_id: t.since for t in open_tasks})
    new_record = replace(
        record, definition_version=definition.version, data=data, milestones=milestones,
        stages=sorted({i.stage for i in workflow.live_elements() if i.stage}),
        next_due_at=min((t.due_at for t in timers if t.due_at is not None), default=None),
        incident=incident, failures=record.failures if failed and incident is record.incident else 0, state=state,
        revision=record.revision + 1, updated_at=now, **ended)
    signals = frozenset(w.definition.name for w in workflow.signal_waits()) \
        if definition.caught_signals and not completed else frozenset()
    return StepResult(new_record, definition, open_tasks, timers, tuple(entries),
                      None if new else record.revision, first_deployment, signals, external)


def _incident(previous: Incident | None, stuck: list[Stuck] | None, entries: list[JournalEntry], ctx: StepContext,
              *, live: str) -> Incident | None:
    """The case's incident after the step (None: it can advance or has ended); opening, resolving or moving
    it appends its journal entries to ``entries``. ``live`` says what the case has instead, for a
    resolution."""
    current = None
    if stuck is not None:
        first = stuck[0].info if stuck else None
        current = Incident(process_id=first.process_id if first else ctx.definition.process_id,
                           element_id=first.id if first else None, reason=_reason(stuck), since=ctx.at)
    same = (previous is not None and current is not None
            and (previous.kind, previous.process_id, previous.element_id, previous.reason) ==
            (current.kind, current.process_id, current.element_id, current.reason))
    if same:
        return previous
    if previous is not None:
        why = live if current is None else "the case is stuck elsewhere now"
        entries.append(_incident_entry(JournalKind.INCIDENT_RESOLVED, ctx, previous, None, {
            "reason": why, "incident": previous.reason, "opened_at": previous.since.isoformat(timespec="seconds")}))
    if current is not None and stuck is not None:
        entries.append(_incident_entry(JournalKind.INCIDENT_OPENED, ctx, current, stuck[0].info if stuck else None, {
            "kind": current.kind, "reason": current.reason,
            "elements": [{"process_id": s.info.process_id, "element_id": s.info.id, "element_type": s.info.kind,
                          "reason": s.reason} for s in stuck]}))
    return current


def _reason(stuck: Sequence[Stuck]) -> str:
    if not stuck:
        return "nothing in the case is ready, waiting or running, yet it has not ended"
    return "; ".join(f"{s.info.kind} '{s.info.id}'" + (f" ({s.info.name})" if s.info.name else "") + f" {s.reason}"
                     for s in stuck)


def _live(open_tasks: Sequence[OpenTask], timers: Sequence[OpenTask], completed: bool, ending: Ending,
          external: Sequence[ExternalTaskRecord] = ()) -> str:
    """What a case that is not stuck has, in words: why an incident it was in is resolved."""
    if completed:
        return f"the case ended ({ending.status})"
    if open_tasks:
        return "the case can advance again: " + ", ".join(sorted({t.element_id for t in open_tasks})) + " ready"
    if external:
        return ("the case can advance again: " + ", ".join(sorted({t.element_id for t in external}))
                + " waiting for a worker")
    if timers:
        return "the case can advance again: timer " + ", ".join(sorted({t.element_id for t in timers})) + " waiting"
    return "the case can advance again: it waits for a message or signal the engine delivers"


def failure_incident(record: CaseRecord, definition: ProcessDefinition, error: EngineError, failures: int,
                     at: datetime, actor: str | None) -> tuple[Incident, JournalEntry]:
    """The incident a worker opens when its last attempt at the case fails with ``error``, and its
    ``incident_opened`` row (``data``: the error and the attempts made)."""
    info = next((i for i in definition.elements.values() if i.id == error.element), None) if error.element else None
    incident = Incident(process_id=info.process_id if info else record.process_id,
                        element_id=info.id if info else None, kind=IncidentKind.FAILED, since=at,
                        reason=f"the step firing its timers failed {failures} time(s) in a row: {error}")
    ctx = StepContext(case_id=record.case_id, at=at, definition=definition, actor=actor)
    return incident, _incident_entry(JournalKind.INCIDENT_OPENED, ctx, incident, info, {
        "kind": incident.kind, "reason": incident.reason, "error": str(error), "retries": failures})


def _incident_entry(kind: JournalKind, ctx: StepContext, incident: Incident, info: ElementInfo | None,
                    data: dict[str, Any]) -> JournalEntry:
    if info is None and incident.element_id is not None:
        info = ctx.definition.element(incident.process_id, incident.element_id)
    return JournalEntry(case_id=ctx.case_id, at=ctx.at, kind=kind, process_id=incident.process_id,
                        definition_version=ctx.definition.version, element_id=incident.element_id,
                        element_name=info.label if info else None, element_type=info.kind if info else None,
                        lane=info.lane if info else None, actor=ctx.actor, data=data)


def _closing(definition: ProcessDefinition, entries: Sequence[JournalEntry], data: Mapping[str, Any],
             ending: Ending, rules: DomainRules, ctx: StepContext) -> JournalEntry:
    """The ``case_ended`` entry: the end event that closed the case gives outcome and end reason."""
    ends = [definition.element(e.process_id, e.element_id) for e in entries
            if e.kind == JournalKind.EVENT_REACHED and e.element_type == "endEvent" and e.element_id is not None
            and e.process_id == definition.process_id]
    reached = [i for i in ends if i is not None]
    # The end event that closed the case is the one that records an outcome (others end side paths).
    info = next((i for i in reversed(reached) if "outcome" in i.properties), reached[-1] if reached else None)
    props = info.properties if info else {}
    outcome = ending.outcome or props.get("outcome") or rules.default_outcome
    end_reason = ending.end_reason or props.get("end_reason") or data.get("end_reason") or rules.default_end_reason
    return JournalEntry(case_id=ctx.case_id, at=ctx.at, kind=JournalKind.CASE_ENDED,
                        process_id=definition.process_id, definition_version=definition.version,
                        element_id=info.id if info else None, element_name=info.label if info else None,
                        element_type=info.kind if info else None, lane=info.lane if info else None, actor=ctx.actor,
                        outcome=outcome, end_reason=end_reason, data={"status": ending.status})
