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
from datetime import UTC, datetime, timedelta
from typing import Any

from ..bpmn import ElementRef
from ..clock import Clock, SystemClock
from ..definitions import Definitions, ElementInfo, Form, ProcessDefinition
from ..definitions.variables import check_variables
from ..errors import (
    CaseStateError,
    ConnectionLostError,
    DuplicateCaseError,
    EngineError,
    MigrationRefusedError,
    NoMatchingCaseError,
    RecordConflictError,
    SedflowError,
    StoreError,
    TaskDataError,
    UnknownCaseError,
    UnknownProcessError,
    UnknownTaskError,
)
from ..journal import JournalEntry, JournalKind
from ..profile import GENERIC, Profile
from ..spiff.queries import EventWait, ReadyTask
from ..spiff.transitions import StepContext
from ..spiff.workflow import CaseWorkflow
from ..store import (
    CaseFilter,
    CaseRecord,
    CaseStatus,
    DeliveryKind,
    DeliveryState,
    DeploymentRecord,
    ExternalTaskRecord,
    Incident,
    IncidentKind,
    OpenTask,
    Signal,
    SignalDelivery,
    Store,
    Transaction,
)
from ..text import clean_optional, clean_text
from .external import ExternalTasks, LockedTask
from .feed import Consumer, read_events
from .importing import CASE_ID, ImportResult, Skipped, case_id_of, cell, start_fields
from .migration import Deployment, Migration, MigrationPlan
from .registry import DefinitionRegistry
from .retention import RETENTION_KEY, Anonymised, kept_data, parse_days, past_retention
from .scheduler import DEFAULT_RETRY, Fired, RetryPolicy, TickResult, run_tick
from .signals import BROADCAST, FanOut, SignalResult, received_data, thrown
from .step import COMPLETE, Ending, LoadedCase, StepResult, failure_incident, plan_step
from .views import Case, IncidentView, TaskView

