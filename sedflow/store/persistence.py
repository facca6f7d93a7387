"""The store contract: what the rest of sedflow needs from a database, and nothing more.

Consumers are typed against small protocols, each one view of a store: :class:`CaseStore` (the
runtime's reads and the :class:`Transaction` its writes go through), :class:`ReportQueries` (the
aggregate SQL reports run in the database, with the dialect pieces they need) and :class:`StoreMeta`
(what a store is: its URL, schema version, metadata, lifetime). :class:`Store` is all three, and is
what :func:`sedflow.store.open_store` returns. The SQL backends share one implementation
(``sql.py``); no consumer needs it.

Writes are grouped in a transaction: a case's new state, its summary, its open tasks and its journal
rows commit together or not at all. Optimistic concurrency lives here too: ``update_case`` only
succeeds against the revision the writer read. Backend errors become sedflow's own, keeping the
backend's exception as the cause: ``RecordConflictError`` for a write another writer won (retry it),
``StoreError`` for everything else.

An active case that cannot advance on its own is in *incident* (``CaseRecord.incident``): nullable
columns on its row (``incident_kind``, ``incident_process``, ``incident_element``,
``incident_reason``, ``incident_since``), written with the rest of the row by every step, so the case
and its incident never disagree; "in incident" is ``incident_since IS NOT NULL`` (a partial index
keeps the list of such cases cheap on both backends). A case has at most one open incident, named by
the case's id; the journal keeps the history (``incident_opened`` and ``incident_resolved`` rows).
``failures`` counts the case's failed attempts in a row by a worker (``tick``), and ``retry_at`` is
when the next may be made: a failing case is backed off, then put in incident, never retried in a
tight loop (``sedflow.runtime.scheduler``). Every successful step clears both.

An external task waiting for a worker is a row of ``external_tasks`` (:class:`ExternalTaskRecord`), written
by the step that makes the case wait there and deleted by the step that ends the wait; the steps in
between keep it as it is, so a worker's lock and the retries left survive them. A worker takes rows with
a lease (``lock_external_tasks``) and every write that reports on one is guarded by that lock.

The journal is also an event feed (``read_events``): every row in *feed order*, which a reader walks
with a cursor and never sees a row appear behind it (see ``sedflow.runtime.feed`` for how each backend
keeps that promise). Named consumers keep their cursor in the store (``feed_consumers``).

Signals cross cases durably (``sedflow.runtime.signals``): every step rewrites the names of the signals
its case waits for (``signal_waits``, beside its open tasks); a throw or a broadcast records the signal
(``signals``) and one pending delivery per receiver (``signal_deliveries``: every active case waiting for
it then, and each process the signal starts for a participant) in the throwing transaction; each delivery
is then done in the receiver's own transaction, which also marks it done, so that a crash between
deliveries neither loses nor doubles one.

A case's personal data can be removed while what the reports count stays (``sedflow.runtime.retention``):
``anonymise_case`` gives the ended case a new random id everywhere it is named (its row, journal, signals),
a participant key made from that id (no mapping back is kept), only the case-data fields the reports read,
no workflow state, no incident text, and journal rows without their data; ``cases.purged_at`` marks it. Each
purge or erasure is one row of ``erasures`` (kind, when, who, why, how many cases), never what was removed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, Self

from ..journal import JournalEntry

SCHEMA_VERSION = 12

#: A row of a report query: its columns in the order selected.
Row = tuple[Any, ...]


class CaseStatus(StrEnum):
    """Where a case is: running, ended one of three ways, or suspended (running, but held: its timers
    do not fire and its tasks cannot be completed until it is resumed). A ``str``, stored as its code."""

    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"


ACTIVE, COMPLETED, WITHDRAWN, CANCELLED, SUSPENDED = CaseStatus
STATUSES = tuple(CaseStatus)


class OpenKind(StrEnum):
    """What an open row waits for: a person (``task``) or a timer; or, in the due list only, a case in
    incident that waits for someone to mend it (``incident``: read from the case row, never stored as an
    open row)."""

    TASK = "task"
    TIMER = "timer"
    INCIDENT = "incident"


TASK, TIMER, INCIDENT = OpenKind


class IncidentKind(StrEnum):
    """Why a case is in incident: a step left it with nothing that can advance it (``stalled``), the step
    ``tick`` runs for it kept failing until its attempts ran out (``failed``), or a worker failed one of
    its external tasks until no retries were left (``external``)."""

    STALLED = "stalled"
    FAILED = "failed"
    #: An external task a worker failed until no retries were left (the case's timers still fire).
    EXTERNAL = "external"


@dataclass(frozen=True)
class Incident:
    """Why an active case cannot advance on its own. Stalled: nothing in it is ready for a person, waits
    on a timer that has a due time, or waits for a message the engine delivers. Failed: the step that
    fires its timers failed as often as its retry policy allows (``reason`` is the last error). ``element_id``
    (drawn in ``process_id``) is where (None: nowhere in particular), ``reason`` says why in words;
    ``since`` is when the incident opened."""

    process_id: str
    element_id: str | None
    reason: str
    since: datetime
    kind: IncidentKind = IncidentKind.STALLED


@dataclass
class CaseRecord:
    """A case row. ``state`` is the serialized workflow (spec by reference); ``data`` the latest value of
    every field recorded so far (a summary for queries, the journal keeps the history)."""

    case_id: str
    participant: str
    process_id: str
    definition_version: str
    status: CaseStatus
    started_at: datetime
    updated_at: datetime
    revision: int = 1
    stages: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    milestones: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None
    end_reason: str | None = None
    ended_at: datetime | None = None
    next_due_at: datetime | None = None
    incident: Incident | None = None
    failures: int = 0
    """Failed attempts in a row by a worker (``tick``) since the last step that succeeded."""
    state: bytes | None = None


@dataclass(frozen=True)
class OpenTask:
    """Something a case waits for: a task for a person (``kind`` task, ready since ``since``) or a timer
    (``kind`` timer, firing at ``due_at``). Work queues and the due list are queries over these rows."""

    case_id: str
    task_id: str
    element_id: str
    name: str
    process_id: str
    definition_version: str
    lane: str | None
    stage: str | None
    since: datetime
    participant: str | None = None
    kind: OpenKind = OpenKind.TASK
    due_at: datetime | None = None


@dataclass(frozen=True)
class ExternalTaskRecord:
    """An external task: work a case waits for a worker to do (``topic``), at ``element_id`` of ``process_id``.

    ``lock_owner`` holds it until ``lock_until`` (a lapsed lock frees it); ``retries`` is None until a
    worker first reports a failure, then what that worker said is left (0: fetched no more), with its
    ``error_message``/``error_details``; ``retry_at`` is when a failed task may be fetched again."""

    id: str
    case_id: str
    task_id: str
    element_id: str
    process_id: str
    topic: str
    created_at: datetime
    lock_owner: str | None = None
    lock_until: datetime | None = None
    retries: int | None = None
    error_message: str | None = None
    error_details: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class DeploymentRecord:
    """One deployment of a process: from then on new cases start on ``version``. ``changes`` is what
    changed from the version deployed before it (see ``sedflow.definitions.changes``)."""

    seq: int
    process_id: str
    version: str
    deployed_at: datetime
    actor: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseFilter:
    """Which cases :meth:`CaseStore.list_cases` returns: every field given must match."""

    status: CaseStatus | None = None
    process_id: str | None = None
    participant: str | None = None
    stage: str | None = None
    """Among the case's current stages."""
    task: str | None = None
    """The case has a ready task of this element id."""
    lane: str | None = None
    """The case has a ready task in this lane."""
    incident: bool = False
    """Only cases with an open incident."""
    limit: int | None = None
    """At most this many cases, the oldest first."""


