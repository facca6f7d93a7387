"""The store interface: what the runtime needs from a database, and nothing more.

One small abstract recorder with one module per backend (``sqlite.py`` now, ``postgres.py`` next),
backend errors mapped to sedflow's own exceptions, and writes grouped in a transaction context
manager: a case's new state, its summary, its open tasks and its journal rows commit together or not
at all. Optimistic concurrency lives here too: ``update_case`` only succeeds against the revision the
writer read.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ..journal import JournalEntry

SCHEMA_VERSION = 4

class CaseStatus(StrEnum):
    """Where a case is: running, or ended one of three ways. A ``str``, stored as its code."""

    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


ACTIVE, COMPLETED, WITHDRAWN, CANCELLED = CaseStatus
STATUSES = tuple(CaseStatus)


@dataclass
class CaseRecord:
    """A case row. ``state`` is the serialized workflow (spec by reference); ``data`` the latest value of
    every field recorded so far (a summary for queries, the journal keeps the history)."""

    case_id: str
    participant: str
    process_id: str
    definition_version: str
    status: str
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
    state: bytes | None = None


class OpenKind(StrEnum):
    """What an open row waits for: a person (``task``) or a timer."""

    TASK = "task"
    TIMER = "timer"


TASK, TIMER = OpenKind


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
    kind: str = TASK
    due_at: datetime | None = None


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
    status: str | None = None
    process_id: str | None = None
    participant: str | None = None
    stage: str | None = None
    task: str | None = None
    lane: str | None = None
    limit: int | None = None


class Transaction(ABC):
    """Writes inside one store transaction (see :meth:`Store.transaction`)."""

    @abstractmethod
    def insert_case(self, case: CaseRecord) -> None: ...

    @abstractmethod
    def update_case(self, case: CaseRecord, expected_revision: int) -> None:
        """Write ``case`` (with ``case.revision`` = expected + 1) or raise RecordConflictError."""

    @abstractmethod
    def replace_open_tasks(self, case_id: str, tasks: Iterable[OpenTask]) -> None: ...

    @abstractmethod
    def append_journal(self, entries: Iterable[JournalEntry]) -> None: ...

    @abstractmethod
    def save_definition(self, version: str, process_id: str, name: str, sources: Mapping[str, bytes],
                        at: datetime) -> None:
        """Record a definition version (idempotent) so that cases can be resumed on it later."""

    @abstractmethod
    def record_deployment(self, process_id: str, version: str, at: datetime, actor: str | None,
                          changes: Mapping[str, Any]) -> None:
        """Make a saved ``version`` the one new cases of ``process_id`` start on."""


class Store(ABC):
    url: str

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A write transaction: commits on normal exit, rolls back on any exception."""

    @abstractmethod
    def get_case(self, case_id: str, *, with_state: bool = True) -> CaseRecord:
        """The committed case, or UnknownCaseError."""

    @abstractmethod
    def list_cases(self, filters: CaseFilter | None = None) -> list[CaseRecord]:
        """Cases (without state) matching the filters, oldest first."""

    @abstractmethod
    def list_open_tasks(self, *, case_id: str | None = None, lane: str | None = None, element_id: str | None = None,
                        stage: str | None = None, process_id: str | None = None, kind: str | None = TASK,
                        due_before: datetime | None = None) -> list[OpenTask]:
        """Open rows of ``kind`` (None: both); timers only up to ``due_before`` when given."""

    @abstractmethod
    def claim_due(self, now: datetime, worker: str, limit: int, lease: timedelta) -> list[str]:
        """Claim up to ``limit`` active cases with a timer due at ``now`` for ``worker``, earliest first.

        A claimed case is not handed to another worker until its lease runs out (a crashed worker's
        claims expire) or the case is written, which releases the claim.
        """

    @abstractmethod
    def count_due(self, now: datetime) -> int:
        """How many active cases have a timer due at ``now`` (for progress reporting)."""

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def read_journal(self, case_id: str | None = None, *, after_seq: int = 0,
                     limit: int | None = None) -> list[JournalEntry]: ...

    @abstractmethod
    def definition_sources(self, version: str) -> dict[str, bytes] | None: ...

    @abstractmethod
    def deployments(self, process_id: str | None = None) -> list[DeploymentRecord]:
        """The deployment history, oldest first (of one process, or of all)."""

    @abstractmethod
    def deployed_version(self, process_id: str) -> str | None:
        """The version new cases of ``process_id`` start on: the latest deployed (None: never deployed)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