_PARTICIPANT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


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

    def resolve_case(self, ref: str) -> str:
        """The id of the case ``ref`` names: its id, or a unique prefix of at least 4 characters (as
        versions are named); UnknownCaseError when none or several match, naming them."""
        ids = self.store.case_ids(ref, 6) if ref else []
        if ref in ids:
            return ref
        if len(ids) == 1 and len(ref) >= 4:
            return ids[0]
        if len(ids) > 1:
            more = ", ..." if len(ids) > 5 else ""
            raise UnknownCaseError(f"'{ref}' matches several cases ({', '.join(ids[:5])}{more}): give more of the id")
        raise UnknownCaseError(f"unknown case '{ref}'" + (" (a prefix needs at least 4 characters)" if ids else ""))

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
        if not record.state and record.status not in (CaseStatus.ACTIVE, CaseStatus.SUSPENDED):
            raise CaseStateError(f"case '{case_id}' was anonymised (retention or erasure): its variables are gone")
        definition = self.definition(record.definition_version)
        workflow, _ = CaseWorkflow.restore(record.state, definition, self._registry.environment(definition))
        target = None if task is None else _resolve(workflow.ready_tasks(), case_id, task).task_id
        return workflow.variables(target)

    def case_history(self, case_id: str) -> list[JournalEntry]:
        self.store.get_case(case_id, with_state=False)
        return self.store.read_journal(case_id)

    def check_cases(self) -> list[str]:
        """What is wrong between each running case's stored state and its summary row and open tasks (the
        part of ``sedflow store check`` that needs the workflows): the state restores, its ready tasks are
        the open tasks, and it has not ended while the row says it runs."""
        problems = []
        for row in self.store.list_cases():
            if row.status not in (CaseStatus.ACTIVE, CaseStatus.SUSPENDED):
                continue
            try:
                record = self.store.get_case(row.case_id)
                definition = self.definition(record.definition_version)
                workflow, _ = CaseWorkflow.restore(record.state or b"", definition,
                                                   self._registry.environment(definition))
            except SedflowError as exc:
                problems.append(f"case '{row.case_id}': its state cannot be restored: {exc}")
                continue
            ready = {t.task_id for t in workflow.ready_tasks()}
            listed = {t.task_id for t in self.store.list_open_tasks(case_id=row.case_id)}
            if ready != listed:
                problems.append(f"case '{row.case_id}': open tasks {sorted(listed)} are not its state's ready "
                                f"tasks {sorted(ready)}")
            if workflow.is_completed:
                problems.append(f"case '{row.case_id}' is {row.status} but its workflow has ended")
        return problems

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
                   case_id: str | None = None, allow_concurrent: bool = False) -> Case:
        """Start a case for a participant (a pseudonymous key), with the start event's form data and any
        process variables no form declares (``definitions/variables.py`` says which are accepted).

        A participant who already has a running (active or suspended) case of the process is refused with
        DuplicateCaseError naming it, since reports would count them twice; ``allow_concurrent`` starts a
        second one anyway."""
        definition, deploy = self._registry.for_new_cases(process_id)
        result = self._start(definition, participant, data or {}, actor, case_id, deploy=deploy,
                             variables=variables or {}, allow_concurrent=allow_concurrent)
        self._commit(result)
        return result.view()

    def import_cases(self, rows: Iterable[Mapping[str, Any]], *, process_id: str | None = None,
                     actor: str | None = None, batch: int = 500, allow_concurrent: bool = False,
                     on_batch: Callable[[int], object] | None = None) -> ImportResult:
        """Start many cases, resumably: each row has ``participant``, optionally ``process``, ``case_id`` and
        ``referral_date``, and the start form's fields. Every row is checked first (an error names the first
        bad row and nothing is written); rows whose case is already in the store are skipped (see
        ``runtime/importing.py``: re-running a file after a crash starts exactly the missing rows); then the
        rest start in batches, one transaction per batch. A row for a participant with a running case of
        the process (in the store or earlier in the file) is refused unless ``allow_concurrent``."""
        if batch < 1:
            raise TaskDataError(f"a batch holds at least one case, not {batch}", field="batch")
        actor = self._who(actor)
        current: dict[str, tuple[ProcessDefinition, bool]] = {}
        todo: list[tuple[str, str, dict[str, Any], str]] = []  # (process, participant, fields, case id)
        skipped: list[Skipped] = []
        seen: dict[str, int] = {}
        running: dict[tuple[str, str], str] = {}
        for line, row in enumerate(rows, 1):
            try:
                pid = cell(row, "process") or process_id or ""
                if pid not in current:
                    current[pid] = self._registry.for_new_cases(pid)
                definition = current[pid][0]
                participant, fields = cell(row, "participant"), start_fields(row)
                self._check_start(definition, participant, fields)
                case_id = case_id_of(row, definition.process_id, participant)
                if case_id in seen:
                    skipped.append(Skipped(line, case_id, f"repeats row {seen[case_id]}"))
                    continue
                seen[case_id] = line
                if self._already_imported(case_id, definition.process_id, participant):
                    skipped.append(Skipped(line, case_id, "already in the store"))
                    continue
                key = (definition.process_id, participant)
                other = running.get(key) or self._running_case(*key)
                if other is not None and not allow_concurrent:
                    raise DuplicateCaseError(_duplicate(participant, definition.process_id, other), other)
                running[key] = case_id
                todo.append((pid, participant, fields, case_id))
            except (TaskDataError, UnknownProcessError, DuplicateCaseError) as exc:
                raise _in_row(exc, line) from exc
        if skipped and on_batch is not None:
            on_batch(len(skipped))
        started = []
        for first in range(0, len(todo), batch):
            results = []
            for pid, participant, fields, case_id in todo[first:first + batch]:
                definition, deploy = current[pid]
                results.append(self._start(definition, participant, fields, actor, case_id, deploy=deploy,
                                           allow_concurrent=True))  # checked above, across the file
                current[pid] = definition, False
            self._commit(*results)
            started += [result.record.case_id for result in results]
            if on_batch is not None:
                on_batch(len(results))
        return ImportResult(started, skipped)

    def _already_imported(self, case_id: str, process_id: str, participant: str) -> bool:
        """Whether the case is in the store for this participant and process (an error if for others)."""
        try:
            record = self.store.get_case(case_id, with_state=False)
        except UnknownCaseError:
            return False
        if (record.participant, record.process_id) != (participant, process_id):
            raise TaskDataError(f"case id '{case_id}' is taken by another participant or process in the store "
                                f"(participant '{record.participant}', process '{record.process_id}')",
                                field="case_id")
        return True

    def _running_case(self, process_id: str, participant: str) -> str | None:
        """The participant's running (active or suspended) case of the process, if any."""
        found = self.store.list_cases(CaseFilter(process_id=process_id, participant=participant))
        return next((c.case_id for c in found if c.status in (CaseStatus.ACTIVE, CaseStatus.SUSPENDED)), None)

    def _who(self, actor: str | None) -> str | None:
        """The actor as stored: checked like every stored text, and never a personal identity number."""
        return clean_optional(actor, field="actor", identifier_in=self.profile.rules.identifier_in)

    def _reason(self, reason: str) -> str:
        """A reason as stored (one line): checked like every stored text."""
        return clean_text(reason, field="reason", identifier_in=self.profile.rules.identifier_in)

    def complete_task(self, case_id: str, task: str, data: Mapping[str, Any] | None = None, *,
                      variables: Mapping[str, Any] | None = None, actor: str | None = None,
                      expected_revision: int | None = None) -> Case:
        """Complete a ready task (by task id, or by element id when unambiguous) with its form data and any
        process variables no form declares."""
        actor = self._who(actor)
        loaded = self._load(case_id, expected_revision)
        target = self._ready_task(loaded, task)
        submitted = {**self._validate(target.info.form, data or {}, element=target.info.id),
                     **_variables(target.info.form, variables, element=target.info.id)}
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=loaded.workflow.definition, actor=actor,
                          completed_task=target.task_id, submitted=submitted)
        entries = loaded.workflow.complete(ctx, target.task_id, submitted)
        return self._finish(loaded, ctx, entries, recorded=submitted)

    def _ready_task(self, loaded: LoadedCase, ref: str) -> ReadyTask:
        """The ready task ``ref`` names; if none, why: it was completed already (by whom, when: a conflict,
        the usual reason being two people completing it at once), or the process has no such task (a typo),
        or it is simply not ready now."""
        ready = loaded.workflow.ready_tasks()
        case_id = loaded.record.case_id
        try:
            return _resolve(ready, case_id, ref)
        except UnknownTaskError as exc:
            if any(ref in (t.task_id, t.info.id) for t in ready):
                raise  # ready more than once
            names = ", ".join(sorted(t.info.id for t in ready)) or "none"
            done = next((e for e in reversed(self.store.read_journal(case_id))
                         if e.kind == JournalKind.TASK_COMPLETED and ref in (e.task_id, e.element_id)), None)
            if done is not None:
                raise RecordConflictError(
                    f"task '{ref}' of case '{case_id}' was already completed by {done.actor or 'someone'} at "
                    f"{done.at.isoformat(timespec='seconds')}, so it is not ready now (ready: {names}); nothing "
                    "was written: reload the case") from exc
            definition = loaded.workflow.definition
            if not any(i.id == ref for i in definition.elements.values()):
                tasks = sorted({i.id for i in definition.elements.values() if i.kind in ("userTask", "manualTask")})
                raise UnknownTaskError(f"process '{definition.process_id}' has no task '{ref}' (its tasks: "
                                       f"{', '.join(tasks) or 'none'}; ready in case '{case_id}': {names})") from exc
            raise

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
        actor = self._who(actor)
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

    # ------------------------------------------------------------------------------ signals (signals.py)

    def broadcast_signal(self, name: str, data: Mapping[str, Any] | None = None, *, participant: str | None = None,
                         actor: str | None = None) -> SignalResult:
        """Throw signal ``name`` from outside any case: it reaches every case waiting for it now (catch, boundary
        and event-based gateway events, event sub-process starts; a suspended case is skipped, and the result
        says so), each in its own transaction, with
        ``data`` as its variables (the rule for variables, ``sedflow.definitions.variables``); with
        ``participant``, each process whose start event catches it starts a case for that participant (without,
        none starts, and the result's ``not_started`` names them). The signal and its receivers are recorded
        first, in one transaction; the deliveries (and any still pending from earlier signals) are done before
        this returns, and what a concurrent writer held up is left to the next ``tick``. A signal no process
        catches raises ``NoMatchingCaseError``, and bad data ``TaskDataError``; nothing is written."""
        variables = check_variables(data or {}, element=f"signal {name}")
        if participant is not None:
            self._check_participant(participant)
        starts = self._signal_starts(name)
        if not starts and not any(name in d.caught_signals for d in self.known_definitions()):
            caught = sorted({s for d in self.known_definitions() for s in d.caught_signals})
            raise NoMatchingCaseError(f"signal '{name}': no process catches it (signals caught: "
                                      f"{', '.join(caught) or 'none'}); nothing was written")
        signal = Signal(name=name, source=BROADCAST, at=self.clock.now(), participant=participant, actor=actor,
                        data=variables)
        with self.store.transaction() as tx:
            seq = tx.record_signal(signal, starts if participant is not None else ())
        self._deliver_signals()
        return SignalResult.of(seq, name, self.store.signal_deliveries(seq), () if participant is not None else starts)

    def _signal_starts(self, name: str) -> list[str]:
        """The loaded processes whose start event catches signal ``name``."""
        return [d.process_id for d in self.definitions if name in d.signal_starts]

    def _record_signals(self, tx: Transaction, result: StepResult) -> None:
        """Record the signals the step threw, with their receivers, in the step's transaction."""
        for signal in thrown(result):
            tx.record_signal(signal, self._signal_starts(signal.name))

    def _deliver_signals(self, attempts: int = 3, rounds: int = 100) -> FanOut:
        """Do every pending delivery, each in its receiver's own transaction; one a concurrent writer holds up
        is tried ``attempts`` times, then left pending. Deliveries whose steps throw signals add deliveries,
        done in the next round; after ``rounds`` (cases signalling each other in a loop) the rest is left to
        the next run."""
        run = FanOut()
        tries: dict[tuple[int, str, str], int] = {}
        for _ in range(rounds):
            todo = [d for d in self.store.signal_deliveries() if tries.get(_key(d), 0) < attempts]
            if not todo:
                break
            for delivery in todo:
                state = self._deliver(delivery)
                run.count(state)
                if state is None:
                    tries[_key(delivery)] = tries.get(_key(delivery), 0) + 1
                else:
                    tries[_key(delivery)] = attempts
        return run

    def _deliver(self, delivery: SignalDelivery) -> DeliveryState | None:
        """One delivery: the receiver's step and the mark that it is done, in one transaction (None: a
        concurrent writer got there first; it stays pending)."""
        try:
            try:
                step, reason = self._signal_step(delivery)
            except RecordConflictError:
                raise
            except SedflowError as exc:  # the receiver's bad step is its own: recorded, the others go on
                step, reason, state = None, str(exc), DeliveryState.FAILED
            else:
                state = DeliveryState.SKIPPED if step is None else DeliveryState.DELIVERED
            done = replace(delivery, case_id=step.record.case_id if step else None, reason=reason)
            self._commit(*(() if step is None else (step,)),
                         then=lambda tx: tx.finish_delivery(done, state, self.clock.now()))
        except RecordConflictError:
            return None
        return state

    def _signal_step(self, delivery: SignalDelivery) -> tuple[StepResult | None, str | None]:
        """The receiver's step for a delivery, or None and why it is skipped."""
        signal = delivery.signal
        if delivery.kind == DeliveryKind.START:
            definition, deploy = self._registry.for_new_cases(delivery.receiver)
            if signal.name not in definition.signal_starts:
                return None, f"process '{delivery.receiver}' no longer starts on signal '{signal.name}'"
            return self._start(definition, signal.participant or "", {}, signal.actor, None, deploy=deploy,
                               variables=signal.data, signal=signal), None
        record = self.store.get_case(delivery.receiver, with_state=False)
        if record.status != CaseStatus.ACTIVE:
            return None, f"the case is {record.status}"
        loaded = self._load(delivery.receiver, None)
        waits = loaded.workflow.signal_waits(signal.name)
        if not waits:
            return None, f"the case no longer waits for signal '{signal.name}'"
        ctx = StepContext(case_id=record.case_id, at=self.clock.now(), definition=loaded.workflow.definition,
                          actor=signal.actor, submitted=dict(signal.data))
        entries = [*_signal_received(ctx, waits, signal),
                   *loaded.workflow.deliver_message(ctx, waits[0], signal.data)]
        return plan_step(loaded, ctx, entries, rules=self.profile.rules, recorded=signal.data), None

    def cancel_case(self, case_id: str, reason: str, *, actor: str | None = None,
                    expected_revision: int | None = None) -> Case:
        """Administrative stop (e.g. a registration error): cancels every open task without a BPMN path."""
        loaded, ctx = self._load_to_stop(case_id, reason, actor, expected_revision)
        entries = loaded.workflow.cancel(ctx)
        return self._finish(loaded, ctx, entries, ending=Ending(CaseStatus.CANCELLED,
                                                                self.profile.rules.cancel_outcome, reason))

    # ------------------------------------------------------------------ retention and erasure (retention.py)

    def default_retention(self) -> int | None:
        """Days an ended case of a process without ``camunda:historyTimeToLive`` keeps its personal data
        (None: for ever, the default: nothing is purged that no one decided to purge)."""
        value = self.store.get_meta(RETENTION_KEY)
        return None if value in (None, "") else int(value)

    def set_default_retention(self, days: int | str | None) -> None:
        """Set the store-wide retention (whole days, ``180`` or ``P180D``; None: keep for ever)."""
        self.store.set_meta(RETENTION_KEY, "" if days is None else str(parse_days(days)))

    def purge(self, now: datetime | None = None, dry_run: bool = False, *, actor: str | None = None) -> Anonymised:
        """Anonymise every ended case past its retention at ``now`` (default: the clock's now), in one
        transaction, and record the purge; ``dry_run``: only say which. The reports count them as before. A
        ``now`` without a time zone is UTC, as dates are everywhere in sedflow."""
        actor = self._who(actor)
        now = self.clock.now() if now is None else now if now.tzinfo else now.replace(tzinfo=UTC)
        default = self.default_retention()
        due = [r for r in self.store.unpurged_ended_cases()
               if past_retention(r, self._retention(r.definition_version, default), now)]
        if not dry_run and due:
            self._anonymise(due, "purge", actor, "retention period passed")
        return Anonymised(tuple(r.case_id for r in due), dry_run)

    def _retention(self, version: str, default: int | None) -> int | None:
        days = self.definition(version).history_days
        return default if days is None else days

    def erase_participant(self, participant: str, reason: str, *, actor: str | None = None) -> Anonymised:
        """Anonymise every case of ``participant`` now, in one transaction, recording who, when and why
        (never whom). A running case is refused (CaseStateError naming it): end it first (withdraw or cancel),
        so that its ending is journaled and counted like any other."""
        actor = self._who(actor)
        reason = self._reason(reason)
        if participant and participant in reason:
            raise TaskDataError("the reason names the participant, whose key the erasure removes", field="reason")
        cases = self.store.list_cases(CaseFilter(participant=participant))
        if not cases:
            raise UnknownCaseError(f"no case of participant '{participant}' (already erased or purged, or never "
                                   "started)")
        running = [c.case_id for c in cases if c.status in (CaseStatus.ACTIVE, CaseStatus.SUSPENDED)]
        if running:
            raise CaseStateError(f"participant '{participant}' has running cases ({', '.join(running)}): end them "
                                 "first (sedflow case withdraw or case cancel); nothing was erased")
        self._anonymise(cases, "erasure", actor, reason)
        return Anonymised(tuple(c.case_id for c in cases))

    def _anonymise(self, records: list[CaseRecord], kind: str, actor: str | None, reason: str) -> None:
        kept = self.profile.reports.kept_fields() if self.profile.reports is not None else frozenset()
        at = self.clock.now()
        with self.store.transaction() as tx:
            for record in records:
                tx.anonymise_case(record, uuid.uuid4().hex[:12], kept_data(record.data, kept), at)
            tx.record_erasure(kind, at, actor, reason, len(records))

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
        reason, actor = self._reason(reason), self._who(actor)
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
        reason, actor = self._reason(reason), self._who(actor)
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
        actor = self._who(actor)
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
             retry: RetryPolicy = DEFAULT_RETRY, on_case: Callable[[str, int], object] | None = None) -> TickResult:
        """Fire every timer due at the clock's now, each case in its own transaction (``runtime/scheduler.py``).
        A case whose step fails is backed off, and put in incident when ``retry``'s attempts are used up. Then
        do the signal deliveries still pending (``runtime/signals.py``)."""
        now = self.clock.now()
        result = run_tick(self.store, self._fire_timers, now, worker_id=id(self), limit=limit, batch=batch,
                          lease=lease, on_case=on_case,
                          failed=lambda case_id, error: self._record_failure(case_id, error, now, retry))
        result.signals = self._deliver_signals().delivered
        return result

    def _record_failure(self, case_id: str, error: SedflowError, now: datetime, policy: RetryPolicy) -> bool:
        """Count a failed attempt at the case (its step wrote nothing), back it off, or with its attempts used
        up put it in incident; True if it opened one. Only an engine failure counts: a store that failed
        is no fault of the case."""
        if not isinstance(error, EngineError):
            return False
        record = self.store.get_case(case_id, with_state=False)
        if record.status != CaseStatus.ACTIVE:
            return False
        failures = record.failures + 1
        wait = policy.backoff(failures)
        with self.store.transaction() as tx:
            if wait is not None:
                tx.record_failure(case_id, record.revision, failures=failures, retry_at=now + wait,
                                  incident=record.incident)
                return False
            incident, opened = failure_incident(record, self.definition(record.definition_version), error,
                                                failures, now, "sedflow tick")
            tx.record_failure(case_id, record.revision, failures=failures, retry_at=None, incident=incident)
            tx.append_journal([opened])
        return True

    # ------------------------------------------------------------------------------------------ incidents

    def incidents(self, *, process_id: str | None = None, case_id: str | None = None) -> list[IncidentView]:
        """Open incidents, the oldest first: cases a step left stuck, and cases whose timers' step failed
        until its attempts ran out. An incident is named by its case's id."""
        records = self.store.list_cases(CaseFilter(status=CaseStatus.ACTIVE, process_id=process_id, incident=True))
        views = []
        for r in records:
            if r.incident is not None and (case_id is None or r.case_id == case_id):
                info = (self.definition(r.definition_version).element(r.incident.process_id, r.incident.element_id)
                        if r.incident.element_id else None)
                views.append(IncidentView.of(r, r.incident, element_name=info.label if info else ""))
        return sorted(views, key=lambda v: (v.since, v.case_id))

    def retry_incident(self, case_id: str, *, actor: str | None = None) -> Case:
        """Try the case again now. A failed case's timers' step runs at once: if it succeeds the incident is
        resolved (journaled); if it fails again the incident stays, one more attempt counted, and the
        EngineError is raised. An external task out of retries gets one more, fetchable at once (Camunda 7's
        setRetries), and the incident is resolved. A stalled case is run once more; if it is still stuck,
        CaseStateError (nothing written): migrate it to a version it can advance on, or cancel it."""
        incident = self._open_incident(case_id)
        now = self.clock.now()
        loaded = self._load(case_id, None)
        ctx = StepContext(case_id=case_id, at=now, definition=loaded.workflow.definition, actor=actor)
        if incident.kind == IncidentKind.EXTERNAL:
            result = plan_step(loaded, ctx, [], rules=self.profile.rules,
                               resolution=f"retried by {actor or 'someone'}: the external task has one more retry")
            self._commit(result, then=lambda tx: tx.retry_external_tasks(case_id))
            return result.view()
        try:
            entries = (loaded.workflow.fire_due_timers(ctx) if incident.kind == IncidentKind.FAILED
                       else loaded.workflow.run(ctx))
        except EngineError as exc:
            with self.store.transaction() as tx:
                tx.record_failure(case_id, loaded.record.revision, failures=loaded.record.failures + 1,
                                  retry_at=None, incident=replace(incident, reason=f"retried: {exc}"))
            raise EngineError(f"case '{case_id}': the retry failed too, the incident stays open: {exc}",
                              element=exc.element) from exc
        result = plan_step(loaded, ctx, entries, rules=self.profile.rules,
                           resolution=f"retried by {actor or 'someone'}")
        if incident.kind == IncidentKind.STALLED and result.record.incident == incident:
            raise CaseStateError(f"case '{case_id}' is still stuck: {result.record.incident.reason}; nothing was "
                                 "written: migrate it to a version it can advance on (case migrate), or cancel it")
        self._commit(result)
        return result.view()

    def resolve_incident(self, case_id: str, note: str, *, actor: str | None = None) -> Case:
        """Close a failed case's incident by hand (``note``: what was mended), journaled: the next ``tick``
        tries the case again, with its attempts counted afresh; an external task out of retries gets one
        more, fetchable at once. A stalled case's incident is not closed by hand: only a step that gives
        the case something to wait for closes it (CaseStateError)."""
        if not note:
            raise TaskDataError("resolving an incident needs a note (what was done about it)", field="note")
        incident = self._open_incident(case_id)
        if incident.kind == IncidentKind.STALLED:
            raise CaseStateError(f"case '{case_id}' is stuck ({incident.reason}): its incident closes when a step "
                                 "gives it something to wait for: migrate it to a version it can advance on (case "
                                 "migrate), retry it (incident retry), or cancel it; nothing was written")
        loaded = self._load(case_id, None)
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=loaded.workflow.definition, actor=actor)
        result = plan_step(loaded, ctx, [], rules=self.profile.rules,
                           resolution=f"resolved by {actor or 'someone'}: {note}")
        self._commit(result, then=lambda tx: tx.retry_external_tasks(case_id))
        return result.view()

    def _open_incident(self, case_id: str) -> Incident:
        record = self.store.get_case(case_id, with_state=False)
        if record.incident is None or record.status != CaseStatus.ACTIVE:
            raise CaseStateError(f"case '{case_id}' is not in incident; nothing was written")
        return record.incident

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
        if expected_revision is not None and expected_revision > record.revision:
            raise TaskDataError(f"case '{case_id}' is at revision {record.revision}: revision {expected_revision} "
                                "has not happened yet (pass the revision you read)", field="expected_revision")
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
        actor = self._who(actor)
        if not isinstance(reason, str) or (reasons and reason not in reasons) or not reason:
            allowed = ", ".join(sorted(reasons)) or "a non-empty code"
            raise TaskDataError(f"end reason {reason!r:.80} is not one of {allowed}", field="reason")
        reason = self._reason(reason)
        loaded = self._load(case_id, expected_revision)
        ctx = StepContext(case_id=case_id, at=self.clock.now(), definition=loaded.workflow.definition, actor=actor,
                          submitted={"end_reason": reason})
        return loaded, ctx

    def _finish(self, loaded: LoadedCase, ctx: StepContext, entries: list[JournalEntry], *,
                recorded: Mapping[str, Any] | None = None, ending: Ending = COMPLETE,
                status: CaseStatus | None = None, resolution: str | None = None) -> Case:
        """Plan the step, commit it, and return the case as it now is (``status``: the case's new status,
        for a suspension or resumption; ``resolution``: why an open incident closes)."""
        result = plan_step(loaded, ctx, entries, rules=self.profile.rules, recorded=recorded, ending=ending,
                           resolution=resolution)
        if status is not None and status != result.record.status:
            result = replace(result, record=replace(result.record, status=status))
        self._commit(result)
        return result.view()

    def _commit(self, *results: StepResult, first: Callable[[Transaction], object] | None = None,
                then: Callable[[Transaction], object] | None = None) -> None:
        """Write ``first`` (a check, such as a worker's lock), the steps, the signals they threw and ``then``
        in one transaction. If the store's connection
        is lost before the commit, nothing was written and the transaction is made again on a new connection
        (the revision guard still holds); lost during the commit, the step counts as written when its first
        case reads back at the new revision with the new state, and is made again otherwise."""
        for attempt in range(3):
            try:
                with self.store.transaction() as tx:
                    if first is not None:
                        first(tx)
                    for result in results:
                        result.write(tx)
                        self._record_signals(tx, result)
                    if then is not None:
                        then(tx)
                return
            except ConnectionLostError as exc:
                if exc.in_commit and results and self._landed(results[0]):
                    return
                if attempt == 2:
                    raise

    def _landed(self, result: StepResult) -> bool:
        try:
            record = self.store.get_case(result.record.case_id)
        except UnknownCaseError:
            return False
        return (record.revision, record.state) == (result.record.revision, result.record.state)

    def _check_participant(self, participant: str) -> None:
        if (not isinstance(participant, str) or not _PARTICIPANT_KEY.match(participant)
                or self.profile.rules.identifier_in(participant)):
            raise TaskDataError("participant must be a pseudonymous key (letters, digits, . _ : -; at most 64; "
                                "never a personal identity number)", field="participant")

    def _check_start(self, definition: ProcessDefinition, participant: str, data: Mapping[str, Any]) -> dict[str, Any]:
        self._check_participant(participant)
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
               variables: Mapping[str, Any] | None = None, message: str | None = None,
               signal: Signal | None = None, allow_concurrent: bool = False) -> StepResult:
        start = definition.start_event
        by_message, by_signal = definition.message_start, definition.signal_starts
        if by_message is not None and message != by_message:
            raise CaseStateError(f"process '{definition.process_id}' starts when message '{by_message}' comes: "
                                 "send it (correlate_message with the participant and the process, or sedflow message "
                                 "send) instead of starting the case")
        if by_signal and (signal is None or signal.name not in by_signal):
            raise CaseStateError(f"process '{definition.process_id}' starts when signal "
                                 f"{' or '.join(repr(n) for n in sorted(by_signal))} is thrown: "
                                 "broadcast it for the participant (broadcast_signal with participant, or sedflow "
                                 "signal NAME --participant P) instead of starting the case")
        start_data = {**self._check_start(definition, participant or "", data),
                      **_variables(definition.start_form, variables,
                                   element=start.id if start is not None else definition.process_id)}
        actor = self._who(actor)
        if case_id is not None and not (isinstance(case_id, str) and CASE_ID.match(case_id)):
            raise TaskDataError(f"case id {case_id!r:.80} must be letters, digits, . _ : - (at most 64)",
                                field="case_id")
        other = None if allow_concurrent else self._running_case(definition.process_id, participant)
        if other is not None:
            raise DuplicateCaseError(_duplicate(participant, definition.process_id, other), other)
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
        if signal is not None:  # the signal that starts it, delivered in the same step
            waits = workflow.signal_waits(signal.name)
            entries = [*entries, *_signal_received(ctx, waits, signal), *workflow.deliver_message(ctx, waits[0],
                                                                                                 start_data)]
        return plan_step(LoadedCase(record, workflow), ctx, [started, *entries], rules=self.profile.rules, new=True,
                         first_deployment=deploy)