class DeliveryKind(StrEnum):
    """What a signal delivery reaches: a waiting case (``receiver`` is its id), or a process whose signal start
    event starts a case for the signal's participant (``receiver`` is the process id)."""

    CASE = "case"
    START = "start"


class DeliveryState(StrEnum):
    """Where a signal delivery is: still to do, done, passed by (the case had moved on, ended or is
    suspended), or failed (the receiver's step raised; ``reason`` says what)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Signal:
    """A signal thrown in a case (``source``: its id) or broadcast (``source`` ``"broadcast"``), with the
    variables it carries and the participant a signal start event starts a case for (None: nobody)."""

    name: str
    source: str
    at: datetime
    participant: str | None = None
    actor: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True)
class SignalDelivery:
    """One receiver of a signal and how far its delivery is; ``case_id`` is the case it reached (for a start:
    the case it started), ``reason`` why it was skipped or failed."""

    signal: Signal
    kind: DeliveryKind
    receiver: str
    state: DeliveryState = DeliveryState.PENDING
    case_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ErasureRecord:
    """A purge or an erasure as the store remembers it: what kind, when, by whom, why, how many cases. Never
    whose cases, nor what they held."""

    seq: int
    kind: str                    # "purge" (retention ran out) or "erasure" (a participant's data on request)
    at: datetime
    actor: str | None
    reason: str
    cases: int


class Transaction(Protocol):
    """The writes of one store transaction (see :meth:`CaseStore.transaction`)."""

    def insert_case(self, case: CaseRecord) -> None:
        """Write a new case; RecordConflictError if its id is taken."""

    def update_case(self, case: CaseRecord, expected_revision: int) -> None:
        """Write ``case`` (with ``case.revision`` = expected + 1) or raise RecordConflictError."""

    def replace_open_tasks(self, case_id: str, tasks: Iterable[OpenTask]) -> None:
        """Make ``tasks`` all that the case waits for."""

    def append_journal(self, entries: Iterable[JournalEntry]) -> None:
        """Add the entries to the journal (the store numbers them)."""

    def replace_signal_waits(self, case_id: str, names: Iterable[str]) -> None:
        """Make ``names`` all the signals the case waits for."""

    def record_signal(self, signal: Signal, starts: Iterable[str] = ()) -> int:
        """Record a thrown or broadcast signal and a pending delivery to every running case (active or
        suspended) waiting for it now, but its source, and to each process of ``starts``; returns the signal's
        number."""

    def finish_delivery(self, delivery: SignalDelivery, state: DeliveryState, at: datetime) -> None:
        """Mark a pending delivery done (``state``, with its ``case_id`` and ``reason``), or raise
        RecordConflictError if another writer already did."""
    def sync_external_tasks(self, case_id: str, tasks: Iterable[ExternalTaskRecord], *, new: bool = False) -> None:
        """Make ``tasks`` the case's external tasks: rows of tasks already there are kept as they are (their
        lock and retries), rows of tasks not among them are deleted (``new``: the case has none yet)."""

    def hold_external_task(self, task_id: str, worker: str, now: datetime) -> None:
        """Check, for the rest of the transaction, that ``worker`` holds external task ``task_id``'s lock at
        ``now`` (ExternalTaskLockError: not, or not any more)."""

    def retry_external_tasks(self, case_id: str) -> None:
        """Give each of the case's external tasks that has no retries left one more, fetchable now."""

    def fail_external_task(self, task_id: str, worker: str, now: datetime, *, error: str, details: str | None,
                           retries: int, retry_at: datetime) -> None:
        """Record ``worker``'s failure of the external task it holds and release the lock: ``retries`` left,
        fetchable again from ``retry_at`` (ExternalTaskLockError when it does not hold it)."""

    def save_definition(self, version: str, process_id: str, name: str, sources: Mapping[str, bytes],
                        at: datetime) -> None:
        """Record a definition version (idempotent) so that cases can be resumed on it later."""

    def record_deployment(self, process_id: str, version: str, at: datetime, actor: str | None,
                          changes: Mapping[str, Any]) -> None:
        """Make a saved ``version`` the one new cases of ``process_id`` start on."""

    def anonymise_case(self, case: CaseRecord, new_id: str, data: Mapping[str, Any], at: datetime) -> None:
        """Remove the personal data of ended ``case`` (read without state) and keep what reports count: the case
        becomes ``new_id`` in every table that names it, its participant key a pseudonym made from ``new_id``,
        its data ``data``, its state and incident text empty, its journal rows without data (nor an actor that
        is the participant), its signals without data or participant; marked purged at ``at``.
        RecordConflictError if the case changed since it was read."""

    def record_erasure(self, kind: str, at: datetime, actor: str | None, reason: str, cases: int) -> None:
        """Record that ``cases`` cases lost their personal data (an :class:`ErasureRecord`)."""

    def record_failure(self, case_id: str, expected_revision: int, *, failures: int, retry_at: datetime | None,
                       incident: Incident | None) -> None:
        """A worker's attempt at the case failed (nothing of the step was written): store the failures in a
        row and when to try again, or with ``incident`` the incident the last one opened (the case's
        revision moves on). RecordConflictError if the case changed since ``expected_revision``."""


