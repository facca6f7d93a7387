"""External tasks: the door through which a case asks a program outside sedflow to do work.

A case waits at an external task (``sedflow.spiff.external``) until a worker reports on it. The store
keeps one row per such task, written with the step that reaches it. Workers fetch rows by topic with a
lease (:meth:`ExternalTasks.fetch_and_lock`), then report: complete (a case step: the variables join the
case and the flow goes on), fail (retries left and when to try again, journaled ``external_task_failed``),
or a BPMN error (a case step: an error boundary event on the task, or an enclosing error catch, takes
the flow; nothing catching it, the task's path ends there, as Camunda 7 does by default). Every report
is guarded by the worker's lock in the transaction that writes it: a worker whose lease lapsed, or who
never held it, gets ``ExternalTaskLockError`` and nothing is written, so a task another worker fetched
since is done once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..definitions.variables import check_variables
from ..errors import CaseStateError, ExternalTaskLockError, SedflowError, TaskDataError
from ..journal import JournalEntry, JournalKind
from ..spiff.transitions import StepContext
from ..store import CaseStatus, ExternalTaskRecord, Incident, IncidentKind
from .step import LoadedCase, StepResult, plan_step
from .views import Case

if TYPE_CHECKING:
    from .engine import Engine


@dataclass(frozen=True)
class LockedTask:
    """An external task a worker has locked: what to do (``topic``), for which case and element, with the
    variables the task sees; ``retries``/``error_message`` are what the last failure left (None: none yet);
    the worker must report before ``lock_until``."""

    id: str
    topic: str
    case_id: str
    element_id: str
    process_id: str
    variables: dict[str, Any]
    retries: int | None
    error_message: str | None
    lock_until: datetime


class ExternalTasks:
    """The engine's external-task operations (``Engine.fetch_and_lock`` and the reports delegate here)."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def listed(self, topic: str | None = None, case_id: str | None = None) -> list[ExternalTaskRecord]:
        return self._engine.store.list_external_tasks(topic=topic, case_id=case_id)

    def fetch_and_lock(self, topics: Collection[str], worker_id: str, *, max_tasks: int = 1,
                       lease: timedelta = timedelta(minutes=5)) -> list[LockedTask]:
        topics = [topics] if isinstance(topics, str) else sorted(set(topics))
        _worker(worker_id)
        if not topics or not all(isinstance(t, str) and t for t in topics):
            raise TaskDataError("fetch_and_lock needs at least one topic", field="topics")
        if max_tasks < 1:
            raise TaskDataError(f"max_tasks must be at least 1, not {max_tasks}", field="max_tasks")
        if lease <= timedelta(0):
            raise TaskDataError(f"the lease must be longer than 0, not {lease}", field="lease")
        engine = self._engine
        rows = engine.store.lock_external_tasks(topics, worker_id, engine.clock.now(), max_tasks, lease)
        locked = []
        for row in rows:
            try:
                workflow = engine._load(row.case_id, None).workflow
            except SedflowError:  # suspended or ended since the rows were read
                continue
            if row.task_id not in {w.task_id for w in workflow.external_waits()}:
                continue  # the case moved on since the rows were read: its step deleted the row
            variables = workflow.variables(row.task_id)
            locked.append(LockedTask(row.id, row.topic, row.case_id, row.element_id, row.process_id, variables,
                                     row.retries, row.error_message, row.lock_until or engine.clock.now() + lease))
        return locked

    def complete(self, task_id: str, worker_id: str, data: Mapping[str, Any] | None = None) -> Case:
        row, loaded, ctx, variables = self._step(task_id, worker_id, data)
        entries = loaded.workflow.complete_external(ctx, row.task_id, variables)
        return self._commit(row, worker_id, plan_step(loaded, ctx, entries, rules=self._engine.profile.rules,
                                                      recorded=variables))

    def bpmn_error(self, task_id: str, worker_id: str, code: str, message: str | None = None,
                   data: Mapping[str, Any] | None = None) -> Case:
        if not code:
            raise TaskDataError("a BPMN error needs an error code", field="code")
        row, loaded, ctx, variables = self._step(task_id, worker_id, data)
        entries = [replace(e, actor=worker_id, data={**e.data, "bpmn_error": code, "error_message": message,
                                                     **variables})
                   if e.task_id == row.task_id and e.kind in _ENDED else e
                   for e in loaded.workflow.throw_error(ctx, row.task_id, code, message, variables)]
        return self._commit(row, worker_id, plan_step(loaded, ctx, entries, rules=self._engine.profile.rules,
                                                      recorded=variables))

    def fail(self, task_id: str, worker_id: str, error: str, *, retries: int, retry_in: timedelta = timedelta(0),
             details: str | None = None) -> ExternalTaskRecord:
        if retries < 0:
            raise TaskDataError(f"retries must be 0 or more, not {retries}", field="retries")
        if retry_in < timedelta(0):
            raise TaskDataError(f"retry_in must not be negative, not {retry_in}", field="retry_in")
        engine = self._engine
        now = engine.clock.now()
        row = self._held(task_id, worker_id, now)
        record = engine.store.get_case(row.case_id, with_state=False)
        if record.status != CaseStatus.ACTIVE:
            raise CaseStateError(f"case '{row.case_id}' is {record.status}: external task '{task_id}' takes no "
                                 "report until it is active; nothing was written")
        info = engine.definition(record.definition_version).element(row.process_id, row.element_id)
        retry_at = now + retry_in
        entry = JournalEntry(
            case_id=row.case_id, at=now, kind=JournalKind.EXTERNAL_TASK_FAILED, process_id=row.process_id,
            definition_version=record.definition_version, element_id=row.element_id,
            element_name=info.label if info else None, element_type=info.kind if info else None,
            lane=info.lane if info else None, actor=worker_id, task_id=row.task_id,
            data={"external_task": row.id, "topic": row.topic, "worker": worker_id, "error": error,
                  "details": details, "retries": retries,
                  "retry_at": retry_at.isoformat(timespec="seconds") if retries else None})
        entries = [entry]
        incident = None
        if retries == 0 and record.incident is None:  # out of retries: the case is in incident, journaled
            incident = Incident(process_id=row.process_id, element_id=row.element_id, kind=IncidentKind.EXTERNAL,
                                since=now, reason=f"external task '{row.element_id}' (topic '{row.topic}') failed "
                                f"with no retries left: {error}")
            entries.append(replace(entry, kind=JournalKind.INCIDENT_OPENED, task_id=row.task_id, data={
                "kind": incident.kind, "reason": incident.reason, "error": error, "external_task": row.id,
                "topic": row.topic}))
        with engine.store.transaction() as tx:
            tx.fail_external_task(row.id, worker_id, now, error=error, details=details, retries=retries,
                                  retry_at=retry_at)
            if incident is not None:
                tx.record_failure(row.case_id, record.revision, failures=record.failures, retry_at=None,
                                  incident=incident)
            tx.append_journal(entries)
        return replace(row, lock_owner=None, lock_until=None, retries=retries, error_message=error,
                       error_details=details, retry_at=retry_at)

    # ------------------------------------------------------------------------------------ the pieces

    def _held(self, task_id: str, worker_id: str, now: datetime) -> ExternalTaskRecord:
        """The row, if ``worker_id`` holds its lock at ``now`` (the commit checks again, in its transaction)."""
        _worker(worker_id)
        row = self._engine.store.get_external_task(task_id)
        if row.lock_owner is None:
            why = "is not locked by any worker (fetch it with fetch_and_lock first)"
        elif row.lock_owner != worker_id:
            why = f"is locked by worker '{row.lock_owner}', not '{worker_id}'"
        elif row.lock_until is None or row.lock_until <= now:
            when = row.lock_until.isoformat(timespec="seconds") if row.lock_until else "?"
            why = f"was locked by worker '{worker_id}' until {when}: the lease lapsed (fetch it again)"
        else:
            return row
        raise ExternalTaskLockError(f"external task '{task_id}' {why}; nothing was written")

    def _step(self, task_id: str, worker_id: str,
              data: Mapping[str, Any] | None) -> tuple[ExternalTaskRecord, LoadedCase, StepContext, dict[str, Any]]:
        engine = self._engine
        now = engine.clock.now()
        row = self._held(task_id, worker_id, now)
        variables = check_variables(data or {}, element=row.element_id)
        loaded = engine._load(row.case_id, None)
        ctx = StepContext(case_id=row.case_id, at=now, definition=loaded.workflow.definition, actor=worker_id,
                          completed_task=row.task_id, submitted=variables)
        return row, loaded, ctx, variables

    def _commit(self, row: ExternalTaskRecord, worker_id: str, result: StepResult) -> Case:
        """The step and the check that the worker still holds the task, in one transaction."""
        self._engine._commit(result, first=lambda tx: tx.hold_external_task(row.id, worker_id,
                                                                           result.record.updated_at))
        return result.view()


#: How the journal says a task a BPMN error was thrown from ended: cancelled by the boundary event that caught
#: it, or (nothing caught it) its path ended there.
_ENDED = frozenset({JournalKind.TASK_CANCELLED, JournalKind.TASK_COMPLETED, JournalKind.EVENT_REACHED})


def _worker(worker_id: str) -> None:
    if not isinstance(worker_id, str) or not worker_id:
        raise TaskDataError("a worker id is needed (who holds the task's lock)", field="worker_id")


__all__ = ["ExternalTasks", "LockedTask"]
