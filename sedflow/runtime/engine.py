"""The engine: one SpiffWorkflow instance per participant (a *case*), run durably over a store.

Every call that changes a case is one pass of the step pipeline (``runtime/step.py``): load the
committed case and restore its workflow on the cached spec of its definition version
(:meth:`Engine._load`), act on it (``spiff.CaseWorkflow``: complete, catch, fire timers, cancel,
migrate), plan the new row, open tasks and journal entries (``plan_step``), and write them in one
transaction guarded by the revision read at the start. Work is done outside the write lock; a
concurrent writer makes the later commit fail with RecordConflictError and nothing of it is written.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ..bpmn import ElementRef
from ..clock import Clock, SystemClock
from ..definitions import Definitions, ElementInfo, Form, ProcessDefinition
from ..definitions.variables import check_variables
from ..errors import (
    CaseStateError,
    MigrationRefusedError,
    NoMatchingCaseError,
    RecordConflictError,
    StoreError,
    TaskDataError,
    UnknownProcessError,
    UnknownTaskError,
)
from ..journal import JournalEntry, JournalKind
from ..profile import GENERIC, Profile
from ..spiff.queries import ReadyTask
from ..spiff.transitions import StepContext
from ..spiff.workflow import CaseWorkflow
from ..store import CaseFilter, CaseRecord, CaseStatus, DeploymentRecord, ExternalTaskRecord, OpenTask, Store
from .external import ExternalTasks, LockedTask
from .feed import Consumer, read_events
from .migration import Deployment, Migration, MigrationPlan
from .registry import DefinitionRegistry
from .scheduler import Fired, TickResult, run_tick
from .step import COMPLETE, Ending, LoadedCase, StepResult, plan_step
from .views import Case, TaskView

_PARTICIPANT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_IMPORT_COLUMNS = ("participant", "process", "case_id")


class Engine:
    """Runs cases over a store, with an injectable clock, for a programme ``profile``.

    ``definitions`` are the diagrams this program loaded. New cases start on the version of their
    process *deployed* in the store (``deploy``); a process never deployed there starts on the loaded
    version, and its first case deploys it. A case stays on the version it started on until migrated.
    The profile's rules (``sedflow.profile``) say what the programme refuses and how cases end.
    """

    def __init__(self, store: Store, definitions: Definitions, *, clock: Clock | None = None,
                 profile: Profile = GENERIC):
        profile.rules.refuse_unfit(definitions)
        self.store = store
        self.definitions = definitions
        self.clock: Clock = clock or SystemClock()
        self.profile = profile
        self._registry = DefinitionRegistry(store, definitions, self.clock)
        self._external = ExternalTasks(self)

    # ----------------------------------------------------------------------------------------- reads

    def show_case(self, case_id: str) -> Case:
        record = self.store.get_case(case_id, with_state=False)
        return Case.of(record, [self._task_view(row) for row in self.store.list_open_tasks(case_id=case_id)])

    def list_cases(self, *, status: CaseStatus | None = None, process_id: str | None = None, stage: str | None = None,
                   task: str | None = None, lane: str | None = None, participant: str | None = None,
                   incident: bool = False, limit: int | None = None) -> list[Case]:
        """Cases matching every filter given, oldest first; ``incident``: only those in incident."""
        filters = CaseFilter(status=status, process_id=process_id, participant=participant, stage=stage, task=task,
                             lane=lane, incident=incident, limit=limit)
        return [Case.of(r) for r in self.store.list_cases(filters)]

    def list_tasks(self, *, case_id: str | None = None, lane: str | None = None, task: str | None = None,
                   stage: str | None = None, process_id: str | None = None) -> list[TaskView]:
        """Tasks waiting for a person: one case's, or the work queue across cases."""
        if case_id is not None:
            self.store.get_case(case_id, with_state=False)  # UnknownCaseError for a wrong id
        rows = self.store.list_open_tasks(case_id=case_id, lane=lane, element_id=task, stage=stage,
                                          process_id=process_id)
        return [self._task_view(row) for row in self._unheld(rows)]

    def variables(self, case_id: str, task: str | None = None) -> dict[str, Any]:
        """The data a ready task of the case sees (by task id, or element id when unambiguous), or without
        ``task`` the case's process variables: what its end left, or while it runs, what its main flow holds."""
        record = self.store.get_case(case_id)
        if record.state is None:
            raise StoreError(f"case '{case_id}': the store returned no state")
        definition = self.definition(record.definition_version)
        workflow, _ = CaseWorkflow.restore(record.state, definition, self._registry.environment(definition))
        target = None if task is None else _resolve(workflow.ready_tasks(), case_id, task).task_id
        return workflow.variables(target)

    def case_history(self, case_id: str) -> list[JournalEntry]:
        self.store.get_case(case_id, with_state=False)
        return self.store.read_journal(case_id)

    # ---------------------------------------------------------------------------- event feed (feed.py)

    def events(self, *, after: int = 0, kinds: Collection[JournalKind | str] | None = None,
               limit: int | None = None) -> list[JournalEntry]:
        """Committed journal rows after the opaque cursor ``after`` (0: from the start; an event's ``seq`` is
        the cursor past it), in feed order, only ``kinds`` when given, at most ``limit``."""
        return read_events(self.store, after, kinds, limit)

    def consumer(self, name: str) -> Consumer:
        """The feed consumer ``name``, whose cursor the store keeps: ``poll()``, then ``ack(cursor)``."""
        return Consumer(self.store, name, self.clock)

    def due(self, *, within: timedelta = timedelta(0), lane: str | None = None,
            case_id: str | None = None) -> list[TaskView]:
        """The coach's queue: cases in incident first (the oldest incident first, in every lane: a stalled
        participant concerns everyone), then tasks ready now, and timers that fire within ``within``."""
        horizon = self.clock.now() + within
        rows = self.store.list_open_tasks(case_id=case_id, lane=lane, kind=None, due_before=horizon)
        return self._incidents(case_id) + [self._task_view(row) for row in self._unheld(rows)]

    def _unheld(self, rows: list[OpenTask]) -> list[OpenTask]:
        """Rows of suspended cases are left out of the work queue and the due list: nobody can act on them
        until the case is resumed (``show_case`` still lists its tasks, with the case's status)."""
        held = {r.case_id for r in self.store.list_cases(CaseFilter(status=CaseStatus.SUSPENDED))}
        return [row for row in rows if row.case_id not in held] if held else rows

    def _incidents(self, case_id: str | None) -> list[TaskView]:
        stalled = [r for r in self.store.list_cases(CaseFilter(status=CaseStatus.ACTIVE, incident=True))
                   if case_id is None or r.case_id == case_id]
        views = []
        for r in stalled:
            if r.incident is not None:
                info = (self.definition(r.definition_version).element(r.incident.process_id, r.incident.element_id)
                        if r.incident.element_id else None)
                views.append(TaskView.incident_of(r, r.incident, name=info.label if info else ""))
        return sorted(views, key=lambda v: (v.since, v.case_id))

    def _task_view(self, row: OpenTask) -> TaskView:
        info = self.definition(row.definition_version).element(row.process_id, row.element_id)
        return TaskView.of(row, documentation=info.documentation if info else "", form=info.form if info else None)

    # ------------------------------------------------------------------------------ definitions

    def definition(self, version: str) -> ProcessDefinition:
        """The definition a case runs on: loaded now, or rebuilt from the sources the store kept."""
        return self._registry.definition(version)

    def known_definitions(self) -> list[ProcessDefinition]:
        """The loaded definitions and every version deployed in the store (what reports must know)."""
        return self._registry.known()

    def current_definition(self, process_id: str) -> ProcessDefinition:
        """The definition new cases of ``process_id`` start on: the deployed version, else the loaded one."""
        return self._registry.for_new_cases(process_id)[0]

    def deployments(self, process_id: str | None = None) -> list[DeploymentRecord]:
        """The store's deployment history, oldest first."""
        return self._registry.deployments(process_id)

    def resolve_version(self, ref: str, process_id: str | None = None) -> ProcessDefinition:
        """A definition by version, unique version prefix, or ``latest`` (the deployed version of ``process_id``)."""
        return self._registry.resolve(ref, process_id)

    def deploy(self, definitions: Iterable[ProcessDefinition] | None = None, *,
               actor: str | None = None) -> list[Deployment]:
        """Make each definition (default: the loaded ones) the version new cases of its process start on.

        A definition whose version is already the deployed one is left as it is; every version ever
        deployed stays in the store, so cases keep running on theirs. Each result lists the elements
        added, removed and changed since the version deployed before.
        """
        chosen = list(definitions if definitions is not None else self.definitions)
        self.profile.rules.refuse_unfit(chosen)
        return self._registry.deploy(chosen, actor)

    # ---------------------------------------------------------------------------------------- writes

    def start_case(self, process_id: str, participant: str, data: Mapping[str, Any] | None = None, *,
                   variables: Mapping[str, Any] | None = None, actor: str | None = None,
                   case_id: str | None = None) -> Case:
        """Start a case for a participant (a pseudonymous key), with the start event's form data and any
        process variables no form declares (``definitions/variables.py`` says which are accepted)."""
        definition, deploy = self._registry.for_new_cases(process_id)
        result = self._start(definition, participant, data or {}, actor, case_id, deploy=deploy,
                             variables=variables or {})
        self._commit(result)
        return result.view()

    def import_cases(self, rows: Iterable[Mapping[str, Any]], *, process_id: str | None = None,
                     actor: str | None = None, batch: int = 500,
                     on_batch: Callable[[int], object] | None = None) -> list[str]:
        """Start many cases: each row has ``participant``, optionally ``process`` and ``case_id``, and the
        start form's fields. Every row is checked first (a TaskDataError names the first bad row and
        nothing is written); then cases start in batches, one transaction per batch."""
        rows = list(rows)
        current: dict[str, tuple[ProcessDefinition, bool]] = {}
        for line, row in enumerate(rows, 1):
            pid = row.get("process") or process_id or ""
            try:
                if pid not in current:
                    current[pid] = self._registry.for_new_cases(pid)
                self._check_start(current[pid][0], row.get("participant") or "", _start_fields(row))
            except (TaskDataError, UnknownProcessError) as exc:
                raise type(exc)(f"row {line}: {exc}") from exc
        started = []
        for first in range(0, len(rows), batch):
            results = []
            for row in rows[first:first + batch]:
                definition, deploy = current[row.get("process") or process_id or ""]
                results.append(self._start(definition, row["participant"], _start_fields(row), actor,
                                           row.get("case_id") or None, deploy=deploy))
                current[definition.process_id] = definition, False
            self._commit(*results)
            started += [result.record.case_id for result in results]
            if on_batch is not None:
                on_batch(len(results))
        return started

    def complete_task(self, case_id: str, task: str, data: Mapping[str, Any] | None = None, *,
                      variables: Mapping[str, Any] | None = None, actor: str | None = None,
                      expected_revision: int | None = None) -> Case:
        """Complete a ready task (by task id, or by element id when unambiguous) with its form data and any
        process variables no form declares."""
        loaded = self._load(case_id, expected_revision)
        target = _resolve(loaded.workflow.ready_tasks(), case_id, task)
        submitted = {**self._validate(target.info.form, data or {}, element=target.info.id),
                     **_variables(target.info.form, variables, element=target.info.id)}
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=loaded.workflow.definition, actor=actor,
                          completed_task=target.task_id, submitted=submitted)
        entries = loaded.workflow.complete(ctx, target.task_id, submitted)
        return self._finish(loaded, ctx, entries, recorded=submitted)

    def withdraw_case(self, case_id: str, reason: str, *, actor: str | None = None,
                      expected_revision: int | None = None) -> Case:
        """The participant leaves, from whatever stage: sends the profile's withdrawal message."""
        message = self.profile.rules.withdrawal_message
        if message is None:
            raise CaseStateError(f"profile '{self.profile.name}' models no withdrawal; use cancel_case")
        loaded, ctx = self._load_to_stop(case_id, reason, actor, expected_revision)
        waits = loaded.workflow.message_waits(message)
        entries = loaded.workflow.deliver_message(ctx, waits[0], {"end_reason": reason}) if waits else []
        if not loaded.workflow.is_completed:
            raise CaseStateError(
                f"process '{loaded.record.process_id}' models no withdrawal that ends the case here (an interrupting "
                f"event catching message '{message}'); use cancel_case for an administrative stop")
        return self._finish(loaded, ctx, entries, ending=Ending(CaseStatus.WITHDRAWN, end_reason=reason))

    def correlate_message(self, name: str, *, case_id: str | None = None, participant: str | None = None,
                          process_id: str | None = None, correlation: Mapping[str, Any] | None = None,
                          data: Mapping[str, Any] | None = None, actor: str | None = None) -> Case:
        """Deliver message ``name`` to the one case waiting for it, with ``data`` as its variables.

        The case is named by ``case_id``, or found among the active cases of ``participant`` (and
        ``process_id``) whose recorded data matches every key of ``correlation``; it must wait for the
        message now (a receive task, a catch or boundary event, an event-based gateway, an event
        sub-process's message start); with ``participant`` and ``process_id``, a process whose start event
        catches the message starts a new case for the participant. The data follows the rule for variables
        (``sedflow.definitions.variables``) and is journaled with a ``message_received`` row. No case
        waiting, or several, raise ``NoMatchingCaseError`` naming them; nothing is written. A message
        that comes before its catch is reached is refused the same way, not kept.
        """
        variables = check_variables(data or {}, element=f"message {name}")
        if case_id is not None:
            candidates = [case_id]
        else:
            if participant is None and not correlation:
                raise NoMatchingCaseError(f"message '{name}': name the case (case_id), the participant or a "
                                          "correlation to deliver it to")
            found = self.store.list_cases(CaseFilter(status=CaseStatus.ACTIVE, process_id=process_id,
                                                     participant=participant))
            candidates = [c.case_id for c in found
                          if all(c.data.get(k) == v for k, v in (correlation or {}).items())]
        waiting = []
        for cid in candidates:
            loaded = self._load(cid, None)
            waits = loaded.workflow.message_waits(name)
            if waits:
                waiting.append((loaded, waits))
        if not waiting and case_id is None and participant is not None and process_id is not None:
            definition, deploy = self._registry.for_new_cases(process_id)
            if definition.message_start == name:
                result = self._start(definition, participant, {}, actor, None, deploy=deploy, variables=variables,
                                     message=name)
                self._commit(result)
                return result.view()
        if not waiting:
            if case_id is not None:
                nobody = f"case '{case_id}' is not waiting for it now"
            else:
                of = f" of participant '{participant}'" if participant else ""
                matching = f" matching {dict(correlation)}" if correlation else ""
                nobody = f"no active case{of}{matching} is waiting for it now"
            raise NoMatchingCaseError(f"message '{name}': {nobody}; nothing was written")
        if len(waiting) > 1 or len(waiting[0][1]) > 1:
            places = ", ".join(f"{loaded.record.case_id}:{w.info.id}" for loaded, waits in waiting for w in waits)
            raise NoMatchingCaseError(f"message '{name}' is awaited in more than one place ({places}): name the case "
                                      "or a correlation that picks one; nothing was written")
        loaded, (wait,) = waiting[0]
        ctx = StepContext(case_id=loaded.record.case_id, at=self.clock.now(), definition=loaded.workflow.definition,
                          actor=actor, submitted=variables)
        received = _received(loaded.record.case_id, ctx.at, loaded.workflow.definition, wait.info, name, variables,
                             actor)
        entries = loaded.workflow.deliver_message(ctx, wait, variables)
        return self._finish(loaded, ctx, [received, *entries], recorded=variables)

    def cancel_case(self, case_id: str, reason: str, *, actor: str | None = None,
                    expected_revision: int | None = None) -> Case:
        """Administrative stop (e.g. a registration error): cancels every open task without a BPMN path."""
        loaded, ctx = self._load_to_stop(case_id, reason, actor, expected_revision)
        entries = loaded.workflow.cancel(ctx)
        return self._finish(loaded, ctx, entries, ending=Ending(CaseStatus.CANCELLED,
                                                                self.profile.rules.cancel_outcome, reason))

    # --------------------------------------------------------------------- external tasks (external.py)

    def external_tasks(self, topic: str | None = None, case_id: str | None = None) -> list[ExternalTaskRecord]:
        """The external tasks cases wait for workers at (of a topic, of a case), oldest first."""
        return self._external.listed(topic, case_id)

    def fetch_and_lock(self, topics: Collection[str], worker_id: str, *, max_tasks: int = 1,
                       lease: timedelta = timedelta(minutes=5)) -> list[LockedTask]:
        """Lock up to ``max_tasks`` external tasks of ``topics`` for ``worker_id`` for ``lease``, oldest first,
        with the variables each task sees. Tasks of suspended cases, locked ones, failed ones not yet due for a
        retry and those with no retries left are not fetched; a lapsed lease frees a task for any worker."""
        return self._external.fetch_and_lock(topics, worker_id, max_tasks=max_tasks, lease=lease)

    def complete_external_task(self, task_id: str, worker_id: str, data: Mapping[str, Any] | None = None) -> Case:
        """The worker holding the task is done: ``data`` become process variables (the variables rule) and
        the case goes on, in one step (ExternalTaskLockError if the worker's lock lapsed or was never its)."""
        return self._external.complete(task_id, worker_id, data)

    def fail_external_task(self, task_id: str, worker_id: str, error: str, *, retries: int,
                           retry_in: timedelta = timedelta(0), details: str | None = None) -> ExternalTaskRecord:
        """The worker holding the task failed: ``retries`` are left (0: the task is fetched no more), it may
        be fetched again after ``retry_in``; journaled ``external_task_failed`` in the same transaction."""
        return self._external.fail(task_id, worker_id, error, retries=retries, retry_in=retry_in, details=details)

    def bpmn_error(self, task_id: str, worker_id: str, code: str, *, message: str | None = None,
                   data: Mapping[str, Any] | None = None) -> Case:
        """The worker holding the task throws BPMN error ``code`` from it (with ``data`` as variables): an error
        boundary event on the task, or an enclosing error catch, takes the flow in one step. An error nothing
        catches ends the task's path there (Camunda 7's default): a scope with nothing else running completes."""
        return self._external.bpmn_error(task_id, worker_id, code, message, data)

    # ------------------------------------------------------------------------ suspension, corrections

    def suspend_case(self, case_id: str, reason: str, *, actor: str | None = None,
                     expected_revision: int | None = None) -> Case:
        """Hold a running case: until ``resume_case`` its timers do not fire (``tick`` passes it by; they stay
        due) and its tasks cannot be completed nor anything delivered to it (CaseStateError)."""
        loaded, ctx = self._load_to_hold(case_id, reason, actor, expected_revision, CaseStatus.ACTIVE)
        entry = self._case_entry(loaded, ctx, JournalKind.CASE_SUSPENDED, {"reason": reason})
        return self._finish(loaded, ctx, [entry], status=CaseStatus.SUSPENDED)

    def resume_case(self, case_id: str, reason: str = "resumed", *, actor: str | None = None,
                    expected_revision: int | None = None) -> Case:
        """Let a suspended case go on. A timer that fell due while it was suspended fires at the next
        ``tick``, once, as after downtime (a cycle's missed occurrences collapse into one)."""
        loaded, ctx = self._load_to_hold(case_id, reason, actor, expected_revision, CaseStatus.SUSPENDED)
        suspended_at = next((e.at for e in reversed(self.store.read_journal(case_id))
                             if e.kind == JournalKind.CASE_SUSPENDED), None)
        entry = self._case_entry(loaded, ctx, JournalKind.CASE_RESUMED, {
            "reason": reason, "suspended_at": suspended_at.isoformat(timespec="seconds") if suspended_at else None})
        return self._finish(loaded, ctx, [entry], status=CaseStatus.ACTIVE)

    def update_case_data(self, case_id: str, data: Mapping[str, Any], reason: str, *, actor: str | None = None,
                         expected_revision: int | None = None) -> Case:
        """Correct recorded fields outside a task (a running or suspended case). Each field must be a form
        field of the case's process, and is coerced by that field's rules. The new values go into the
        case's data and into the workflow's data (process data and every live task's), so later conditions
        read them; nothing runs. The journal row holds the reason and each field's old and new value."""
        if not reason:
            raise TaskDataError("a correction needs a reason", field="reason")
        if not data:
            raise TaskDataError("a correction needs at least one field", field="data")
        loaded = self._load(case_id, expected_revision, allow=(CaseStatus.ACTIVE, CaseStatus.SUSPENDED))
        definition = loaded.workflow.definition
        fields = {f.id: (e.id, f) for e in reversed(list(definition.elements.values())) if e.form
                  for f in e.form.fields}
        corrected: dict[str, Any] = {}
        for key, value in data.items():
            if key not in fields:
                raise TaskDataError(f"case '{case_id}': '{key}' is not a form field of process "
                                    f"'{definition.process_id}' (fields: {', '.join(sorted(fields)) or 'none'})",
                                    field=key)
            element, form_field = fields[key]
            corrected[key] = form_field.coerce(value, element, self.profile.rules)
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=definition, actor=actor)
        before = loaded.workflow.variables()
        changes = {k: {"old": loaded.record.data[k] if k in loaded.record.data else before.get(k), "new": v}
                   for k, v in corrected.items()}
        loaded.workflow.correct_data(corrected)
        entry = self._case_entry(loaded, ctx, JournalKind.CASE_DATA_CORRECTED, {"reason": reason, "fields": changes})
        return self._finish(loaded, ctx, [entry], recorded=corrected, status=loaded.record.status)

    def _load_to_hold(self, case_id: str, reason: str, actor: str | None, expected_revision: int | None,
                      status: CaseStatus) -> tuple[LoadedCase, StepContext]:
        if not reason:
            raise TaskDataError("a suspension or resumption needs a reason", field="reason")
        record = self.store.get_case(case_id, with_state=False)
        if record.status != status:
            what = "is not suspended" if status == CaseStatus.SUSPENDED else (
                "is already suspended" if record.status == CaseStatus.SUSPENDED else f"has ended ({record.status})")
            raise CaseStateError(f"case '{case_id}' {what}; nothing was written")
        loaded = self._load(case_id, expected_revision, allow=(status,))
        return loaded, StepContext(case_id=case_id, at=self.clock.now(), definition=loaded.workflow.definition,
                                   actor=actor)

    @staticmethod
    def _case_entry(loaded: LoadedCase, ctx: StepContext, kind: JournalKind, data: dict[str, Any]) -> JournalEntry:
        return JournalEntry(case_id=ctx.case_id, at=ctx.at, kind=kind, process_id=loaded.record.process_id,
                            definition_version=loaded.record.definition_version, actor=ctx.actor, data=data)

    # ------------------------------------------------------------------------------------- migration

    def plan_migration(self, case_id: str, to_version: str) -> MigrationPlan:
        """What migrating the case to ``to_version`` would do, or why it is refused; nothing is written."""
        _, migration = self._migration(case_id, to_version, None)
        return migration.plan(case_id) if migration else self._unchanged(case_id)

    def migrate_case(self, case_id: str, to_version: str, *, actor: str | None = None,
                     expected_revision: int | None = None) -> MigrationPlan:
        """Move a running case to another version of its process (MigrationRefusedError when the policy
        refuses). The case's new state and a ``case_migrated`` journal row naming both versions commit
        together."""
        loaded, migration = self._migration(case_id, to_version, expected_revision)
        if migration is None:
            return self._unchanged(case_id)
        plan = migration.plan(case_id)
        if not plan.allowed:
            raise MigrationRefusedError(f"case '{case_id}' cannot move to version {plan.to_version}: "
                                        f"{'; '.join(plan.reasons)}", plan)
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=migration.new, actor=actor)
        migrated = JournalEntry(case_id=case_id, at=ctx.at, kind=JournalKind.CASE_MIGRATED,
                                process_id=loaded.record.process_id, definition_version=migration.new.version,
                                actor=actor, data={"from_version": plan.from_version, "to_version": plan.to_version,
                                                   "changes": list(plan.changes)})
        entries = loaded.workflow.run(ctx, migration.apply)
        self._finish(loaded, ctx, [migrated, *entries])
        return migration.plan(case_id, migrated=True)

    def migrate_cases(self, to_version: str, *, case_ids: Iterable[str] | None = None, process_id: str | None = None,
                      dry_run: bool = False, actor: str | None = None) -> list[MigrationPlan]:
        """Migrate each case (default: every active case of the version's process), each in its own
        transaction; refused cases are reported in the result, not raised. ``dry_run`` only plans."""
        target = self.resolve_version(to_version, process_id)
        if case_ids is None:
            case_ids = [c.case_id for c in self.store.list_cases(CaseFilter(status=CaseStatus.ACTIVE,
                                                                             process_id=target.process_id))]
        plans = []
        for case_id in case_ids:
            if dry_run:
                plans.append(self.plan_migration(case_id, target.version))
                continue
            try:
                plans.append(self.migrate_case(case_id, target.version, actor=actor))
            except MigrationRefusedError as exc:
                plans.append(exc.plan)
            except RecordConflictError:
                retry = "someone changed the case meanwhile; nothing was written: run it again"
                plans.append(replace(self.plan_migration(case_id, target.version), reasons=(retry,)))
        return plans

    def _migration(self, case_id: str, to_version: str,
                   expected_revision: int | None) -> tuple[LoadedCase, Migration | None]:
        loaded = self._load(case_id, expected_revision)
        new = self.resolve_version(to_version)
        if new.process_id != loaded.record.process_id:
            raise CaseStateError(f"version {new.version} is of process '{new.process_id}'; case '{case_id}' runs "
                                 f"'{loaded.record.process_id}'")
        if new.version == loaded.record.definition_version:
            return loaded, None
        completed = {ElementRef(e.process_id, e.element_id) for e in self.store.read_journal(case_id)
                     if e.kind in (JournalKind.TASK_COMPLETED, JournalKind.ACTIVITY_COMPLETED)
                     and e.element_id is not None}
        return loaded, Migration(loaded.workflow, new, completed)

    def _unchanged(self, case_id: str) -> MigrationPlan:
        record = self.store.get_case(case_id, with_state=False)
        return MigrationPlan(case_id, record.process_id, record.definition_version, record.definition_version)

    # ------------------------------------------------------------------------------------------ time

    def tick(self, *, limit: int | None = None, batch: int = 100, lease: timedelta = timedelta(minutes=10),
             on_case: Callable[[str, int], object] | None = None) -> TickResult:
        """Fire every timer due at the clock's now, each case in its own transaction (``runtime/scheduler.py``)."""
        return run_tick(self.store, self._fire_timers, self.clock.now(), worker_id=id(self), limit=limit,
                        batch=batch, lease=lease, on_case=on_case)

    def _fire_timers(self, case_id: str, now: datetime) -> Fired:
        loaded = self._load(case_id, None)
        ctx = StepContext(case_id=case_id, at=now, definition=loaded.workflow.definition, actor="sedflow tick")
        entries = loaded.workflow.fire_due_timers(ctx)
        case = self._finish(loaded, ctx, entries)
        return Fired([e.element_id for e in entries if e.kind == JournalKind.TIMER_FIRED and e.element_id is not None],
                     stalled=case.incident is not None and loaded.record.incident is None)

    # ------------------------------------------------------------------------------------- the pipeline

    def _load(self, case_id: str, expected_revision: int | None,
              allow: tuple[CaseStatus, ...] = (CaseStatus.ACTIVE,)) -> LoadedCase:
        """The committed case, its workflow restored: the first stage of every step."""
        record = self.store.get_case(case_id)
        if expected_revision is not None and record.revision != expected_revision:
            raise RecordConflictError(f"case '{case_id}' is at revision {record.revision}, not {expected_revision}: "
                                      "someone changed it since you read it; nothing was written")
        if record.status == CaseStatus.SUSPENDED and record.status not in allow:
            raise CaseStateError(f"case '{case_id}' is suspended: it takes no task, message or timer until it is "
                                 "resumed (case resume); nothing was written")
        if record.status not in allow:
            raise CaseStateError(f"case '{case_id}' has ended ({record.status}, outcome {record.outcome}); "
                                 "it takes no more changes")
        definition = self.definition(record.definition_version)
        if record.state is None:
            raise StoreError(f"case '{case_id}': the store returned no state")
        try:
            workflow, ready_since = CaseWorkflow.restore(record.state, definition,
                                                         self._registry.environment(definition))
        except StoreError as exc:
            raise StoreError(f"case '{case_id}': {exc}") from exc
        return LoadedCase(record, workflow, ready_since)

    def _load_to_stop(self, case_id: str, reason: str, actor: str | None,
                      expected_revision: int | None) -> tuple[LoadedCase, StepContext]:
        reasons = self.profile.rules.end_reasons
        if (reasons and reason not in reasons) or not reason:
            allowed = ", ".join(sorted(reasons)) or "a non-empty code"
            raise TaskDataError(f"end reason '{reason}' is not one of {allowed}", field="reason")
        loaded = self._load(case_id, expected_revision)
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=loaded.workflow.definition, actor=actor,
                          submitted={"end_reason": reason})
        return loaded, ctx

    def _finish(self, loaded: LoadedCase, ctx: StepContext, entries: list[JournalEntry], *,
                recorded: Mapping[str, Any] | None = None, ending: Ending = COMPLETE,
                status: CaseStatus | None = None) -> Case:
        """Plan the step, commit it, and return the case as it now is (``status``: the case's new status,
        for a suspension or resumption)."""
        result = plan_step(loaded, ctx, entries, rules=self.profile.rules, recorded=recorded, ending=ending)
        if status is not None and status != result.record.status:
            result = replace(result, record=replace(result.record, status=status))
        self._commit(result)
        return result.view()

    def _commit(self, *results: StepResult) -> None:
        with self.store.transaction() as tx:
            for result in results:
                result.write(tx)

    def _check_start(self, definition: ProcessDefinition, participant: str, data: Mapping[str, Any]) -> dict[str, Any]:
        if not _PARTICIPANT_KEY.match(participant) or self.profile.rules.identifier_in(participant):
            raise TaskDataError("participant must be a pseudonymous key (letters, digits, . _ : -; at most 64; "
                                "never a personal identity number)", field="participant")
        start = definition.start_event
        return self._validate(definition.start_form, data,
                              element=start.id if start is not None else definition.process_id)

    def _validate(self, form: Form | None, data: Mapping[str, Any], *, element: str) -> dict[str, Any]:
        if form is None:
            if data:
                raise TaskDataError(f"'{element}' has no form, so it takes no data (got {', '.join(sorted(data))})",
                                    field=sorted(data)[0], element=element)
            return {}
        return form.validate(data, element=element, rules=self.profile.rules)

    def _start(self, definition: ProcessDefinition, participant: str, data: Mapping[str, Any],
               actor: str | None, case_id: str | None, *, deploy: bool,
               variables: Mapping[str, Any] | None = None, message: str | None = None) -> StepResult:
        start = definition.start_event
        by_message = definition.message_start
        if by_message is not None and message != by_message:
            raise CaseStateError(f"process '{definition.process_id}' starts when message '{by_message}' comes: "
                                 "send it (correlate_message with the participant and the process, or sedflow message "
                                 "send) instead of starting the case")
        start_data = {**self._check_start(definition, participant or "", data),
                      **_variables(definition.start_form, variables,
                                   element=start.id if start is not None else definition.process_id)}
        now = self.clock.now()
        record = CaseRecord(case_id=case_id or uuid.uuid4().hex[:12], participant=participant,
                            process_id=definition.process_id, definition_version=definition.version,
                            status=CaseStatus.ACTIVE, started_at=now, updated_at=now, revision=0,
                            data=dict(start_data))
        workflow = CaseWorkflow.start(definition, self._registry.environment(definition), start_data)
        ctx = StepContext(case_id=record.case_id, at=now, definition=definition, actor=actor, submitted=start_data)
        started = JournalEntry(case_id=record.case_id, at=now, kind=JournalKind.CASE_STARTED,
                               process_id=definition.process_id, definition_version=definition.version, actor=actor,
                               data=dict(start_data))
        entries = workflow.run(ctx)
        if message is not None:  # the message that starts it, delivered in the same step
            (wait,) = workflow.message_waits(message)
            entries = [*entries, _received(record.case_id, now, definition, wait.info, message, start_data, actor),
                       *workflow.deliver_message(ctx, wait, start_data)]
        return plan_step(LoadedCase(record, workflow), ctx, [started, *entries], rules=self.profile.rules, new=True,
                         first_deployment=deploy)


