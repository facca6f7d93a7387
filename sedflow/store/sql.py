"""What the SQL backends share: the queries, the record mapping, error mapping and schema versioning.

A backend (``sqlite.py``, ``postgres.py``) supplies its connection, write transactions, its error
table, migrations and a few dialect hooks (parameter style, how timestamps and JSON are stored, the
stage filter, how due cases are claimed). Everything else is written once here. Consumers never need
this module: they are typed against the protocols in ``persistence.py``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from ..errors import (
    ExternalTaskLockError,
    RecordConflictError,
    SedflowError,
    StoreError,
    TaskDataError,
    UnknownCaseError,
    UnknownExternalTaskError,
)
from ..journal import JournalEntry, JournalKind
from .persistence import (
    SCHEMA_VERSION,
    CaseFilter,
    CaseRecord,
    CaseStatus,
    DeliveryKind,
    DeliveryState,
    DeploymentRecord,
    ErasureRecord,
    ExternalTaskRecord,
    Incident,
    IncidentKind,
    OpenKind,
    OpenTask,
    Row,
    Signal,
    SignalDelivery,
    Store,
    Transaction,
)

CASE_COLUMNS = ("case_id", "participant", "process_id", "definition_version", "status", "revision", "stages", "data",
                "milestones", "outcome", "end_reason", "started_at", "updated_at", "ended_at", "next_due_at",
                "incident_process", "incident_element", "incident_reason", "incident_since", "incident_kind",
                "failures")
#: The columns of an external task row, in :class:`ExternalTaskRecord`'s order.
EXTERNAL_COLUMNS = ("id", "case_id", "task_id", "element_id", "process_id", "topic", "created_at", "lock_owner",
                    "lock_until", "retries", "error_message", "error_details", "retry_at")
_JOURNAL_COLUMNS = ("case_id", "at", "kind", "process_id", "definition_version", "element_id", "element_name",
                    "element_type", "lane", "actor", "task_id", "data", "outcome", "end_reason", "duration")


class Cursor(Protocol):
    """What the shared code needs of a backend's cursor (``sqlite3.Cursor``, ``psycopg.Cursor``)."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, args: Sequence[Any] = (), /) -> object: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> object: ...

    def fetchall(self) -> list[Row]: ...


class ErrorRule(NamedTuple):
    """A row of a backend's error table: its exceptions of class ``raised`` (carrying one of the backend's
    error ``codes``, when any are given) become ``mapped``."""

    raised: type[Exception]
    mapped: type[RecordConflictError] | type[StoreError]
    codes: frozenset[str] = frozenset()


# Codes read back as their enums, by dict lookup: these run once per row read.
_STATUSES = {status.value: status for status in CaseStatus}
_OPEN_KINDS = {kind.value: kind for kind in OpenKind}
_JOURNAL_KINDS = {kind.value: kind for kind in JournalKind}
_INCIDENT_KINDS = {kind.value: kind for kind in IncidentKind}


