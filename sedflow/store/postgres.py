"""The PostgreSQL store (psycopg 3), for several users and workers on one store.

URL: ``postgresql://user@host:port/database[?schema=name]``; ``schema`` (default ``public``) keeps
several sedflow stores, or test runs, apart in one database. Reads run in autocommit; each write is one
transaction at READ COMMITTED, where the revision check in ``update_case`` re-reads a row a concurrent
writer has just committed and so turns a lost update into RecordConflictError. Tick workers claim due
cases with ``FOR UPDATE SKIP LOCKED``, so they never wait on, or take, each other's cases.

A long-running worker outlives its connection: when the server drops it (a restart, an administrator's
``pg_terminate_backend``, a network cut) the store connects again, waiting 0.05 s, then twice as long
each time up to 2 s, for at most :attr:`PostgresStore.RECONNECT_SECONDS`. A read is then asked again; a
write transaction lost before its commit was sent, or at its ``BEGIN``, is begun again by whoever owns its
writes (``ConnectionLostError(in_commit=False)``: nothing of it was written); one lost during the commit
raises ``ConnectionLostError(in_commit=True)``, whose outcome the caller decides by reading back what it
wrote (``Engine`` compares the case's revision and state).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConnectionLostError, RecordConflictError, StoreError
from .persistence import ExternalTaskRecord, Row
from .sql import EXTERNAL_COLUMNS, Cursor, ErrorRule, SQLStore

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import sql as pg_sql
    from psycopg.types.json import Jsonb
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise StoreError("the PostgreSQL store needs psycopg: pip install 'sedflow[postgresql]'") from exc

_V1 = [
    "CREATE TABLE sedflow_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE definitions (
        version TEXT PRIMARY KEY, process_id TEXT NOT NULL, name TEXT NOT NULL,
        sources JSONB NOT NULL, deployed_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE cases (
        case_id TEXT PRIMARY KEY, participant TEXT NOT NULL, process_id TEXT NOT NULL,
        definition_version TEXT NOT NULL REFERENCES definitions(version), status TEXT NOT NULL,
        revision INTEGER NOT NULL, stages JSONB NOT NULL, data JSONB NOT NULL, milestones JSONB NOT NULL,
        outcome TEXT, end_reason TEXT, started_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
        ended_at TIMESTAMPTZ, next_due_at TIMESTAMPTZ, state BYTEA NOT NULL)""",
    "CREATE INDEX cases_status ON cases(status, process_id)",
    "CREATE INDEX cases_participant ON cases(participant)",
    "CREATE INDEX cases_due ON cases(next_due_at) WHERE status = 'active'",
    """CREATE TABLE open_tasks (
        case_id TEXT NOT NULL REFERENCES cases(case_id), task_id TEXT NOT NULL, element_id TEXT NOT NULL,
        name TEXT NOT NULL, process_id TEXT NOT NULL, definition_version TEXT NOT NULL, lane TEXT, stage TEXT,
        since TIMESTAMPTZ NOT NULL, kind TEXT NOT NULL, due_at TIMESTAMPTZ,
        PRIMARY KEY (case_id, task_id))""",
    "CREATE INDEX open_tasks_lane ON open_tasks(kind, lane, stage)",
    """CREATE TABLE journal (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(case_id),
        at TIMESTAMPTZ NOT NULL, kind TEXT NOT NULL, process_id TEXT NOT NULL, definition_version TEXT NOT NULL,
        element_id TEXT, element_name TEXT, element_type TEXT, lane TEXT, actor TEXT, task_id TEXT,
        data JSONB NOT NULL, outcome TEXT, end_reason TEXT)""",
    "CREATE INDEX journal_case ON journal(case_id, seq)",
    "CREATE INDEX journal_kind ON journal(kind, element_id)",
]
_V2 = ["ALTER TABLE cases ADD COLUMN claimed_by TEXT, ADD COLUMN claimed_until TIMESTAMPTZ"]
_V3 = ["ALTER TABLE journal ADD COLUMN duration DOUBLE PRECISION", "DROP INDEX journal_kind",
       "CREATE INDEX journal_kind_case ON journal(kind, element_id, case_id)", "DROP INDEX cases_due",
       "CREATE INDEX cases_due ON cases(next_due_at, case_id) WHERE status = 'active'"]