def _received(case_id: str, at: datetime, definition: ProcessDefinition, info: ElementInfo, name: str,
              variables: Mapping[str, Any], actor: str | None) -> JournalEntry:
    """The ``message_received`` row: where the message was caught, its name and the variables it brought."""
    return JournalEntry(case_id=case_id, at=at, kind=JournalKind.MESSAGE_RECEIVED, process_id=info.process_id,
                        definition_version=definition.version, element_id=info.id, element_name=info.label,
                        element_type=info.kind, lane=info.lane, actor=actor, data={"message": name, **variables})


def _variables(form: Form | None, variables: Mapping[str, Any] | None, *, element: str) -> dict[str, Any]:
    if not variables:
        return {}
    return check_variables(variables, element=element, fields=() if form is None else (f.id for f in form.fields))


def _start_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """An import row's start-form fields (empty cells are left out)."""
    return {k: v for k, v in row.items() if k not in _IMPORT_COLUMNS and v not in (None, "")}


def _resolve(ready: list[ReadyTask], case_id: str, ref: str) -> ReadyTask:
    matches = [t for t in ready if t.task_id == ref] or [t for t in ready if t.info.id == ref]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(sorted(t.info.id for t in ready)) or "none"
    if not matches:
        raise UnknownTaskError(f"task '{ref}' is not ready in case '{case_id}' (ready: {names})")
    raise UnknownTaskError(f"task '{ref}' is ready more than once in case '{case_id}'; name it by task id")