class SQLStore(Store):
    """The SQL implementation of :class:`~sedflow.store.persistence.Store`, less the backend hooks."""

    #: Per schema version (index + 1), the statements that bring the store there from the version before.
    MIGRATIONS: Sequence[Sequence[str]] = ()
    #: SQL fragment, one parameter: the case has this stage among its current stages.
    STAGE_FILTER = ""
    #: SQL fragment, one parameter (now): a worker may try the case now (not backed off after a failure, not
    #: in incident because its attempts failed until the retries ran out).
    RETRYABLE = "(retry_at IS NULL OR retry_at <= ?) AND COALESCE(incident_kind, '') <> 'failed'"
    #: The backend's parameter marker; queries here are written with "?".
    PARAM = "?"
    #: The backend's error table, first matching row wins. Conflicts are writes another writer won (a
    #: duplicate key from a concurrent insert, a serialization failure, a deadlock): reload and retry.
    #: Store failures are the rest: a missing foreign key, a NOT NULL or CHECK violation, any other
    #: database error. An exception no row matches is not the backend's and passes unchanged.
    ERRORS: Sequence[ErrorRule] = ()

    #: The store in messages: backend and place (a PostgreSQL URL without its password).
    _label: str

    # ---------------------------------------------------------------------------- backend hooks

    @abstractmethod
    def _connect(self, *, create: bool) -> None:
        """Open the connection (``create``: also make room for a new store, such as its schema)."""

    @abstractmethod
    def _write(self) -> AbstractContextManager[Cursor]:
        """A write transaction yielding a cursor."""

    @abstractmethod
    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        """Rows of a read (autocommit, or the backend's equivalent)."""

    @abstractmethod
    def _meta_table_exists(self) -> bool: ...

    @abstractmethod
    def _has_other_tables(self) -> bool: ...

    @abstractmethod
    def _dt(self, value: Any) -> datetime:
        """A timestamp read from the database."""

    def _error_code(self, exc: Exception) -> str | None:
        """The backend's code for ``exc``, for error rules that name codes."""
        return None

    def _ts(self, value: datetime | None) -> object:
        """A timestamp as the database stores it."""
        return value

    def _json(self, value: Any) -> object:
        return value

    def _unjson(self, value: Any) -> Any:
        return value

    def _dt_or_none(self, value: Any) -> datetime | None:
        return None if value is None else self._dt(value)

    # ---------------------------------------------------------------------------- errors

    def _translate(self, exc: Exception) -> SedflowError | None:
        """sedflow's error for a backend error, by the backend's table (None: not the backend's)."""
        for rule in self.ERRORS:
            if isinstance(exc, rule.raised) and (not rule.codes or self._error_code(exc) in rule.codes):
                detail = " ".join(str(exc).split())  # one line: libpq's messages run over several
                if issubclass(rule.mapped, RecordConflictError):
                    return rule.mapped(f"conflicting write: {detail}")
                return rule.mapped(f"{self._label}: {detail}")
        return None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Backend errors inside become sedflow's, with the backend's exception as the cause."""
        try:
            yield
        except UnicodeEncodeError as exc:  # a lone surrogate (input that was not UTF-8) the checks did not see
            raise TaskDataError(f"{self._label}: a value given is not valid Unicode text (the input was not UTF-8); "
                                "nothing was written") from exc
        except Exception as exc:
            mapped = self._translate(exc)
            if mapped is None:
                raise
            raise mapped from exc

    # ---------------------------------------------------------------------------- reporting

    #: SQL for the text of a top-level key of a JSON column; ``{column}`` and ``{key}`` are filled in.
    JSON_TEXT = "json_extract({column}, '$.{key}')"
    #: SQL for the days from ISO date text ``{start}`` to ``{end}``.
    DATE_DAYS_BETWEEN = "(julianday({end}) - julianday({start}))"

    #: SQL for a timestamp column as a day number (days since an epoch, fractional).
    DAY_NUMBER = "julianday({column})"
    #: SQL for a timestamp column as ISO text (UTC), and for its month as 'YYYY-MM'.
    TS_TEXT = "{column}"
    MONTH = "substr({column}, 1, 7)"

    def ts_text(self, column: str) -> str:
        return self.TS_TEXT.format(column=column)

    def day_number(self, column: str) -> str:
        return self.DAY_NUMBER.format(column=column)

    def month(self, column: str) -> str:
        return self.MONTH.format(column=column)

    def json_text(self, column: str, key: str) -> str:
        if not key.replace("_", "").isalnum():
            raise ValueError(f"not a field name: {key!r}")
        return self.JSON_TEXT.format(column=column, key=key)

    def days_between_dates(self, start: str, end: str) -> str:
        return self.DATE_DAYS_BETWEEN.format(start=start, end=end)

    def query(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        with self._guard():
            return self._query(self._sql(sql), args)

    # ---------------------------------------------------------------------------- metadata

    def get_meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM sedflow_meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._guard(), self._write() as cur:
            cur.execute(self._sql("DELETE FROM sedflow_meta WHERE key = ?"), (key,))
            cur.execute(self._sql("INSERT INTO sedflow_meta VALUES (?, ?)"), (key, value))

    def is_synthetic(self) -> bool:
        return self.get_meta("synthetic") == "true"

    def is_empty(self) -> bool:
        return not self.query("SELECT 1 FROM cases LIMIT 1")

    # ---------------------------------------------------------------------------- schema

    def _sql(self, sql: str) -> str:
        return sql if self.PARAM == "?" else sql.replace("?", self.PARAM)

    def _open(self, *, create: bool, migrate: bool) -> None:
        """Connect, then check the schema (or build it, ``create``; upgrade it, ``migrate``)."""
        try:
            self._connect(create=create)
        except Exception as exc:
            if self._translate(exc) is None:
                raise
            raise StoreError(f"cannot open {self._label}: {' '.join(str(exc).split())}") from exc
        try:
            with self._guard():
                self._open_schema(create=create, migrate=migrate)
        except BaseException:
            self.close()  # a store refused (no schema, the wrong version) does not keep its connection
            raise

    def _open_schema(self, *, create: bool, migrate: bool) -> None:
        if not self._meta_table_exists():
            if not create:
                raise StoreError(f"no sedflow store in {self._label} (create one with 'sedflow init')")
            if self._has_other_tables():
                raise StoreError(f"{self._label} holds other tables but no sedflow store; use an empty database or "
                                 "schema")
            self._migrate(0)
            return
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self._label} has schema version {version}, newer than this sedflow understands "
                             f"({SCHEMA_VERSION}); upgrade sedflow")
        if version < SCHEMA_VERSION:
            if not migrate:
                raise StoreError(f"{self._label} has schema version {version}; this sedflow needs {SCHEMA_VERSION}: "
                                 "run 'sedflow store upgrade'")
            self._migrate(version)

    def schema_version(self) -> int:
        return int(self._query(self._sql("SELECT value FROM sedflow_meta WHERE key = ?"), ("schema_version",))[0][0])

    def _migrate(self, current: int, target: int = SCHEMA_VERSION) -> None:
        """Apply the migrations after ``current`` up to ``target`` in one transaction."""
        with self._guard(), self._write() as cur:
            for statements in self.MIGRATIONS[current:target]:
                for statement in statements:
                    cur.execute(statement)
            if current == 0:
                cur.execute(self._sql("INSERT INTO sedflow_meta VALUES (?, ?)"), ("schema_version", str(target)))
            else:
                cur.execute(self._sql("UPDATE sedflow_meta SET value = ? WHERE key = ?"),
                            (str(target), "schema_version"))

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._guard(), self._write() as cur:
            yield _SQLTransaction(self, cur)

    # ---------------------------------------------------------------------------- reads

    def get_case(self, case_id: str, *, with_state: bool = True) -> CaseRecord:
        cols = ", ".join(CASE_COLUMNS + (("state",) if with_state else ()))
        with self._guard():
            rows = self._query(self._sql(f"SELECT {cols} FROM cases WHERE case_id = ?"), (case_id,))
        if not rows:
            raise UnknownCaseError(f"unknown case '{case_id}'")
        return self._case(rows[0])

    def list_cases(self, filters: CaseFilter | None = None) -> list[CaseRecord]:
        filters = filters or CaseFilter()
        where: list[str] = []
        args: list[object] = []
        for column, value in (("status", filters.status), ("process_id", filters.process_id),
                              ("participant", filters.participant)):
            if value is not None:
                where.append(f"c.{column} = ?")
                args.append(value)
        if filters.stage is not None:
            where.append(self.STAGE_FILTER)
            args.append(filters.stage)
        if filters.incident:
            where.append("c.incident_since IS NOT NULL")
        for column, value in (("element_id", filters.task), ("lane", filters.lane)):
            if value is not None:
                where.append(f"EXISTS (SELECT 1 FROM open_tasks t WHERE t.case_id = c.case_id AND t.kind = 'task' "
                             f"AND t.{column} = ?)")
                args.append(value)
        sql = f"SELECT {', '.join('c.' + c for c in CASE_COLUMNS)} FROM cases c"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.started_at, c.case_id"
        if filters.limit is not None:
            sql += f" LIMIT {int(filters.limit)}"
        with self._guard():
            return [self._case(row) for row in self._query(self._sql(sql), args)]

    def case_ids(self, prefix: str, limit: int) -> list[str]:
        # Not LIKE (its wildcards, SQLite's case folding) nor a range (PostgreSQL's collations): the prefix
        # compared as it is. It reads every id, which a person naming a case can afford.
        with self._guard():
            rows = self._query(self._sql("SELECT case_id FROM cases WHERE substr(case_id, 1, ?) = ? "
                                         f"ORDER BY case_id LIMIT {int(limit)}"), (len(prefix), prefix))
        return [str(r[0]) for r in rows]

    def list_open_tasks(self, *, case_id: str | None = None, lane: str | None = None, element_id: str | None = None,
                        stage: str | None = None, process_id: str | None = None,
                        kind: OpenKind | None = OpenKind.TASK, due_before: datetime | None = None) -> list[OpenTask]:
        where: list[str] = []
        args: list[object] = []
        for column, value in (("t.case_id", case_id), ("t.lane", lane), ("t.element_id", element_id),
                              ("t.stage", stage), ("t.process_id", process_id), ("t.kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if due_before is not None:
            where.append("(t.due_at IS NULL OR t.due_at <= ?)")
            args.append(self._ts(due_before))
        sql = ("SELECT t.case_id, t.task_id, t.element_id, t.name, t.process_id, t.definition_version, t.lane, "
               "t.stage, t.since, c.participant, t.kind, t.due_at "
               "FROM open_tasks t JOIN cases c ON c.case_id = t.case_id")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY coalesce(t.due_at, t.since), t.case_id, t.element_id"
        with self._guard():
            rows = self._query(self._sql(sql), args)
        with self._decoding():
            return [OpenTask(case_id=r[0], task_id=r[1], element_id=r[2], name=r[3], process_id=r[4],
                             definition_version=r[5], lane=r[6], stage=r[7], since=self._dt(r[8]), participant=r[9],
                             kind=_OPEN_KINDS[r[10]], due_at=self._dt_or_none(r[11])) for r in rows]

    def read_journal(self, case_id: str | None = None, *, after_seq: int = 0,
                     limit: int | None = None) -> list[JournalEntry]:
        sql = f"SELECT seq, {', '.join(_JOURNAL_COLUMNS)} FROM journal WHERE seq > ?"
        args: list[object] = [after_seq]
        if case_id is not None:
            sql += " AND case_id = ?"
            args.append(case_id)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._guard():
            rows = self._query(self._sql(sql), args)
        return self._entries(rows)

    @contextmanager
    def _decoding(self) -> Iterator[None]:
        """Rows that do not decode (a damaged page, a hand edit) are a StoreError, never shown as if good."""
        try:
            yield
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise StoreError(f"{self._label}: a stored row cannot be read ({type(exc).__name__}: "
                             f"{' '.join(str(exc).split())[:200]}); the store may be damaged: run 'sedflow store "
                             "check'") from exc

    def _entries(self, rows: Iterable[Row]) -> list[JournalEntry]:
        with self._decoding():
            return self._journal_entries(rows)

    def _journal_entries(self, rows: Iterable[Row]) -> list[JournalEntry]:
        return [JournalEntry(seq=r[0], case_id=r[1], at=self._dt(r[2]), kind=_JOURNAL_KINDS[r[3]], process_id=r[4],
                             definition_version=r[5], element_id=r[6], element_name=r[7], element_type=r[8],
                             lane=r[9], actor=r[10], task_id=r[11], data=self._unjson(r[12]), outcome=r[13],
                             end_reason=r[14], duration=r[15]) for r in rows]

    # ---------------------------------------------------------------------------- event feed

    #: The feed query's WHERE fragment: rows after the cursor (one "?" per ``FEED_AFTER_ARGS`` entry, each
    #: the cursor) that no later commit can sort before. Default: seq order is commit order (one writer
    #: at a time, as in SQLite).
    FEED_AFTER = "seq > ?"
    FEED_AFTER_ARGS = 1
    #: The feed order.
    FEED_ORDER = "seq"
    #: Appended to a read that locks the row it reads for the rest of the transaction.
    LOCK_ROW = ""

    def _feed_key(self, cur: Cursor, cursor: int) -> tuple[int, ...]:
        """Where ``cursor`` is in feed order, comparable between cursors (default: the seq itself)."""
        return (cursor,)

    def read_events(self, after: int = 0, *, kinds: Collection[str] | None = None,
                    limit: int | None = None) -> list[JournalEntry]:
        sql = f"SELECT seq, {', '.join(_JOURNAL_COLUMNS)} FROM journal WHERE {self.FEED_AFTER}"
        args: list[object] = [int(after)] * self.FEED_AFTER_ARGS
        if kinds is not None:
            if not kinds:
                return []
            sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
            args.extend(str(k) for k in kinds)
        sql += f" ORDER BY {self.FEED_ORDER}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._guard():
            return self._entries(self._query(self._sql(sql), args))

    def consumer_cursor(self, name: str) -> int:
        with self._guard():
            rows = self._query(self._sql("SELECT cursor_seq FROM feed_consumers WHERE name = ?"), (name,))
        return int(rows[0][0]) if rows else 0

    def ack_consumer(self, name: str, cursor: int, at: datetime) -> int:
        with self._guard(), self._write() as cur:
            cur.execute(self._sql("INSERT INTO feed_consumers (name, cursor_seq, updated_at) VALUES (?, 0, ?) "
                                  "ON CONFLICT (name) DO NOTHING"), (name, self._ts(at)))
            cur.execute(self._sql(f"SELECT cursor_seq FROM feed_consumers WHERE name = ?{self.LOCK_ROW}"), (name,))
            stored = int(cur.fetchall()[0][0])
            if self._feed_key(cur, int(cursor)) <= self._feed_key(cur, stored):
                return stored
            cur.execute(self._sql("UPDATE feed_consumers SET cursor_seq = ?, updated_at = ? WHERE name = ?"),
                        (int(cursor), self._ts(at), name))
            return int(cursor)

    def count_due(self, now: datetime) -> int:
        with self._guard():
            rows = self._query(self._sql(f"SELECT count(*) FROM cases WHERE status = 'active' AND next_due_at <= ? "
                                         f"AND {self.RETRYABLE}"), (self._ts(now), self._ts(now)))
        return int(rows[0][0])

    def signal_deliveries(self, seq: int | None = None, *, limit: int | None = None) -> list[SignalDelivery]:
        sql = ("SELECT s.seq, s.name, s.source, s.participant, s.actor, s.data, s.thrown_at, d.kind, d.receiver, "
               "d.state, d.case_id, d.reason FROM signal_deliveries d JOIN signals s ON s.seq = d.signal_seq WHERE ")
        sql += "d.signal_seq = ?" if seq is not None else "d.state = 'pending'"
        sql += " ORDER BY d.signal_seq, d.kind, d.receiver"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._guard():
            rows = self._query(self._sql(sql), () if seq is None else (seq,))
        return [SignalDelivery(Signal(seq=r[0], name=r[1], source=r[2], participant=r[3], actor=r[4],
                                      data=self._unjson(r[5]), at=self._dt(r[6])),
                               DeliveryKind(r[7]), r[8], DeliveryState(r[9]), r[10], r[11]) for r in rows]

    def count_incidents(self) -> int:
        with self._guard():
            rows = self._query("SELECT count(*) FROM cases WHERE incident_since IS NOT NULL AND status = 'active'")
        return int(rows[0][0])

    def definition_sources(self, version: str) -> dict[str, bytes] | None:
        with self._guard():
            rows = self._query(self._sql("SELECT sources FROM definitions WHERE version = ?"), (version,))
        if not rows:
            return None
        return {name: text.encode("utf-8") for name, text in self._unjson(rows[0][0]).items()}

    def deployments(self, process_id: str | None = None) -> list[DeploymentRecord]:
        sql = "SELECT seq, process_id, version, deployed_at, actor, changes FROM deployments"
        args: tuple[str, ...] = ()
        if process_id is not None:
            sql += " WHERE process_id = ?"
            args = (process_id,)
        with self._guard():
            rows = self._query(self._sql(sql + " ORDER BY seq"), args)
        return [DeploymentRecord(r[0], r[1], r[2], self._dt(r[3]), r[4], self._unjson(r[5])) for r in rows]

    def deployed_version(self, process_id: str) -> str | None:
        with self._guard():
            rows = self._query(self._sql("SELECT version FROM deployments WHERE process_id = ? ORDER BY seq DESC "
                                         "LIMIT 1"), (process_id,))
        return str(rows[0][0]) if rows else None

    def unpurged_ended_cases(self) -> list[CaseRecord]:
        sql = (f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE status NOT IN ('active', 'suspended') "
               "AND purged_at IS NULL ORDER BY ended_at, case_id")
        with self._guard():
            return [self._case(row) for row in self._query(sql)]

    def erasures(self) -> list[ErasureRecord]:
        with self._guard():
            rows = self._query("SELECT seq, kind, at, actor, reason, cases FROM erasures ORDER BY seq")
        return [ErasureRecord(r[0], r[1], self._dt(r[2]), r[3], r[4], r[5]) for r in rows]

    # ---------------------------------------------------------------------------- checks

    #: sedflow's own consistency checks, one query each: the case ids it finds, and what is wrong with them.
    CONSISTENCY = (
        ("SELECT c.case_id FROM cases c WHERE (SELECT count(*) FROM journal j WHERE j.case_id = c.case_id "
         "AND j.kind = 'case_started') <> 1", "has not exactly one case_started row"),
        ("SELECT c.case_id FROM cases c WHERE (SELECT count(*) FROM journal j WHERE j.case_id = c.case_id "
         "AND j.kind = 'case_ended') <> (CASE WHEN c.status IN ('active', 'suspended') THEN 0 ELSE 1 END)",
         "its status disagrees with its case_ended rows"),
        ("SELECT t.case_id FROM open_tasks t WHERE t.kind = 'task' AND NOT EXISTS (SELECT 1 FROM journal j "
         "WHERE j.case_id = t.case_id AND j.task_id = t.task_id AND j.kind = 'task_ready')",
         "has an open task the journal never made ready"),
        ("SELECT t.case_id FROM open_tasks t WHERE t.kind = 'task' AND EXISTS (SELECT 1 FROM journal j "
         "WHERE j.case_id = t.case_id AND j.task_id = t.task_id AND j.kind IN ('task_completed', 'task_cancelled'))",
         "has an open task the journal completed or cancelled"),
        ("SELECT t.case_id FROM open_tasks t JOIN cases c ON c.case_id = t.case_id "
         "WHERE c.status NOT IN ('active', 'suspended')", "has ended but still has open tasks or timers"),
    )

    def integrity_problems(self) -> list[str]:
        """The database's own check of its pages (none where the backend has no such check)."""
        return []

    def consistency_problems(self) -> list[str]:
        """sedflow's checks (:attr:`CONSISTENCY`), then that every case, open task and journal row decodes."""
        problems = []
        for sql, why in self.CONSISTENCY:
            problems += [f"case '{row[0]}' {why}" for row in self.query(sql)]
        for read in (self.list_cases, self.list_open_tasks, self.read_journal):
            try:
                read()
            except StoreError as exc:
                problems.append(str(exc))
        return problems
    # ---------------------------------------------------------------------------- external tasks

    #: The WHERE fragment of a fetch (after the topics): a task of an active case, not locked (or its lock
    #: lapsed), with retries left, due to be retried; each "?" is the fetch's now.
    FETCHABLE = ("c.status = 'active' AND (e.lock_until IS NULL OR e.lock_until <= ?) "
                 "AND (e.retries IS NULL OR e.retries > 0) AND (e.retry_at IS NULL OR e.retry_at <= ?)")

    def get_external_task(self, task_id: str) -> ExternalTaskRecord:
        with self._guard():
            rows = self._query(self._sql(f"SELECT {', '.join(EXTERNAL_COLUMNS)} FROM external_tasks WHERE id = ?"),
                               (task_id,))
        if not rows:
            raise UnknownExternalTaskError(f"unknown external task '{task_id}' (completed, or its case moved on)")
        return self._external(rows[0])

    def list_external_tasks(self, *, topic: str | None = None,
                            case_id: str | None = None) -> list[ExternalTaskRecord]:
        where, args = [], []
        for column, value in (("topic", topic), ("case_id", case_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = f"SELECT {', '.join(EXTERNAL_COLUMNS)} FROM external_tasks"
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        with self._guard():
            return [self._external(r) for r in self._query(self._sql(sql + " ORDER BY created_at, id"), args)]

    def _external(self, r: Row) -> ExternalTaskRecord:
        return ExternalTaskRecord(id=r[0], case_id=r[1], task_id=r[2], element_id=r[3], process_id=r[4], topic=r[5],
                                  created_at=self._dt(r[6]), lock_owner=r[7], lock_until=self._dt_or_none(r[8]),
                                  retries=r[9], error_message=r[10], error_details=r[11],
                                  retry_at=self._dt_or_none(r[12]))

    # ---------------------------------------------------------------------------- mapping

    def _incident_row(self, i: Incident | None) -> tuple[object, ...]:
        """The incident columns of a case row (``CASE_COLUMNS`` from incident_process to incident_kind)."""
        return (None,) * 5 if i is None else (i.process_id, i.element_id, i.reason, self._ts(i.since), i.kind)

    def _case_row(self, c: CaseRecord) -> tuple[object, ...]:
        return (c.case_id, c.participant, c.process_id, c.definition_version, c.status, c.revision,
                self._json(c.stages), self._json(c.data), self._json(c.milestones), c.outcome, c.end_reason,
                self._ts(c.started_at), self._ts(c.updated_at), self._ts(c.ended_at), self._ts(c.next_due_at),
                *self._incident_row(c.incident), c.failures, c.state)

    def _case(self, row: Row) -> CaseRecord:
        with self._decoding():
            return self._case_record(row)

    def _case_record(self, row: Row) -> CaseRecord:
        return CaseRecord(
            case_id=row[0], participant=row[1], process_id=row[2], definition_version=row[3],
            status=_STATUSES[row[4]],
            revision=row[5], stages=self._unjson(row[6]), data=self._unjson(row[7]), milestones=self._unjson(row[8]),
            outcome=row[9], end_reason=row[10], started_at=self._dt(row[11]), updated_at=self._dt(row[12]),
            ended_at=self._dt_or_none(row[13]), next_due_at=self._dt_or_none(row[14]),
            incident=None if row[18] is None else Incident(
                process_id=row[15], element_id=row[16], reason=row[17], since=self._dt(row[18]),
                kind=_INCIDENT_KINDS.get(row[19] or "", IncidentKind.STALLED)),
            failures=row[20], state=bytes(row[21]) if len(row) > 21 else None)


class _SQLTransaction(Transaction):
    """A transaction's writes through the backend's cursor, with the shared SQL."""

    def __init__(self, store: SQLStore, cursor: Cursor):
        self._store = store
        self._cur = cursor

    def _exec(self, sql: str, args: Sequence[object] = ()) -> None:
        self._cur.execute(self._store._sql(sql), args)

    def insert_case(self, case: CaseRecord) -> None:
        columns = CASE_COLUMNS + ("state",)
        self._exec(f"INSERT INTO cases ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                   self._store._case_row(case))

    def update_case(self, case: CaseRecord, expected_revision: int) -> None:
        # Writing a case also releases a tick worker's claim on it, and ends a run of failures' backoff.
        assignments = ", ".join(f"{c} = ?" for c in CASE_COLUMNS[1:]) + ", state = ?"
        self._exec(f"UPDATE cases SET {assignments}, claimed_by = NULL, claimed_until = NULL, retry_at = NULL "
                            f"WHERE case_id = ? AND revision = ?",
                            (*self._store._case_row(case)[1:], case.case_id, expected_revision))
        if self._cur.rowcount != 1:
            raise RecordConflictError(
                f"case '{case.case_id}' was changed by someone else (expected revision {expected_revision}); "
                "nothing was written: reload the case and try again")

    def replace_open_tasks(self, case_id: str, tasks: Iterable[OpenTask]) -> None:
        self._exec("DELETE FROM open_tasks WHERE case_id = ?", (case_id,))
        rows = [(t.case_id, t.task_id, t.element_id, t.name, t.process_id, t.definition_version, t.lane, t.stage,
                 self._store._ts(t.since), t.kind, self._store._ts(t.due_at)) for t in tasks]
        if rows:
            self._cur.executemany(self._store._sql(
                "INSERT INTO open_tasks (case_id, task_id, element_id, name, process_id, definition_version, lane, "
                "stage, since, kind, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"), rows)

    def append_journal(self, entries: Iterable[JournalEntry]) -> None:
        s = self._store
        rows = [(e.case_id, s._ts(e.at), e.kind, e.process_id, e.definition_version, e.element_id, e.element_name,
                 e.element_type, e.lane, e.actor, e.task_id, s._json(e.data), e.outcome, e.end_reason, e.duration)
                for e in entries]
        if rows:
            self._cur.executemany(s._sql(f"INSERT INTO journal ({', '.join(_JOURNAL_COLUMNS)}) "
                                         f"VALUES ({', '.join('?' * len(_JOURNAL_COLUMNS))})"), rows)

    def replace_signal_waits(self, case_id: str, names: Iterable[str]) -> None:
        self._exec("DELETE FROM signal_waits WHERE case_id = ?", (case_id,))
        rows = [(case_id, name) for name in sorted(set(names))]
        if rows:
            self._cur.executemany(self._store._sql("INSERT INTO signal_waits (case_id, signal) VALUES (?, ?)"), rows)

    def record_signal(self, signal: Signal, starts: Iterable[str] = ()) -> int:
        s = self._store
        self._exec("INSERT INTO signals (name, source, participant, actor, data, thrown_at) VALUES (?, ?, ?, ?, ?, ?) "
                   "RETURNING seq", (signal.name, signal.source, signal.participant, signal.actor,
                                     s._json(dict(signal.data)), s._ts(signal.at)))
        seq = int(self._cur.fetchall()[0][0])
        self._exec("INSERT INTO signal_deliveries (signal_seq, kind, receiver, state) "
                   "SELECT ?, 'case', w.case_id, 'pending' FROM signal_waits w JOIN cases c ON c.case_id = w.case_id "
                   "WHERE w.signal = ? AND c.status IN ('active', 'suspended') AND w.case_id <> ?",
                   (seq, signal.name, signal.source))
        rows = [(seq, process_id) for process_id in sorted(set(starts))]
        if rows:
            self._cur.executemany(s._sql("INSERT INTO signal_deliveries (signal_seq, kind, receiver, state) "
                                         "VALUES (?, 'start', ?, 'pending')"), rows)
        return seq

    def finish_delivery(self, delivery: SignalDelivery, state: DeliveryState, at: datetime) -> None:
        self._exec("UPDATE signal_deliveries SET state = ?, case_id = ?, reason = ?, done_at = ? "
                   "WHERE signal_seq = ? AND kind = ? AND receiver = ? AND state = 'pending'",
                   (state, delivery.case_id, delivery.reason, self._store._ts(at), delivery.signal.seq, delivery.kind,
                    delivery.receiver))
        if self._cur.rowcount != 1:
            raise RecordConflictError(f"signal {delivery.signal.seq} '{delivery.signal.name}' to {delivery.kind} "
                                      f"'{delivery.receiver}' was delivered by someone else; nothing was written")
    def sync_external_tasks(self, case_id: str, tasks: Iterable[ExternalTaskRecord], *, new: bool = False) -> None:
        # Rows already there are read, not written: a step never waits on the row lock of a worker's report
        # (PostgreSQL), and only rows that come or go are touched.
        s, rows, there = self._store, list(tasks), set()
        if not new:
            self._exec("SELECT task_id FROM external_tasks WHERE case_id = ?", (case_id,))
            there = {str(r[0]) for r in self._cur.fetchall()}
            gone = there - {t.task_id for t in rows}
            if gone:
                marks = ", ".join("?" * len(gone))
                self._exec(f"DELETE FROM external_tasks WHERE case_id = ? AND task_id IN ({marks})",
                           (case_id, *sorted(gone)))
        rows = [t for t in rows if t.task_id not in there]
        if rows:
            self._cur.executemany(s._sql(
                "INSERT INTO external_tasks (id, case_id, task_id, element_id, process_id, topic, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, task_id) DO NOTHING"),
                [(t.id, t.case_id, t.task_id, t.element_id, t.process_id, t.topic, s._ts(t.created_at)) for t in rows])

    def hold_external_task(self, task_id: str, worker: str, now: datetime) -> None:
        # An update of nothing takes the row's lock (PostgreSQL) until the transaction ends: a fetch skips it.
        self._exec("UPDATE external_tasks SET lock_owner = lock_owner WHERE id = ? AND lock_owner = ? "
                   "AND lock_until > ?", (task_id, worker, self._store._ts(now)))
        self._held(task_id, worker)

    def retry_external_tasks(self, case_id: str) -> None:
        self._exec("UPDATE external_tasks SET retries = 1, retry_at = NULL WHERE case_id = ? AND retries = 0",
                   (case_id,))

    def fail_external_task(self, task_id: str, worker: str, now: datetime, *, error: str, details: str | None,
                           retries: int, retry_at: datetime) -> None:
        s = self._store
        self._exec("UPDATE external_tasks SET lock_owner = NULL, lock_until = NULL, retries = ?, error_message = ?, "
                   "error_details = ?, retry_at = ? WHERE id = ? AND lock_owner = ? AND lock_until > ?",
                   (retries, error, details, s._ts(retry_at), task_id, worker, s._ts(now)))
        self._held(task_id, worker)

    def _held(self, task_id: str, worker: str) -> None:
        if self._cur.rowcount != 1:
            raise ExternalTaskLockError(f"worker '{worker}' does not hold the lock of external task '{task_id}' any "
                                        "more (it lapsed, and another worker may have it); nothing was written")

    def save_definition(self, version: str, process_id: str, name: str, sources: Mapping[str, bytes],
                        at: datetime) -> None:
        self._exec("INSERT INTO definitions (version, process_id, name, sources, deployed_at) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (version) DO NOTHING",
                   (version, process_id, name, self._store._json({k: v.decode("utf-8") for k, v in sources.items()}),
                    self._store._ts(at)))

    def record_failure(self, case_id: str, expected_revision: int, *, failures: int, retry_at: datetime | None,
                       incident: Incident | None) -> None:
        s = self._store
        columns = CASE_COLUMNS[CASE_COLUMNS.index("incident_process"):]
        assignments = ", ".join(f"{c} = ?" for c in columns)
        values = (*s._incident_row(incident), failures)
        revision = expected_revision + (incident is not None)
        self._exec(f"UPDATE cases SET {assignments}, retry_at = ?, revision = ?, claimed_by = NULL, "
                   "claimed_until = NULL WHERE case_id = ? AND revision = ?",
                   (*values, s._ts(retry_at), revision, case_id, expected_revision))
        if self._cur.rowcount != 1:
            raise RecordConflictError(f"case '{case_id}' was changed by someone else (expected revision "
                                      f"{expected_revision}); its failure was not recorded")

    def anonymise_case(self, case: CaseRecord, new_id: str, data: Mapping[str, Any], at: datetime) -> None:
        # The new row first, then everything that names the case moves to it, then the old row goes: the
        # foreign keys hold at every statement. Ended cases have no open tasks, waits or external tasks; any
        # left over are deleted rather than moved.
        s, old = self._store, case.case_id
        others = [c for c in CASE_COLUMNS if c not in ("case_id", "participant", "data", "incident_reason")]
        self._exec(f"INSERT INTO cases (case_id, participant, data, incident_reason, state, purged_at, "
                   f"{', '.join(others)}) SELECT ?, ?, ?, NULL, ?, ?, {', '.join(others)} FROM cases "
                   "WHERE case_id = ? AND revision = ?",
                   (new_id, f"anon-{new_id}", s._json(dict(data)), b"", s._ts(at), old, case.revision))
        if self._cur.rowcount != 1:
            raise RecordConflictError(f"case '{old}' was changed by someone else (expected revision "
                                      f"{case.revision}); nothing was written")
        self._exec("UPDATE journal SET case_id = ?, data = ?, actor = CASE WHEN actor = ? THEN NULL ELSE actor END "
                   "WHERE case_id = ?", (new_id, s._json({}), case.participant, old))
        self._exec("UPDATE signals SET participant = NULL WHERE participant = ? AND seq IN "
                   "(SELECT signal_seq FROM signal_deliveries WHERE case_id = ?)", (case.participant, old))
        self._exec("UPDATE signals SET source = ?, participant = NULL, data = ? WHERE source = ?",
                   (new_id, s._json({}), old))
        self._exec("UPDATE signal_deliveries SET receiver = ? WHERE kind = 'case' AND receiver = ?", (new_id, old))
        self._exec("UPDATE signal_deliveries SET case_id = ?, reason = NULL WHERE case_id = ?", (new_id, old))
        for table in ("open_tasks", "signal_waits", "external_tasks"):
            self._exec(f"DELETE FROM {table} WHERE case_id = ?", (old,))
        self._exec("DELETE FROM cases WHERE case_id = ?", (old,))

    def record_erasure(self, kind: str, at: datetime, actor: str | None, reason: str, cases: int) -> None:
        self._exec("INSERT INTO erasures (kind, at, actor, reason, cases) VALUES (?, ?, ?, ?, ?)",
                   (kind, self._store._ts(at), actor, reason, cases))

    def record_deployment(self, process_id: str, version: str, at: datetime, actor: str | None,
                          changes: Mapping[str, Any]) -> None:
        self._exec("INSERT INTO deployments (process_id, version, deployed_at, actor, changes) VALUES (?, ?, ?, ?, ?)",
                   (process_id, version, self._store._ts(at), actor, self._store._json(dict(changes))))