class CaseStore(Protocol):
    """Cases, their open tasks and journal, and the definition versions they run on: what the runtime uses."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A write transaction: commits on normal exit, rolls back on any exception."""

    def get_case(self, case_id: str, *, with_state: bool = True) -> CaseRecord:
        """The committed case, or UnknownCaseError."""

    def list_cases(self, filters: CaseFilter | None = None) -> list[CaseRecord]:
        """Cases (without state) matching the filters, oldest first."""

    def case_ids(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` case ids that start with ``prefix``, in id order."""

    def list_open_tasks(self, *, case_id: str | None = None, lane: str | None = None, element_id: str | None = None,
                        stage: str | None = None, process_id: str | None = None,
                        kind: OpenKind | None = OpenKind.TASK, due_before: datetime | None = None) -> list[OpenTask]:
        """Open rows of ``kind`` (None: both); timers only up to ``due_before`` when given."""

    def claim_due(self, now: datetime, worker: str, limit: int, lease: timedelta) -> list[str]:
        """Claim up to ``limit`` active cases with a timer due at ``now`` for ``worker``, earliest first.

        A claimed case is not handed to another worker until its lease runs out (a crashed worker's
        claims expire) or the case is written, which releases the claim.
        """

    def count_due(self, now: datetime) -> int:
        """How many active cases have a timer due at ``now`` (for progress reporting)."""

    def signal_deliveries(self, seq: int | None = None, *, limit: int | None = None) -> list[SignalDelivery]:
        """The deliveries of signal ``seq`` (any state), or without it the pending ones of every signal, oldest
        signal first (at most ``limit``)."""

    def count_incidents(self) -> int:
        """How many active cases are in incident (nothing can advance them)."""

    def read_journal(self, case_id: str | None = None, *, after_seq: int = 0,
                     limit: int | None = None) -> list[JournalEntry]:
        """Journal entries after ``after_seq`` (of one case, or of all), in commit order."""

    def read_events(self, after: int = 0, *, kinds: Collection[str] | None = None,
                    limit: int | None = None) -> list[JournalEntry]:
        """Committed journal rows after the cursor ``after`` (0: from the start) in feed order, only those of
        ``kinds`` when given. A row committed later never sorts before a row already returned: the feed
        position of a row (its ``seq`` is the cursor past it) is final once it is returned."""

    def consumer_cursor(self, name: str) -> int:
        """The cursor consumer ``name`` has acknowledged up to (0: nothing yet)."""

    def ack_consumer(self, name: str, cursor: int, at: datetime) -> int:
        """Move consumer ``name``'s cursor to ``cursor`` unless it already is past it (a cursor only moves
        forward in feed order); returns the cursor stored."""

    def lock_external_tasks(self, topics: Collection[str], worker: str, now: datetime, limit: int,
                            lease: timedelta) -> list[ExternalTaskRecord]:
        """Lock up to ``limit`` fetchable external tasks of ``topics`` for ``worker`` until ``now + lease``,
        oldest first: of active cases, unlocked or with a lapsed lock, with retries left and due to be retried.
        Two workers never get the same task."""

    def get_external_task(self, task_id: str) -> ExternalTaskRecord:
        """The external task, or UnknownExternalTaskError."""

    def list_external_tasks(self, *, topic: str | None = None,
                            case_id: str | None = None) -> list[ExternalTaskRecord]:
        """External tasks (of a topic, of a case), oldest first."""

    def definition_sources(self, version: str) -> dict[str, bytes] | None:
        """The BPMN files of a saved definition version by file name (None: never saved)."""

    def deployments(self, process_id: str | None = None) -> list[DeploymentRecord]:
        """The deployment history, oldest first (of one process, or of all)."""

    def deployed_version(self, process_id: str) -> str | None:
        """The version new cases of ``process_id`` start on: the latest deployed (None: never deployed)."""

    def unpurged_ended_cases(self) -> list[CaseRecord]:
        """Ended cases (without state) that still hold their personal data, oldest end first."""

    def erasures(self) -> list[ErasureRecord]:
        """Every purge and erasure, oldest first."""


class ReportQueries(Protocol):
    """Read-only SQL for reports, which aggregate in the database: queries are written once with "?"
    parameters, and the store supplies the SQL for what its dialect spells its own way."""

    def query(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        """The rows of a read-only query written with "?" parameters."""

    def json_text(self, column: str, key: str) -> str:
        """SQL for the text of top-level ``key`` of JSON ``column`` (ValueError unless a field name)."""

    def day_number(self, column: str) -> str:
        """SQL for a timestamp column as a day number (days since an epoch, fractional)."""

    def month(self, column: str) -> str:
        """SQL for a timestamp column's month as 'YYYY-MM' (UTC)."""

    def ts_text(self, column: str) -> str:
        """SQL for a timestamp column as ISO text (UTC) that sorts and slices by position ('YYYY-MM-DD...')."""

    def days_between_dates(self, start: str, end: str) -> str:
        """SQL for the days from ISO date text ``start`` to ``end`` (both SQL expressions)."""


class StoreMeta(Protocol):
    """What a store is: where, at which schema version, its metadata and its lifetime (a context manager
    that closes it)."""

    #: Where the store is, as :func:`sedflow.store.open_store` accepts it.
    url: str

    def schema_version(self) -> int:
        """The schema version the store is at."""

    def get_meta(self, key: str) -> str | None:
        """A metadata value (None: never set)."""

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value (in a transaction of its own)."""

    def is_synthetic(self) -> bool:
        """Whether the store holds synthetic data only (demo scenarios): reports may then go unsuppressed."""

    def is_empty(self) -> bool:
        """Whether the store holds no case yet."""

    def integrity_problems(self) -> list[str]:
        """What the database's own check of its pages finds (SQLite ``PRAGMA integrity_check``)."""

    def consistency_problems(self) -> list[str]:
        """What sedflow's checks across the tables find: each case started once, its status against its
        ``case_ended`` rows, its open tasks against the journal, and every row decodes."""

    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Store(CaseStore, ReportQueries, StoreMeta, Protocol):
    """A whole store: cases, report queries and metadata (what :func:`sedflow.store.open_store` returns)."""
