"""The embedded SQLite store (stdlib ``sqlite3``): zero set-up, one file, WAL.

Durability: WAL with ``synchronous=NORMAL``. A committed step survives the crash or kill of any
process (the kill tests show it); only a power loss or OS crash may lose the last few commits, never
corrupting the file. ``SQLiteStore(path, synchronous="FULL")`` closes that gap at the cost of an fsync
per commit (on this machine's disk about 2x the step time). Writers take the write lock up front
(``BEGIN IMMEDIATE``) and wait up to 10 s for it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import RecordConflictError, StoreError
from .persistence import ExternalTaskRecord, Row
from .sql import EXTERNAL_COLUMNS, ErrorRule, SQLStore

_V1 = """
CREATE TABLE sedflow_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE definitions (
    version TEXT PRIMARY KEY, process_id TEXT NOT NULL, name TEXT NOT NULL,
    sources TEXT NOT NULL, deployed_at TEXT NOT NULL);
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY, participant TEXT NOT NULL, process_id TEXT NOT NULL,
    definition_version TEXT NOT NULL REFERENCES definitions(version), status TEXT NOT NULL,
    revision INTEGER NOT NULL, stages TEXT NOT NULL, data TEXT NOT NULL, milestones TEXT NOT NULL,
    outcome TEXT, end_reason TEXT, started_at TEXT NOT NULL, updated_at TEXT NOT NULL, ended_at TEXT,
    next_due_at TEXT, state BLOB NOT NULL);
CREATE INDEX cases_status ON cases(status, process_id);
CREATE INDEX cases_participant ON cases(participant);
CREATE INDEX cases_due ON cases(next_due_at) WHERE status = 'active';
CREATE TABLE open_tasks (
    case_id TEXT NOT NULL REFERENCES cases(case_id), task_id TEXT NOT NULL, element_id TEXT NOT NULL,
    name TEXT NOT NULL, process_id TEXT NOT NULL, definition_version TEXT NOT NULL, lane TEXT, stage TEXT,
    since TEXT NOT NULL, kind TEXT NOT NULL, due_at TEXT,
    PRIMARY KEY (case_id, task_id));
CREATE INDEX open_tasks_lane ON open_tasks(kind, lane, stage);
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL REFERENCES cases(case_id), at TEXT NOT NULL,
    kind TEXT NOT NULL, process_id TEXT NOT NULL, definition_version TEXT NOT NULL, element_id TEXT,
    element_name TEXT, element_type TEXT, lane TEXT, actor TEXT, task_id TEXT, data TEXT NOT NULL,
    outcome TEXT, end_reason TEXT);
CREATE INDEX journal_case ON journal(case_id, seq);
CREATE INDEX journal_kind ON journal(kind, element_id)
"""
# v2: tick workers claim due cases with a lease.
_V2 = """
ALTER TABLE cases ADD COLUMN claimed_by TEXT;
ALTER TABLE cases ADD COLUMN claimed_until TEXT
"""


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


# v3: a completed task's waiting time on its journal row (duration reports without self-joins); the kind
# index covers case ids (reports counting cases per element read no rows); a due index in claim order
# (many cases share a due time: without case_id in it every claim re-sorts them all).
_V3 = """
ALTER TABLE journal ADD COLUMN duration REAL;
DROP INDEX journal_kind;
CREATE INDEX journal_kind_case ON journal(kind, element_id, case_id);
DROP INDEX cases_due;
CREATE INDEX cases_due ON cases(next_due_at, case_id) WHERE status = 'active'
"""


# v4: the deployment history: which version of each process new cases start on, and what each changed.
# Versions that cases already ran on count as deployed, in the order they were first used.
_V4 = """
CREATE TABLE deployments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, process_id TEXT NOT NULL,
    version TEXT NOT NULL REFERENCES definitions(version), deployed_at TEXT NOT NULL, actor TEXT,
    changes TEXT NOT NULL);
CREATE INDEX deployments_process ON deployments(process_id, seq);
INSERT INTO deployments (process_id, version, deployed_at, changes)
    SELECT process_id, version, deployed_at, '{}' FROM definitions ORDER BY deployed_at, version
