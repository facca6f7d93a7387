"""The engine: one SpiffWorkflow instance per participant (a *case*), run durably over a store.

Every call that changes a case follows one path: read the committed case, rebuild its workflow on the
cached spec of its definition version, act, let the engine run, diff task states into journal entries,
prune finished history, then write state + summary + open tasks + journal in one transaction guarded
by the revision read at the start. Work is done outside the write lock; a concurrent writer makes the
later commit fail with RecordConflictError and nothing of it is written.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import TaskState

from ..clock import Clock, SystemClock
from ..profile import GENERIC, Profile
from ..definitions import Definitions, ElementInfo, Form, ProcessDefinition, load_sources
from ..definitions.changes import DefinitionChanges, diff_definitions
from ..errors import (CaseStateError, EngineError, ExpressionError, MigrationRefusedError, RecordConflictError,
                      SedflowError, StoreError, TaskDataError, UnknownProcessError, UnknownTaskError,
                      UnknownVersionError)
from ..spiff.environment import CaseEnvironment
from ..journal import (ACTIVITY_COMPLETED, CASE_ENDED, CASE_MIGRATED, CASE_STARTED, EVENT_REACHED, TASK_COMPLETED,
                       TIMER_FIRED, JournalEntry)
from ..journal.transitions import (StepContext, live_elements, open_human_tasks, snapshot, transitions,
                                   waiting_timers)
from ..store import (ACTIVE, CANCELLED, COMPLETED, TIMER, WITHDRAWN, CaseFilter, CaseRecord, DeploymentRecord,
                     OpenTask, Store)
from ..programmes.se.vocabulary import END_REASONS, PERSONAL_NUMBER  # bridge until the engine reads profile.rules
from .events import interrupt
from .state import dump_state, load_state, new_workflow, prune
from .versions import Deployment, Migration, MigrationPlan

#: The BPMN message a diagram catches (event sub-process or boundary event) to model withdrawal.
WITHDRAWAL_MESSAGE = "participant_withdrawal"

_PARTICIPANT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


@dataclass(frozen=True)
class TaskView:
    """A task waiting for a person, with what they need to do it."""

    case_id: str
    task_id: str
    element_id: str
    name: str
    process_id: str
    lane: str | None
    stage: str | None
    since: datetime
    participant: str | None = None
    documentation: str = ""
    form: Form | None = None
    kind: str = "task"               # "task" (for a person) or "timer"
    due_at: datetime | None = None   # when a timer fires

    def to_dict(self) -> dict[str, Any]:
        fields = [] if self.form is None else [f.to_dict() for f in self.form.fields]
        return {"case_id": self.case_id, "task_id": self.task_id, "element_id": self.element_id, "name": self.name,
                "process_id": self.process_id, "lane": self.lane, "stage": self.stage,
                "since": self.since.isoformat(timespec="seconds"), "participant": self.participant, "fields": fields,
                "kind": self.kind, "due_at": self.due_at.isoformat(timespec="seconds") if self.due_at else None}


@dataclass(frozen=True)
class Case:
    """A participant's case as a reader sees it (no workflow state)."""

    case_id: str
    participant: str
    process_id: str
    definition_version: str
    status: str
    revision: int
    stages: list[str]
    data: dict[str, Any]
    milestones: dict[str, str]
    outcome: str | None
    end_reason: str | None
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    tasks: list[TaskView] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("started_at", "updated_at", "ended_at"):
            out[key] = out[key].isoformat(timespec="seconds") if out[key] else None
        out["tasks"] = [t.to_dict() for t in self.tasks]
        return out


@dataclass
class TickResult:
    """What one ``tick`` did: timers fired per case, cases left to a concurrent writer, cases that failed."""

    now: datetime
    fired: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def timers_fired(self) -> int:
        return sum(len(v) for v in self.fired.values())