def _received(case_id: str, at: datetime, definition: ProcessDefinition, info: ElementInfo, name: str,
              variables: Mapping[str, Any], actor: str | None) -> JournalEntry:
    """The ``message_received`` row: where the message was caught, its name and the variables it brought."""
    return JournalEntry(case_id=case_id, at=at, kind=JournalKind.MESSAGE_RECEIVED, process_id=info.process_id,
                        definition_version=definition.version, element_id=info.id, element_name=info.label,
                        element_type=info.kind, lane=info.lane, actor=actor, data={"message": name, **variables})


def _signal_received(ctx: StepContext, waits: list[EventWait], signal: Signal) -> list[JournalEntry]:
    """The ``signal_received`` rows: one per element that catches the signal (see ``signals.received_data``)."""
    return [JournalEntry(case_id=ctx.case_id, at=ctx.at, kind=JournalKind.SIGNAL_RECEIVED,
                         process_id=w.info.process_id, definition_version=ctx.definition.version, element_id=w.info.id,
                         element_name=w.info.label, element_type=w.info.kind, lane=w.info.lane, actor=signal.actor,
                         data=dict(received_data(signal))) for w in waits]


def _key(delivery: SignalDelivery) -> tuple[int, str, str]:
    return delivery.signal.seq, delivery.kind, delivery.receiver