"""

# v5: an element id is unique only within its process, so reports count per (process, element): the
# covering kind index leads with the process too (the heatmap's counts and the stage joins read no rows).
_V5 = """
DROP INDEX journal_kind_case;
CREATE INDEX journal_kind_element ON journal(kind, process_id, element_id, case_id)
"""


# v6: an active case nothing can advance is in incident (see persistence.py): what it is stuck at, why and
# since when, on its row; the partial index lists the cases in incident without reading the others.
_V6 = """
ALTER TABLE cases ADD COLUMN incident_process TEXT;
ALTER TABLE cases ADD COLUMN incident_element TEXT;
ALTER TABLE cases ADD COLUMN incident_reason TEXT;
ALTER TABLE cases ADD COLUMN incident_since TEXT;
CREATE INDEX cases_incident ON cases(incident_since, case_id) WHERE incident_since IS NOT NULL
"""


# v7: the event feed's named consumers and the cursor each has acknowledged up to. SQLite has one writer at
# a time (``BEGIN IMMEDIATE``) and numbers journal rows under that lock, so seq order is commit order and
# the feed reads in seq order (see ``sedflow.runtime.feed``).
_V7 = """
CREATE TABLE feed_consumers (name TEXT PRIMARY KEY, cursor_seq INTEGER NOT NULL, updated_at TEXT NOT NULL)
"""

# v8: incidents of two kinds, and the backoff of a case a worker keeps failing on (see persistence.py). The
# incidents open before it are all of the one kind there was.
_V8 = """
ALTER TABLE cases ADD COLUMN incident_kind TEXT;
ALTER TABLE cases ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN retry_at TEXT;
UPDATE cases SET incident_kind = 'stalled' WHERE incident_since IS NOT NULL
"""


# v9: signals across cases (see persistence.py): the signals each case waits for, rewritten by every step;
# every signal thrown or broadcast; one delivery per receiver, pending until the receiver's own transaction
# marks it done (the partial index lists what is left to deliver without reading the rest).
_V9 = """
CREATE TABLE signal_waits (
    case_id TEXT NOT NULL REFERENCES cases(case_id), signal TEXT NOT NULL, PRIMARY KEY (signal, case_id));
CREATE INDEX signal_waits_case ON signal_waits(case_id);
CREATE TABLE signals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, source TEXT NOT NULL, participant TEXT,
    actor TEXT, data TEXT NOT NULL, thrown_at TEXT NOT NULL);
CREATE TABLE signal_deliveries (
    signal_seq INTEGER NOT NULL REFERENCES signals(seq), kind TEXT NOT NULL, receiver TEXT NOT NULL,
    state TEXT NOT NULL, case_id TEXT, reason TEXT, done_at TEXT, PRIMARY KEY (signal_seq, kind, receiver));
CREATE INDEX signal_deliveries_pending ON signal_deliveries(signal_seq) WHERE state = 'pending'
"""


# v10: external tasks (see persistence.py): one row per task a case waits for a worker at, with its lock, the
# retries a worker left and the error it reported; fetched by topic, oldest first.
_V10 = """
CREATE TABLE external_tasks (
    id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(case_id), task_id TEXT NOT NULL,
    element_id TEXT NOT NULL, process_id TEXT NOT NULL, topic TEXT NOT NULL, created_at TEXT NOT NULL,
    lock_owner TEXT, lock_until TEXT, retries INTEGER, error_message TEXT, error_details TEXT, retry_at TEXT,
    UNIQUE (case_id, task_id));
CREATE INDEX external_tasks_fetch ON external_tasks(topic, created_at, id)
"""


# v11: reserved for the schema change being made beside this one (task owners); the merge fills it in.
_V11 = ""

# v12: retention and erasure (see persistence.py): when a case's personal data was purged, and the record of
# each purge or erasure (never what it removed).
_V12 = """
ALTER TABLE cases ADD COLUMN purged_at TEXT;
CREATE TABLE erasures (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, at TEXT NOT NULL, actor TEXT, reason TEXT NOT NULL,
    cases INTEGER NOT NULL)