@dataclass
class _Step:
    """One prepared change to one case, written inside a store transaction."""

    record: CaseRecord
    definition: ProcessDefinition
    open_tasks: list[OpenTask]
    timers: list[OpenTask]
    entries: list[JournalEntry]
    expected_revision: int | None  # None: a new case
    first_deployment: bool = False  # the first case of a process never deployed deploys its version

    def write(self, tx: Any) -> None:
        d, r = self.definition, self.record
        if self.expected_revision is None:
            tx.save_definition(d.version, d.process_id, d.name, d.sources, r.updated_at)
            if self.first_deployment:
                tx.record_deployment(d.process_id, d.version, r.updated_at, self.entries[0].actor, {"previous": None})
            tx.insert_case(r)
        else:
            tx.update_case(r, expected_revision=self.expected_revision)
        tx.replace_open_tasks(r.case_id, self.open_tasks + self.timers)
        tx.append_journal(self.entries)

    def view(self, engine: Engine) -> Case:
        return engine._view(self.record, [
            TaskView(case_id=t.case_id, task_id=t.task_id, element_id=t.element_id, name=t.name,
                     process_id=t.process_id, lane=t.lane, stage=t.stage, since=t.since,
                     participant=self.record.participant) for t in self.open_tasks])


class Engine:
    """Runs cases over a store, with an injectable clock.

    ``definitions`` are the diagrams this program loaded. New cases start on the version of their
    process *deployed* in the store (``deploy``); a process never deployed there starts on the loaded
    version, and its first case deploys it. A case stays on the version it started on until migrated.
    """

    def __init__(self, store: Store, definitions: Definitions, *, clock: Clock | None = None,
                 profile: Profile = GENERIC):
        self.store = store
        self.profile = profile
        self.definitions = definitions
        self.clock = clock or SystemClock()
        self._versions: dict[str, ProcessDefinition] = {d.version: d for d in definitions}
        self._environments: dict[str, CaseEnvironment] = {}

    # ----------------------------------------------------------------------------------------- reads

    def show_case(self, case_id: str) -> Case:
        record = self.store.get_case(case_id, with_state=False)
        return self._view(record, [self._task_view(row) for row in self.store.list_open_tasks(case_id=case_id)])

    def list_cases(self, *, status: str | None = None, process_id: str | None = None, stage: str | None = None,
                   task: str | None = None, lane: str | None = None, participant: str | None = None,
                   limit: int | None = None) -> list[Case]:
        filters = CaseFilter(status=status, process_id=process_id, participant=participant, stage=stage, task=task,
                             lane=lane, limit=limit)
        return [self._view(r) for r in self.store.list_cases(filters)]

    def list_tasks(self, *, case_id: str | None = None, lane: str | None = None, task: str | None = None,
                   stage: str | None = None, process_id: str | None = None) -> list[TaskView]:
        """Tasks waiting for a person: one case's, or the work queue across cases."""
        if case_id is not None:
            self.store.get_case(case_id, with_state=False)  # UnknownCaseError for a wrong id
        rows = self.store.list_open_tasks(case_id=case_id, lane=lane, element_id=task, stage=stage,
                                          process_id=process_id)
        return [self._task_view(row) for row in rows]

    def _task_view(self, row: OpenTask) -> TaskView:
        info = self.definition(row.definition_version).element(row.process_id, row.element_id)
        return TaskView(case_id=row.case_id, task_id=row.task_id, element_id=row.element_id, name=row.name,
                        process_id=row.process_id, lane=row.lane, stage=row.stage, since=row.since,
                        participant=row.participant, documentation=info.documentation if info else "",
                        form=info.form if info else None, kind=row.kind, due_at=row.due_at)

    def case_history(self, case_id: str) -> list[JournalEntry]:
        self.store.get_case(case_id, with_state=False)
        return self.store.read_journal(case_id)

    def definition(self, version: str) -> ProcessDefinition:
        """The definition a case runs on: loaded now, or rebuilt from the sources the store kept."""
        if version not in self._versions:
            sources = self.store.definition_sources(version)
            found = load_sources(sources).by_version(version) if sources else None
            if found is None:
                raise StoreError(f"definition version {version} is not in the store")
            self._remember(found)
        return self._versions[version]

    def _remember(self, definition: ProcessDefinition) -> None:
        self._versions[definition.version] = definition

    def _environment(self, definition: ProcessDefinition) -> CaseEnvironment:
        """The environment a case of ``definition`` runs in (one per version: its form fields, this clock)."""
        if definition.version not in self._environments:
            self._environments[definition.version] = CaseEnvironment(self.clock, definition.field_ids)
        return self._environments[definition.version]

    def known_definitions(self) -> list[ProcessDefinition]:
        """The loaded definitions and every version deployed in the store (what reports must know)."""
        for version in dict.fromkeys(d.version for d in self.store.deployments()):
            self.definition(version)
        return list(self._versions.values())

    def current_definition(self, process_id: str) -> ProcessDefinition:
        """The definition new cases of ``process_id`` start on: the deployed version, else the loaded one."""
        return self._for_new_cases(process_id)[0]

    def deployments(self, process_id: str | None = None) -> list[DeploymentRecord]:
        """The store's deployment history, oldest first."""
        if process_id is not None:
            self.current_definition(process_id)  # UnknownProcessError for a process neither loaded nor deployed
        return self.store.deployments(process_id)

    def resolve_version(self, ref: str, process_id: str | None = None) -> ProcessDefinition:
        """A definition by version, unique version prefix, or ``latest`` (the deployed version of ``process_id``)."""
        if ref == "latest":
            if process_id is None:
                raise UnknownVersionError("'latest' needs a process")
            return self.current_definition(process_id)
        known = {d.version: d.process_id for d in self.store.deployments()}
        known.update({d.version: d.process_id for d in self._versions.values()})
        matches = sorted(v for v, pid in known.items() if v.startswith(ref) and process_id in (None, pid))
        if len(matches) != 1 or len(ref) < 4:
            what = f" of process '{process_id}'" if process_id else ""
            problem = "matches several versions" if len(matches) > 1 else "is not a known version"
            raise UnknownVersionError(f"'{ref}' {problem}{what} (see 'sedflow processes versions')")
        return self.definition(matches[0])

    # ---------------------------------------------------------------------------------- versions

    def deploy(self, definitions: Iterable[ProcessDefinition] | None = None, *,
               actor: str | None = None) -> list[Deployment]:
        """Make each definition (default: the loaded ones) the version new cases of its process start on.

        A definition whose version is already the deployed one is left as it is; every version ever
        deployed stays in the store, so cases keep running on theirs. Each result lists the elements
        added, removed and changed since the version deployed before.
        """
        results = []
        for definition in definitions if definitions is not None else self.definitions:
            previous = self.store.deployed_version(definition.process_id)
            if previous == definition.version:
                results.append(Deployment(definition.process_id, definition.version, previous, deployed=False))
                continue
            changes = diff_definitions(self.definition(previous), definition) if previous else DefinitionChanges()
            with self.store.transaction() as tx:
                tx.save_definition(definition.version, definition.process_id, definition.name, definition.sources,
                                   self.clock.now())
                tx.record_deployment(definition.process_id, definition.version, self.clock.now(), actor,
                                     {"previous": previous, **changes.to_dict()})
            self._remember(definition)
            results.append(Deployment(definition.process_id, definition.version, previous, True, changes))
        return results

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
        record, _, workflow, extra = loaded
        new = migration.new
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=new, actor=actor)
        migrated = JournalEntry(case_id=case_id, at=ctx.at, kind=CASE_MIGRATED, process_id=record.process_id,
                                definition_version=new.version, actor=actor,
                                data={"from_version": plan.from_version, "to_version": plan.to_version,
                                      "changes": list(plan.changes)})
        entries = self._run(workflow, ctx, migration.apply)
        record.definition_version = new.version
        self._commit(record, workflow, new, ctx, [migrated, *entries], extra)
        return migration.plan(case_id, migrated=True)

    def migrate_cases(self, to_version: str, *, case_ids: Iterable[str] | None = None, process_id: str | None = None,
                      dry_run: bool = False, actor: str | None = None) -> list[MigrationPlan]:
        """Migrate each case (default: every active case of the version's process), each in its own
        transaction; refused cases are reported in the result, not raised. ``dry_run`` only plans."""
        target = self.resolve_version(to_version, process_id)
        if case_ids is None:
            case_ids = [c.case_id for c in self.store.list_cases(CaseFilter(status=ACTIVE,
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

    def _migration(self, case_id: str, to_version: str, expected_revision: int | None) -> tuple[Any, Migration | None]:
        loaded = self._load(case_id, expected_revision)
        record, definition, workflow, _ = loaded
        new = self.resolve_version(to_version)
        if new.process_id != record.process_id:
            raise CaseStateError(f"version {new.version} is of process '{new.process_id}'; case '{case_id}' runs "
                                 f"'{record.process_id}'")
        if new.version == definition.version:
            return loaded, None
        completed = {(e.process_id, e.element_id) for e in self.store.read_journal(case_id)
                     if e.kind in (TASK_COMPLETED, ACTIVITY_COMPLETED)}
        return loaded, Migration(workflow, definition, new, completed)

    def _unchanged(self, case_id: str) -> MigrationPlan:
        record = self.store.get_case(case_id, with_state=False)
        return MigrationPlan(case_id, record.process_id, record.definition_version, record.definition_version)

    # ---------------------------------------------------------------------------------------- writes

    def start_case(self, process_id: str, participant: str, data: Mapping[str, Any] | None = None, *,
                   actor: str | None = None, case_id: str | None = None) -> Case:
        """Start a case for a participant (a pseudonymous key), with the start event's form data."""
        definition, deploy = self._for_new_cases(process_id)
        step = self._start(definition, participant, data, actor, case_id, deploy=deploy)
        with self.store.transaction() as tx:
            step.write(tx)
        return step.view(self)

    def import_cases(self, rows: Iterable[Mapping[str, Any]], *, process_id: str | None = None,
                     actor: str | None = None, batch: int = 500,
                     on_batch: Callable[[int], Any] | None = None) -> list[str]:
        """Start many cases: each row has ``participant``, optionally ``process`` and ``case_id``, and the
        start form's fields. Every row is checked first (a TaskDataError names the first bad row and
        nothing is written); then cases start in batches, one transaction per batch."""
        rows = list(rows)
        current: dict[str, tuple[ProcessDefinition, bool]] = {}
        for line, row in enumerate(rows, 1):
            pid = row.get("process") or process_id or ""
            try:
                if pid not in current:
                    current[pid] = self._for_new_cases(pid)
                self._check_start(current[pid][0], row.get("participant") or "", _fields(row))
            except (TaskDataError, UnknownProcessError) as exc:
                raise type(exc)(f"row {line}: {exc}") from None
        started = []
        for first in range(0, len(rows), batch):
            steps = []
            for row in rows[first:first + batch]:
                definition, deploy = current[row.get("process") or process_id]
                steps.append(self._start(definition, row["participant"], _fields(row), actor,
                                         row.get("case_id") or None, deploy=deploy))
                current[definition.process_id] = definition, False
            with self.store.transaction() as tx:
                for step in steps:
                    step.write(tx)
            started += [step.record.case_id for step in steps]
            if on_batch is not None:
                on_batch(len(steps))
        return started

    def _check_start(self, definition: ProcessDefinition, participant: str, data: Mapping[str, Any]) -> dict[str, Any]:
        if not _PARTICIPANT_KEY.match(participant) or PERSONAL_NUMBER.search(participant):
            raise TaskDataError("participant must be a pseudonymous key (letters, digits, . _ : -; at most 64; "
                                "never a personal identity number)", field="participant")
        start_form = definition.start_form
        return _validate(start_form, data, element=definition.start_event.id if start_form else definition.process_id)

    def _for_new_cases(self, process_id: str) -> tuple[ProcessDefinition, bool]:
        """The definition new cases start on, and whether starting one first deploys it."""
        version = self.store.deployed_version(process_id)
        return (self.definition(version), False) if version else (self.definitions.get(process_id), True)

    def _start(self, definition: ProcessDefinition, participant: str, data: Mapping[str, Any] | None,
               actor: str | None, case_id: str | None, *, deploy: bool) -> _Step:
        process_id = definition.process_id
        start_data = self._check_start(definition, participant or "", data or {})
        now = self.clock.now()
        record = CaseRecord(case_id=case_id or uuid.uuid4().hex[:12], participant=participant, process_id=process_id,
                            definition_version=definition.version, status=ACTIVE, started_at=now, updated_at=now,
                            revision=0, data=dict(start_data))
        workflow = new_workflow(definition, self._environment(definition))
        workflow.task_tree.data.update(start_data)
        ctx = StepContext(case_id=record.case_id, at=now, definition=definition, actor=actor, submitted=start_data)
        started = JournalEntry(case_id=record.case_id, at=now, kind=CASE_STARTED, process_id=process_id,
                               definition_version=definition.version, actor=actor, data=dict(start_data))
        entries = self._run(workflow, ctx, lambda: None)
        step = self._prepare(record, workflow, definition, ctx, [started, *entries], {}, new=True)
        step.first_deployment = deploy
        return step

    def complete_task(self, case_id: str, task: str, data: Mapping[str, Any] | None = None, *,
                      actor: str | None = None, expected_revision: int | None = None) -> Case:
        """Complete a ready task (by task id, or by element id when unambiguous) with its form data."""
        record, definition, workflow, extra = self._load(case_id, expected_revision)
        target, info = _resolve(workflow, definition, case_id, task)
        submitted = _validate(info.form, data or {}, element=info.id)
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=definition, actor=actor,
                          completed_task=target.id, submitted=submitted)

        def act() -> None:
            target.data.update(submitted)
            workflow.run_task_from_id(target.id)

        entries = self._run(workflow, ctx, act)
        return self._commit(record, workflow, definition, ctx, entries, extra)

    def withdraw_case(self, case_id: str, reason: str, *, actor: str | None = None,
                      expected_revision: int | None = None) -> Case:
        """The participant leaves, from whatever stage: sends the diagram's withdrawal message."""
        record, definition, workflow, extra, ctx = self._load_to_stop(case_id, reason, actor, expected_revision)
        # Camunda message payloads name the variable they set.
        event = BpmnEvent(MessageEventDefinition(WITHDRAWAL_MESSAGE),
                          payload={"payload": reason, "result_var": "end_reason"})
        entries = self._run(workflow, ctx, lambda: workflow.catch(event))
        if not workflow.is_completed():
            raise CaseStateError(
                f"process '{record.process_id}' models no withdrawal that ends the case here (an interrupting event "
                f"catching message '{WITHDRAWAL_MESSAGE}'); use cancel_case for an administrative stop")
        return self._commit(record, workflow, definition, ctx, entries, extra, status=WITHDRAWN, end_reason=reason)

    def cancel_case(self, case_id: str, reason: str, *, actor: str | None = None,
                    expected_revision: int | None = None) -> Case:
        """Administrative stop (e.g. a registration error): cancels every open task without a BPMN path."""
        record, definition, workflow, extra, ctx = self._load_to_stop(case_id, reason, actor, expected_revision)
        entries = self._run(workflow, ctx, workflow.cancel)
        return self._commit(record, workflow, definition, ctx, entries, extra, status=CANCELLED,
                            outcome="NO_OUTCOME", end_reason=reason)

    # ------------------------------------------------------------------------------------------- time

    def tick(self, *, limit: int | None = None, batch: int = 100, lease: timedelta = timedelta(minutes=10),
             on_case: Callable[[str, int], Any] | None = None) -> TickResult:
        """Fire every timer due at the clock's now, each case in its own transaction.

        Workers claim due cases in batches with a lease, so several ``tick`` processes share the work
        without taking the same case. A timer never fires twice: the firing and its journal rows
        commit with the case's new state under its revision, so a case someone else advanced first is
        left to them. A case that fails is reported and the run goes on; its claim lapses with the lease.
        """
        now = self.clock.now()
        worker = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        result = TickResult(now=now)
        seen: set[str] = set()
        while limit is None or len(seen) < limit:
            size = batch if limit is None else min(batch, limit - len(seen))
            claimed = [c for c in self.store.claim_due(now, worker, size, lease) if c not in seen]
            if not claimed:
                break
            for case_id in claimed:
                seen.add(case_id)
                try:
                    fired = self._fire_timers(case_id, now)
                except RecordConflictError:
                    result.conflicts.append(case_id)
                    continue
                except CaseStateError:  # ended since it was claimed: nothing is due any more
                    continue
                except SedflowError as exc:
                    result.failed[case_id] = str(exc)
                    continue
                result.fired[case_id] = fired
                if on_case is not None:
                    on_case(case_id, len(fired))
        return result

    def _fire_timers(self, case_id: str, now: datetime) -> list[str]:
        record, definition, workflow, extra = self._load(case_id, None)
        ctx = StepContext(case_id=case_id, at=now, definition=definition, actor="sedflow tick")
        entries = self._run(workflow, ctx, workflow.refresh_timers)
        self._commit(record, workflow, definition, ctx, entries, extra)
        return [e.element_id for e in entries if e.kind == TIMER_FIRED]

    def due(self, *, within: timedelta = timedelta(0), lane: str | None = None,
            case_id: str | None = None) -> list[TaskView]:
        """The coach's queue: tasks ready now, and timers that fire within ``within`` from now."""
        horizon = self.clock.now() + within
        rows = self.store.list_open_tasks(case_id=case_id, lane=lane, kind=None, due_before=horizon)
        return [self._task_view(row) for row in rows]

    # -------------------------------------------------------------------------------------- internals

    def _load(self, case_id: str, expected_revision: int | None) -> tuple[CaseRecord, ProcessDefinition, Any, dict]:
        record = self.store.get_case(case_id)
        if expected_revision is not None and record.revision != expected_revision:
            raise RecordConflictError(f"case '{case_id}' is at revision {record.revision}, not {expected_revision}: "
                                      "someone changed it since you read it; nothing was written")
        if record.status != ACTIVE:
            raise CaseStateError(f"case '{case_id}' has ended ({record.status}, outcome {record.outcome}); "
                                 "it takes no more changes")
        definition = self.definition(record.definition_version)
        try:
            workflow, extra = load_state(record.state, definition, self._environment(definition))
        except StoreError as exc:
            raise StoreError(f"case '{case_id}': {exc}") from None
        return record, definition, workflow, extra

    def _load_to_stop(self, case_id: str, reason: str, actor: str | None,
                      expected_revision: int | None) -> tuple[CaseRecord, ProcessDefinition, Any, dict, StepContext]:
        if reason not in END_REASONS:
            raise TaskDataError(f"end reason '{reason}' is not one of {', '.join(sorted(END_REASONS))}",
                                field="reason")
        record, definition, workflow, extra = self._load(case_id, expected_revision)
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=definition, actor=actor,
                          submitted={"end_reason": reason})
        return record, definition, workflow, extra, ctx

    def _run(self, workflow: Any, ctx: StepContext, act: Callable[[], Any]) -> list[JournalEntry]:
        """Act, apply event semantics SpiffWorkflow lacks, run the engine; return the transitions."""
        before = snapshot(workflow)
        subprocesses = set(workflow.subprocesses)
        try:
            act()
            interrupt(workflow, subprocesses, ctx.definition)
            _settle(workflow)
        except SedflowError:
            raise
        except SpiffWorkflowException as exc:
            cause = _root_cause(exc)
            element = getattr(getattr(exc, "task_spec", None), "bpmn_id", None) or \
                getattr(getattr(getattr(exc, "task", None), "task_spec", None), "bpmn_id", None)
            where = f" at element '{element}'" if element else ""
            detail = str(cause) if isinstance(cause, ExpressionError) else str(exc)
            raise EngineError(f"case '{ctx.case_id}' cannot advance{where}: {detail}; nothing was written") from exc
        except Exception as exc:  # a SpiffWorkflow bug must not leave a half-written case
            raise EngineError(f"case '{ctx.case_id}' cannot advance: {type(exc).__name__}: {exc}; "
                              "nothing was written") from exc
        return transitions(before, workflow, ctx)

    def _commit(self, record: CaseRecord, workflow: Any, definition: ProcessDefinition, ctx: StepContext,
                entries: list[JournalEntry], extra: dict[str, Any], *, new: bool = False, status: str = COMPLETED,
                outcome: str | None = None, end_reason: str | None = None) -> Case:
        step = self._prepare(record, workflow, definition, ctx, entries, extra, new=new, status=status,
                             outcome=outcome, end_reason=end_reason)
        with self.store.transaction() as tx:
            step.write(tx)
        return step.view(self)

    def _prepare(self, record: CaseRecord, workflow: Any, definition: ProcessDefinition, ctx: StepContext,
                 entries: list[JournalEntry], extra: dict[str, Any], *, new: bool, status: str = COMPLETED,
                 outcome: str | None = None, end_reason: str | None = None) -> _Step:
        """Everything a step writes: the case row, its open tasks and timers, its journal entries."""
        now = ctx.at
        record.data.update(ctx.submitted if ctx.completed_task is not None else {})
        for e in entries:
            if e.kind == TASK_COMPLETED:
                info = definition.element(e.process_id, e.element_id)
                if info is not None and info.milestone:
                    record.milestones.setdefault(info.milestone, now.isoformat(timespec="seconds"))
        ready_since = extra.get("ready_since", {})
        entries = [replace(e, duration=(now - datetime.fromisoformat(ready_since[e.task_id])).total_seconds())
                   if e.kind == TASK_COMPLETED and e.task_id in ready_since else e for e in entries]
        if workflow.is_completed():
            entries.append(self._ended(record, definition, ctx, entries, status, outcome, end_reason))
        live = live_elements(workflow, definition)
        record.stages = sorted({i.stage for i in live.values() if i.stage})
        open_tasks = []
        for task, info in open_human_tasks(workflow, definition):
            since = ready_since.get(str(task.id), now.isoformat())
            open_tasks.append(OpenTask(case_id=record.case_id, task_id=str(task.id), element_id=info.id,
                                       name=info.label, process_id=info.process_id,
                                       definition_version=definition.version, lane=info.lane, stage=info.stage,
                                       since=datetime.fromisoformat(since)))
        timers = [OpenTask(case_id=record.case_id, task_id=str(task.id), element_id=info.id, name=info.label,
                           process_id=info.process_id, definition_version=definition.version, lane=info.lane,
                           stage=info.stage, since=now, kind=TIMER, due_at=due)
                  for task, info, due in waiting_timers(workflow, definition)]
        record.next_due_at = min((t.due_at for t in timers), default=None)
        prune(workflow)
        record.state = dump_state(workflow, {"ready_since": {t.task_id: t.since.isoformat() for t in open_tasks}})
        expected = record.revision
        record.revision += 1
        record.updated_at = now
        return _Step(record, definition, open_tasks, timers, entries, None if new else expected)

    def _ended(self, record: CaseRecord, definition: ProcessDefinition, ctx: StepContext,
               entries: list[JournalEntry], status: str, outcome: str | None, end_reason: str | None) -> JournalEntry:
        """Close the case on the end event it reached: the event's properties give outcome and end reason."""
        ends = [definition.element(e.process_id, e.element_id) for e in entries
                if e.kind == EVENT_REACHED and e.element_type == "endEvent" and e.process_id == definition.process_id]
        # The end event that closed the case is the one that records an outcome (others end side paths).
        info = next((i for i in reversed(ends) if "outcome" in i.properties), ends[-1] if ends else None)
        props = info.properties if info else {}
        record.status = status
        record.outcome = outcome or props.get("outcome") or "NO_OUTCOME"
        record.end_reason = end_reason or props.get("end_reason") or record.data.get("end_reason") or "OTHER"
        record.ended_at = ctx.at
        return JournalEntry(case_id=record.case_id, at=ctx.at, kind=CASE_ENDED, process_id=definition.process_id,
                            definition_version=definition.version, element_id=info.id if info else None,
                            element_name=info.label if info else None, element_type=info.kind if info else None,
                            lane=info.lane if info else None, actor=ctx.actor, outcome=record.outcome,
                            end_reason=record.end_reason, data={"status": status})

    def _view(self, r: CaseRecord, tasks: list[TaskView] | None = None) -> Case:
        return Case(case_id=r.case_id, participant=r.participant, process_id=r.process_id,
                    definition_version=r.definition_version, status=r.status, revision=r.revision, stages=r.stages,
                    data=r.data, milestones=r.milestones, outcome=r.outcome, end_reason=r.end_reason,
                    started_at=r.started_at, updated_at=r.updated_at, ended_at=r.ended_at, tasks=tasks or [])


def _fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """An import row's start-form fields (empty cells are left out)."""
    return {k: v for k, v in row.items() if k not in ("participant", "process", "case_id") and v not in (None, "")}


def _validate(form: Form | None, data: Mapping[str, Any], *, element: str) -> dict[str, Any]:
    if form is None:
        if data:
            raise TaskDataError(f"'{element}' has no form, so it takes no data (got {', '.join(sorted(data))})",
                                field=sorted(data)[0], element=element)
        return {}
    return form.validate(data, element=element)


def _settle(workflow: Any, rounds: int = 100) -> None:
    """Run engine tasks until only people and future timers are left.

    ``do_engine_steps`` refreshes timers after its last pass, so a timer that came due during the step
    is left READY but not run; another pass runs it (and whatever follows it).
    """
    for _ in range(rounds):
        workflow.do_engine_steps()
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


def _resolve(workflow: Any, definition: ProcessDefinition, case_id: str, ref: str) -> tuple[Any, ElementInfo]:
    ready = open_human_tasks(workflow, definition)
    matches = [(t, i) for t, i in ready if str(t.id) == ref] or [(t, i) for t, i in ready if i.id == ref]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(sorted(i.id for _, i in ready)) or "none"
    if not matches:
        raise UnknownTaskError(f"task '{ref}' is not ready in case '{case_id}' (ready: {names})")
    raise UnknownTaskError(f"task '{ref}' is ready more than once in case '{case_id}'; name it by task id")