def _variables(form: Form | None, variables: Mapping[str, Any] | None, *, element: str) -> dict[str, Any]:
    if not variables:
        return {}
    return check_variables(variables, element=element, fields=() if form is None else (f.id for f in form.fields))


def _duplicate(participant: str, process_id: str, case_id: str) -> str:
    return (f"participant '{participant}' already has a running case of process '{process_id}': '{case_id}' "
            "(a second one would be counted twice; allow_concurrent / --allow-concurrent starts it anyway); "
            "nothing was written")


def _in_row(exc: TaskDataError | UnknownProcessError | DuplicateCaseError, line: int) -> SedflowError:
    """The same error, its message naming the import row."""
    message = f"row {line}: {exc}"
    if isinstance(exc, TaskDataError):
        return TaskDataError(message, field=exc.field, element=exc.element)
    if isinstance(exc, DuplicateCaseError):
        return DuplicateCaseError(message, exc.case_id)
    return UnknownProcessError(message)


def _resolve(ready: list[ReadyTask], case_id: str, ref: str) -> ReadyTask:
    matches = [t for t in ready if t.task_id == ref] or [t for t in ready if t.info.id == ref]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(sorted(t.info.id for t in ready)) or "none"
    if not matches:
        raise UnknownTaskError(f"task '{ref}' is not ready in case '{case_id}' (ready: {names})")
    raise UnknownTaskError(f"task '{ref}' is ready more than once in case '{case_id}'; name it by task id")