"""


class SQLiteStore(SQLStore):
    """A store in one SQLite file at ``path`` (``synchronous``: FULL for an fsync per commit)."""

    MIGRATIONS = (_statements(_V1), _statements(_V2), _statements(_V3), _statements(_V4), _statements(_V5),
                  _statements(_V6), _statements(_V7), _statements(_V8), _statements(_V9),
                  _statements(_V10), _statements(_V11), _statements(_V12))
    STAGE_FILTER = "EXISTS (SELECT 1 FROM json_each(c.stages) WHERE value = ?)"
    # SQLite raises IntegrityError for every constraint: only a taken key is a lost race.
    ERRORS = (ErrorRule(sqlite3.IntegrityError, RecordConflictError,
                        frozenset({"SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"})),
              ErrorRule(sqlite3.Error, StoreError))

    def __init__(self, path: str | Path, *, create: bool = False, migrate: bool = False, synchronous: str = "NORMAL"):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        #: A file this process may not write is opened read-only: reads work, a write says "read-only".
        self.read_only = self.path.exists() and not os.access(self.path, os.W_OK)
        self._label = f"SQLite store {self.path}{' (read-only)' if self.read_only else ''}"
        self._synchronous = synchronous
        if not self.path.exists() and not create:
            raise StoreError(f"no sedflow store at {self.path} (create one with 'sedflow init')")
        self._open(create=create, migrate=migrate)

    def _connect(self, *, create: bool) -> None:
        if self.read_only:
            # A reader of a WAL file keeps its -shm beside it; in a folder it cannot write either, the file is
            # read as it is (immutable: a copy nobody writes, as a manager's read-only copy is).
            mode = "ro" if os.access(self.path.parent, os.W_OK) else "ro&immutable=1"
            self._db = sqlite3.connect(f"file:{quote(str(self.path.resolve()))}?mode={mode}", uri=True,
                                       isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 10000")
            return
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(f"PRAGMA synchronous = {self._synchronous}")
        self._db.execute("PRAGMA foreign_keys = ON")

    # ---------------------------------------------------------------------------- dialect

    def _ts(self, value: datetime | None) -> str | None:
        """UTC, fixed width with microseconds: sorts as text and SQLite's date functions read it."""
        return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _dt(self, value: str) -> datetime:
        return datetime.fromisoformat(value)

    def _json(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def _unjson(self, value: str) -> Any:
        return json.loads(value)

    def _error_code(self, exc: Exception) -> str | None:
        return exc.sqlite_errorname if isinstance(exc, sqlite3.Error) else None

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return self._db.execute(sql, args).fetchall()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        # IMMEDIATE takes the write lock up front, so a transaction never fails half-way on lock upgrade.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db.cursor()
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def _meta_table_exists(self) -> bool:
        return bool(self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sedflow_meta'"))

    def _has_other_tables(self) -> bool:
        return bool(self._query("SELECT 1 FROM sqlite_master LIMIT 1"))

    def claim_due(self, now: datetime, worker: str, limit: int, lease: timedelta) -> list[str]:
        # Claimed under the database write lock, so two workers never take the same case.
        with self._guard(), self._write() as cur:
            # Without INDEXED BY the planner takes cases_status for "status = 'active'" and sorts every
            # active case for each batch; the due index is already in claim order.
            ids = [str(row[0]) for row in cur.execute(
                "SELECT case_id FROM cases INDEXED BY cases_due WHERE status = 'active' AND next_due_at <= ? "
                f"AND (claimed_until IS NULL OR claimed_until <= ?) AND {self.RETRYABLE} ORDER BY next_due_at, case_id "
                "LIMIT ?", (self._ts(now), self._ts(now), self._ts(now), limit)).fetchall()]
            cur.executemany("UPDATE cases SET claimed_by = ?, claimed_until = ? WHERE case_id = ?",
                            [(worker, self._ts(now + lease), case_id) for case_id in ids])
        return ids

    def integrity_problems(self) -> list[str]:
        try:
            with self._guard():
                found = [str(row[0]) for row in self._query("PRAGMA integrity_check")]
        except StoreError as exc:  # damaged so badly that the check cannot run: that is what it found
            return [str(exc)]
        return [] if found == ["ok"] else found
    def lock_external_tasks(self, topics: Collection[str], worker: str, now: datetime, limit: int,
                            lease: timedelta) -> list[ExternalTaskRecord]:
        # Locked under the database write lock, so two workers never take the same task.
        ts = self._ts(now)
        with self._guard(), self._write() as cur:
            rows = cur.execute(
                f"SELECT {', '.join('e.' + c for c in EXTERNAL_COLUMNS)} FROM external_tasks e "
                f"JOIN cases c ON c.case_id = e.case_id WHERE e.topic IN ({', '.join('?' * len(topics))}) "
                f"AND {self.FETCHABLE} ORDER BY e.created_at, e.id LIMIT ?", (*topics, ts, ts, limit)).fetchall()
            until = now + lease
            cur.executemany("UPDATE external_tasks SET lock_owner = ?, lock_until = ? WHERE id = ?",
                            [(worker, self._ts(until), row[0]) for row in rows])
        return [replace(self._external(row), lock_owner=worker, lock_until=until) for row in rows]

    def close(self) -> None:
        self._db.close()
