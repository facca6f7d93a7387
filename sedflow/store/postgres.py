"""The PostgreSQL store (psycopg 3), for several users and workers on one store.

URL: ``postgresql://user@host:port/database[?schema=name]``; ``schema`` (default ``public``) keeps
several sedflow stores, or test runs, apart in one database. Reads run in autocommit; each write is one
transaction at READ COMMITTED, where the revision check in ``update_case`` re-reads a row a concurrent
writer has just committed and so turns a lost update into RecordConflictError. Tick workers claim due
cases with ``FOR UPDATE SKIP LOCKED``, so they never wait on, or take, each other's cases.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import RecordConflictError, StoreError
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

# v8: external tasks (see persistence.py and sqlite.py).
_V8_EXTERNAL_TASKS = [
    """CREATE TABLE external_tasks (
        id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(case_id), task_id TEXT NOT NULL,
        element_id TEXT NOT NULL, process_id TEXT NOT NULL, topic TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL,
        lock_owner TEXT, lock_until TIMESTAMPTZ, retries INTEGER, error_message TEXT, error_details TEXT,
        retry_at TIMESTAMPTZ, UNIQUE (case_id, task_id))""",
    "CREATE INDEX external_tasks_fetch ON external_tasks(topic, created_at, id)"]

#: The transaction of the row at or before cursor ``?``: where the cursor is in feed order.
_CURSOR_XID = "(SELECT j.writer_xid FROM journal j WHERE j.seq <= ? ORDER BY j.seq DESC LIMIT 1)"


class PostgresStore(SQLStore):
    """A store in schema ``schema`` of a PostgreSQL database (see the module)."""

    MIGRATIONS = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8_EXTERNAL_TASKS)
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

    def __init__(self, url: str, *, create: bool = False, migrate: bool = False):
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
        return self._conn.execute(sql, args).fetchall()

    @contextmanager
    def _write(self) -> Iterator[psycopg.Cursor[Row]]:
        with self._conn.transaction(), self._conn.cursor() as cur:
            yield cur

    def _meta_table_exists(self) -> bool:
        return self._query("SELECT to_regclass('sedflow_meta')")[0][0] is not None

    def _has_other_tables(self) -> bool:
        return bool(self._query(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() LIMIT 1"))

    def _feed_key(self, cur: Cursor, cursor: int) -> tuple[int, ...]:
        cur.execute(self._sql(f"SELECT COALESCE({_CURSOR_XID}, '0'::xid8)::text"), (cursor,))
        return (int(cur.fetchall()[0][0]), cursor)

    def claim_due(self, now: datetime, worker: str, limit: int, lease: timedelta) -> list[str]:
        with self._guard(), self._write() as cur:
            cur.execute(
                "UPDATE cases SET claimed_by = %s, claimed_until = %s WHERE case_id IN ("
                " SELECT case_id FROM cases WHERE status = 'active' AND next_due_at <= %s"
                " AND (claimed_until IS NULL OR claimed_until <= %s)"
                " ORDER BY next_due_at, case_id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING case_id",
                (worker, now + lease, now, now, limit))
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
