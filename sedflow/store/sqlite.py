"""The embedded SQLite store (stdlib ``sqlite3``): zero set-up, one file, WAL.

Durability: WAL with ``synchronous=NORMAL``. A committed step survives the crash or kill of any
process; only a power loss or OS crash may lose the last few commits (never corrupt the file).
``synchronous=FULL`` (``SQLiteStore(path, synchronous="FULL")``) closes that gap at the cost of an
fsync per commit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import RecordConflictError, StoreError, UnknownCaseError
from ..journal import JournalEntry
from .persistence import SCHEMA_VERSION, CaseFilter, CaseRecord, OpenTask, Store, Transaction

_SCHEMA = """
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
CREATE INDEX journal_kind ON journal(kind, element_id);
"""

_CASE_COLUMNS = ("case_id, participant, process_id, definition_version, status, revision, stages, data, milestones, "
                 "outcome, end_reason, started_at, updated_at, ended_at, next_due_at")


def _ts(value: datetime | None) -> str | None:
    """UTC, fixed width with microseconds: sorts as text and SQLite's date functions read it."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class SQLiteStore(Store):
    def __init__(self, path: str | Path, *, create: bool = False, synchronous: str = "NORMAL"):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        exists = self.path.exists()
        if not exists and not create:
            raise StoreError(f"no sedflow store at {self.path} (create one with 'sedflow init')")
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 10000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA synchronous = {synchronous}")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from None

    def _check_schema(self) -> None:
        has_meta = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sedflow_meta'").fetchone()
        if not has_meta:
            if self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise StoreError(f"{self.path} is an SQLite database but not a sedflow store")
            with self._write() as db:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                db.execute("INSERT INTO sedflow_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            return
        version = int(self._db.execute("SELECT value FROM sedflow_meta WHERE key = 'schema_version'").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema version {version}, newer than this sedflow "
                             f"understands ({SCHEMA_VERSION}); upgrade sedflow")
        if version < SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema version {version}; this sedflow needs {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so a transaction never fails half-way on lock upgrade.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        try:
            with self._write() as db:
                yield _SQLiteTransaction(db)
        except sqlite3.IntegrityError as exc:
            raise RecordConflictError(f"conflicting write: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from None

    def get_case(self, case_id: str, *, with_state: bool = True) -> CaseRecord:
        cols = _CASE_COLUMNS + (", state" if with_state else "")
        row = self._db.execute(f"SELECT {cols} FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        if row is None:
            raise UnknownCaseError(f"unknown case '{case_id}'")
        return _case(row)

    def list_cases(self, filters: CaseFilter = CaseFilter()) -> list[CaseRecord]:
        where, args = [], []
        for column, value in (("status", filters.status), ("process_id", filters.process_id),
                              ("participant", filters.participant)):
            if value is not None:
                where.append(f"c.{column} = ?")
                args.append(value)
        if filters.stage is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(c.stages) WHERE value = ?)")
            args.append(filters.stage)
        for column, value in (("element_id", filters.task), ("lane", filters.lane)):
            if value is not None:
                where.append(f"EXISTS (SELECT 1 FROM open_tasks t WHERE t.case_id = c.case_id AND t.{column} = ?)")
                args.append(value)
        sql = f"SELECT {', '.join('c.' + c.strip() for c in _CASE_COLUMNS.split(','))} FROM cases c"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.started_at, c.case_id"
        if filters.limit is not None:
            sql += f" LIMIT {int(filters.limit)}"
        return [_case(row) for row in self._db.execute(sql, args)]

    def list_open_tasks(self, *, case_id: str | None = None, lane: str | None = None, element_id: str | None = None,
                        stage: str | None = None, process_id: str | None = None, kind: str | None = "task",
                        due_before: datetime | None = None) -> list[OpenTask]:
        where, args = [], []
        for column, value in (("t.case_id", case_id), ("t.lane", lane), ("t.element_id", element_id),
                              ("t.stage", stage), ("t.process_id", process_id), ("t.kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if due_before is not None:
            where.append("(t.due_at IS NULL OR t.due_at <= ?)")
            args.append(_ts(due_before))
        sql = ("SELECT t.case_id, t.task_id, t.element_id, t.name, t.process_id, t.definition_version, t.lane, "
               "t.stage, t.since, c.participant, t.kind, t.due_at FROM open_tasks t JOIN cases c ON c.case_id = t.case_id")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY coalesce(t.due_at, t.since), t.case_id, t.element_id"
        return [OpenTask(*row[:8], since=_dt(row[8]), participant=row[9], kind=row[10], due_at=_dt(row[11]))
                for row in self._db.execute(sql, args)]

    def due_cases(self, now: datetime, limit: int | None = None) -> list[str]:
        sql = "SELECT case_id FROM cases WHERE next_due_at <= ? AND status = 'active' ORDER BY next_due_at, case_id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [row[0] for row in self._db.execute(sql, (_ts(now),))]

    def read_journal(self, case_id: str | None = None, *, after_seq: int = 0,
                     limit: int | None = None) -> list[JournalEntry]:
        sql = ("SELECT seq, case_id, at, kind, process_id, definition_version, element_id, element_name, "
               "element_type, lane, actor, task_id, data, outcome, end_reason FROM journal WHERE seq > ?")
        args: list[Any] = [after_seq]
        if case_id is not None:
            sql += " AND case_id = ?"
            args.append(case_id)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [JournalEntry(seq=r[0], case_id=r[1], at=_dt(r[2]), kind=r[3], process_id=r[4],
                             definition_version=r[5], element_id=r[6], element_name=r[7], element_type=r[8],
                             lane=r[9], actor=r[10], task_id=r[11], data=json.loads(r[12]), outcome=r[13],
                             end_reason=r[14]) for r in self._db.execute(sql, args)]

    def definition_sources(self, version: str) -> dict[str, bytes] | None:
        row = self._db.execute("SELECT sources FROM definitions WHERE version = ?", (version,)).fetchone()
        if row is None:
            return None
        return {name: text.encode("utf-8") for name, text in json.loads(row[0]).items()}

    def close(self) -> None:
        self._db.close()


class _SQLiteTransaction(Transaction):
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def insert_case(self, case: CaseRecord) -> None:
        self._db.execute(f"INSERT INTO cases ({_CASE_COLUMNS}, state) VALUES ({', '.join('?' * 16)})",
                         _case_row(case))

    def update_case(self, case: CaseRecord, expected_revision: int) -> None:
        row = _case_row(case)
        assignments = ", ".join(f"{c.strip()} = ?" for c in _CASE_COLUMNS.split(",")[1:]) + ", state = ?"
        cursor = self._db.execute(f"UPDATE cases SET {assignments} WHERE case_id = ? AND revision = ?",
                                  (*row[1:], case.case_id, expected_revision))
        if cursor.rowcount != 1:
            raise RecordConflictError(
                f"case '{case.case_id}' was changed by someone else (expected revision {expected_revision}); "
                "nothing was written: reload the case and try again")

    def replace_open_tasks(self, case_id: str, tasks: Iterable[OpenTask]) -> None:
        self._db.execute("DELETE FROM open_tasks WHERE case_id = ?", (case_id,))
        self._db.executemany(
            "INSERT INTO open_tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(t.case_id, t.task_id, t.element_id, t.name, t.process_id, t.definition_version, t.lane, t.stage,
              _ts(t.since), t.kind, _ts(t.due_at)) for t in tasks])

    def append_journal(self, entries: Iterable[JournalEntry]) -> None:
        self._db.executemany(
            "INSERT INTO journal (case_id, at, kind, process_id, definition_version, element_id, element_name, "
            "element_type, lane, actor, task_id, data, outcome, end_reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.case_id, _ts(e.at), e.kind, e.process_id, e.definition_version, e.element_id, e.element_name,
              e.element_type, e.lane, e.actor, e.task_id, _dumps(e.data), e.outcome, e.end_reason) for e in entries])

    def save_definition(self, version: str, process_id: str, name: str, sources: Mapping[str, bytes],
                        at: datetime) -> None:
        self._db.execute(
            "INSERT INTO definitions VALUES (?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
            (version, process_id, name, _dumps({k: v.decode("utf-8") for k, v in sources.items()}), _ts(at)))


def _case_row(c: CaseRecord) -> tuple:
    return (c.case_id, c.participant, c.process_id, c.definition_version, c.status, c.revision, _dumps(c.stages),
            _dumps(c.data), _dumps(c.milestones), c.outcome, c.end_reason, _ts(c.started_at), _ts(c.updated_at),
            _ts(c.ended_at), _ts(c.next_due_at), c.state)


def _case(row: tuple) -> CaseRecord:
    return CaseRecord(
        case_id=row[0], participant=row[1], process_id=row[2], definition_version=row[3], status=row[4],
        revision=row[5], stages=json.loads(row[6]), data=json.loads(row[7]), milestones=json.loads(row[8]),
        outcome=row[9], end_reason=row[10], started_at=_dt(row[11]), updated_at=_dt(row[12]), ended_at=_dt(row[13]),
        next_due_at=_dt(row[14]), state=row[15] if len(row) > 15 else None)