_V4 = ["""CREATE TABLE deployments (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, process_id TEXT NOT NULL,
        version TEXT NOT NULL REFERENCES definitions(version), deployed_at TIMESTAMPTZ NOT NULL, actor TEXT,
        changes JSONB NOT NULL)""",
       "CREATE INDEX deployments_process ON deployments(process_id, seq)",
       """INSERT INTO deployments (process_id, version, deployed_at, changes)
        SELECT process_id, version, deployed_at, '{}'::jsonb FROM definitions ORDER BY deployed_at, version"""]


def split_url(url: str) -> tuple[str, str]:
    """The connection URL without sedflow's ``schema`` parameter, and that schema."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", "public")
    return urlunsplit(parts._replace(scheme="postgresql", query=urlencode(query))), schema

# v5: reports count per (process, element) (see sqlite.py): the covering kind index leads with the process.
_V5 = ["DROP INDEX journal_kind_case",
       "CREATE INDEX journal_kind_element ON journal(kind, process_id, element_id, case_id)"]

# v6: a case in incident (see persistence.py and sqlite.py).
_V6 = ["ALTER TABLE cases ADD COLUMN incident_process TEXT, ADD COLUMN incident_element TEXT, "
       "ADD COLUMN incident_reason TEXT, ADD COLUMN incident_since TIMESTAMPTZ",
       "CREATE INDEX cases_incident ON cases(incident_since, case_id) WHERE incident_since IS NOT NULL"]

# v7: the event feed (see ``sedflow.runtime.feed``). Every journal row carries the id of the transaction that
# wrote it; the rows already there count as written long ago (xid 1, before every real transaction). The
# feed reads in (writer_xid, seq) order, only rows of transactions older than every running one.
_V7 = ["ALTER TABLE journal ADD COLUMN writer_xid xid8 NOT NULL DEFAULT '1'::xid8",
       "ALTER TABLE journal ALTER COLUMN writer_xid SET DEFAULT pg_current_xact_id()",
       "CREATE INDEX journal_feed ON journal(writer_xid, seq)",
       "CREATE TABLE feed_consumers (name TEXT PRIMARY KEY, cursor_seq BIGINT NOT NULL, "
       "updated_at TIMESTAMPTZ NOT NULL)"]
# v8: incident kinds and a failing case's backoff (see persistence.py and sqlite.py).
_V8 = ["ALTER TABLE cases ADD COLUMN incident_kind TEXT, ADD COLUMN failures INTEGER NOT NULL DEFAULT 0, "
       "ADD COLUMN retry_at TIMESTAMPTZ",
       "UPDATE cases SET incident_kind = 'stalled' WHERE incident_since IS NOT NULL"]

# v9: signals across cases (see persistence.py and sqlite.py).
_V9 = ["CREATE TABLE signal_waits (case_id TEXT NOT NULL REFERENCES cases(case_id), signal TEXT NOT NULL, "
       "PRIMARY KEY (signal, case_id))",
       "CREATE INDEX signal_waits_case ON signal_waits(case_id)",
       "CREATE TABLE signals (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL, "
       "source TEXT NOT NULL, participant TEXT, actor TEXT, data JSONB NOT NULL, thrown_at TIMESTAMPTZ NOT NULL)",
       "CREATE TABLE signal_deliveries (signal_seq BIGINT NOT NULL REFERENCES signals(seq), kind TEXT NOT NULL, "
       "receiver TEXT NOT NULL, state TEXT NOT NULL, case_id TEXT, reason TEXT, done_at TIMESTAMPTZ, "
       "PRIMARY KEY (signal_seq, kind, receiver))",
       "CREATE INDEX signal_deliveries_pending ON signal_deliveries(signal_seq) WHERE state = 'pending'"]

# v10: external tasks (see persistence.py and sqlite.py).
_V10 = [
    """CREATE TABLE external_tasks (
        id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(case_id), task_id TEXT NOT NULL,
        element_id TEXT NOT NULL, process_id TEXT NOT NULL, topic TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL,
        lock_owner TEXT, lock_until TIMESTAMPTZ, retries INTEGER, error_message TEXT, error_details TEXT,
        retry_at TIMESTAMPTZ, UNIQUE (case_id, task_id))""",
    "CREATE INDEX external_tasks_fetch ON external_tasks(topic, created_at, id)"]

# v11: reserved for the schema change being made beside this one (task owners); the merge fills it in.
_V11: list[str] = []

# v12: retention and erasure (see persistence.py): when a case's personal data was purged, and the record of
# each purge or erasure (never what it removed).
_V12 = ["ALTER TABLE cases ADD COLUMN purged_at TIMESTAMPTZ",
        "CREATE TABLE erasures (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind TEXT NOT NULL, "
        "at TIMESTAMPTZ NOT NULL, actor TEXT, reason TEXT NOT NULL, cases INTEGER NOT NULL)"]

#: The transaction of the row at or before cursor ``?``: where the cursor is in feed order.
_CURSOR_XID = "(SELECT j.writer_xid FROM journal j WHERE j.seq <= ? ORDER BY j.seq DESC LIMIT 1)"


class PostgresStore(SQLStore):
    """A store in schema ``schema`` of a PostgreSQL database (see the module)."""

    MIGRATIONS = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11, _V12)
    # Only rows of transactions below the snapshot's xmin (each has committed or aborted: nothing can still
    # appear among them), after the cursor's (writer_xid, seq).
    FEED_AFTER = ("writer_xid < pg_snapshot_xmin(pg_current_snapshot()) "
                  f"AND (writer_xid, seq) > (COALESCE({_CURSOR_XID}, '0'::xid8), ?)")
    FEED_AFTER_ARGS = 2
    FEED_ORDER = "writer_xid, seq"
    LOCK_ROW = " FOR UPDATE"
    STAGE_FILTER = "jsonb_exists(c.stages, ?)"
    PARAM = "%s"
    ERRORS = (ErrorRule(pg_errors.UniqueViolation, RecordConflictError),
              ErrorRule(pg_errors.SerializationFailure, RecordConflictError),
              ErrorRule(pg_errors.DeadlockDetected, RecordConflictError),
              ErrorRule(psycopg.Error, StoreError))
    JSON_TEXT = "({column} ->> '{key}')"
    DATE_DAYS_BETWEEN = "((({end})::date - ({start})::date)::float)"
    DAY_NUMBER = "(extract(epoch FROM {column}) / 86400.0)"
    TS_TEXT = "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    MONTH = "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"

    #: How long a lost connection is tried again before the store gives up (seconds).
    RECONNECT_SECONDS = 30.0

    def __init__(self, url: str, *, create: bool = False, migrate: bool = False):
        #: How many times the connection was made again after the server dropped it.
        self.reconnects = 0
        self.url = url
        self._conninfo, self.schema = split_url(url)
        parts = urlsplit(url)
        self._label = f"PostgreSQL store {urlunsplit(parts._replace(netloc=parts.netloc.rsplit('@', 1)[-1]))}"
        self._open(create=create, migrate=migrate)

    def _connect(self, *, create: bool) -> None:
        self._conn = psycopg.connect(self._conninfo, autocommit=True)
        schema = pg_sql.Identifier(self.schema)
        if create:
            self._conn.execute(pg_sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        self._conn.execute(pg_sql.SQL("SET search_path TO {}").format(schema))

    # ---------------------------------------------------------------------------- dialect

    def _dt(self, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def _json(self, value: Any) -> Jsonb:
        return Jsonb(value)

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        for _ in range(2):  # a read is asked again on a new connection
            try:
                return self._conn.execute(sql, args).fetchall()
            except psycopg.OperationalError:
                if not self._lost():
                    raise
            self._reconnect()
        return self._conn.execute(sql, args).fetchall()

    def _lost(self) -> bool:
        return self._conn.closed or self._conn.broken

    def _reconnect(self) -> None:
        """Connect again after the server dropped the connection, with backoff (see the module)."""
        deadline, delay = time.monotonic() + self.RECONNECT_SECONDS, 0.05
        while True:
            try:
                self._conn.close()
                self._connect(create=False)
                self.reconnects += 1
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() + delay > deadline:
                    raise StoreError(f"{self._label}: the connection was lost and could not be made again in "
                                     f"{self.RECONNECT_SECONDS:g} s: {' '.join(str(exc).split())}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _begin(self) -> None:
        """BEGIN, on a new connection if the old one is (or turns out to be) lost: nothing was sent yet."""
        if self._lost():
            self._reconnect()
        try:
            self._conn.execute("BEGIN")
        except psycopg.OperationalError:
            if not self._lost():
                raise
            self._reconnect()
            self._conn.execute("BEGIN")

    @contextmanager
    def _write(self) -> Iterator[psycopg.Cursor[Row]]:
        self._begin()
        try:
            with self._conn.cursor() as cur:
                yield cur
        except BaseException as exc:
            if not self._lost():
                try:
                    self._conn.execute("ROLLBACK")
                except psycopg.Error:  # the server went in the middle of a batch (psycopg's pipeline): unusable
                    self._conn.close()
            if self._lost() and isinstance(exc, psycopg.Error):
                raise ConnectionLostError(f"{self._label}: the connection was lost before the commit; nothing was "
                                          f"written ({' '.join(str(exc).split())})", in_commit=False) from exc
            raise
        try:
            self._conn.execute("COMMIT")
        except psycopg.OperationalError as exc:
            if not self._lost():
                raise
            raise ConnectionLostError(f"{self._label}: the connection was lost during the commit, which may or may "
                                      f"not have been made ({' '.join(str(exc).split())})", in_commit=True) from exc

    def _meta_table_exists(self) -> bool:
        return self._query("SELECT to_regclass('sedflow_meta')")[0][0] is not None

    def _has_other_tables(self) -> bool:
        return bool(self._query(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() LIMIT 1"))

    def _feed_key(self, cur: Cursor, cursor: int) -> tuple[int, ...]:
        cur.execute(self._sql(f"SELECT COALESCE({_CURSOR_XID}, '0'::xid8)::text"), (cursor,))
        return (int(cur.fetchall()[0][0]), cursor)

    def claim_due(self, now: datetime, worker: str, limit: int, lease: timedelta) -> list[str]:
        try:
            return self._claim(now, worker, limit, lease)
        except ConnectionLostError:  # claimed again (a claim lost in its commit holds its cases for the lease)
            return self._claim(now, worker, limit, lease)

    def _claim(self, now: datetime, worker: str, limit: int, lease: timedelta) -> list[str]:
        with self._guard(), self._write() as cur:
            cur.execute(
                "UPDATE cases SET claimed_by = %s, claimed_until = %s WHERE case_id IN ("
                " SELECT case_id FROM cases WHERE status = 'active' AND next_due_at <= %s"
                f" AND (claimed_until IS NULL OR claimed_until <= %s) AND {self._sql(self.RETRYABLE)}"
                " ORDER BY next_due_at, case_id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING case_id",
                (worker, now + lease, now, now, now, limit))
            return [str(row[0]) for row in cur.fetchall()]

    def lock_external_tasks(self, topics: Collection[str], worker: str, now: datetime, limit: int,
                            lease: timedelta) -> list[ExternalTaskRecord]:
        # SKIP LOCKED: a task another worker is locking (or a step is completing) is left to it.
        with self._guard(), self._write() as cur:
            cur.execute(
                f"UPDATE external_tasks SET lock_owner = %s, lock_until = %s WHERE id IN ("
                f" SELECT e.id FROM external_tasks e JOIN cases c ON c.case_id = e.case_id"
                f" WHERE e.topic = ANY(%s) AND {self._sql(self.FETCHABLE)}"
                f" ORDER BY e.created_at, e.id LIMIT %s FOR UPDATE OF e SKIP LOCKED)"
                f" RETURNING {', '.join(EXTERNAL_COLUMNS)}", (worker, now + lease, list(topics), now, now, limit))
            rows = cur.fetchall()
        return sorted((self._external(row) for row in rows), key=lambda t: (t.created_at, t.id))

    def close(self) -> None:
        self._conn.close()
