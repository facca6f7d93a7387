"""The durable event feed: every journal row is an event, read by cursor, once per named consumer.

An event is a :class:`~sedflow.journal.JournalEntry`, written in the same transaction as the step that
caused it, so the feed holds exactly the committed steps. A *cursor* is an opaque integer: the ``seq`` of
the last event read (0: before the first). Pass it back to read on; do not compare cursors as numbers or
do arithmetic on them, since feed order need not be seq order (PostgreSQL, below).

A :class:`Consumer` is a name whose cursor the store keeps (table ``feed_consumers``): ``poll`` returns
the events after the acknowledged cursor, ``ack`` moves it forward (never back) once they are handled.
Events polled but not acknowledged come again on the next poll or after a restart; acknowledged ones
never do. Each consumer's cursor is its own.

Commit order, per backend. The promise is that a row committed later never sorts before a row already
returned, so a reader that walks the feed never skips one.

* SQLite has one writer at a time (``BEGIN IMMEDIATE``) and numbers journal rows under that write lock:
  seq order is commit order, and the feed is read in seq order.
* PostgreSQL numbers rows from an identity sequence when they are inserted, before the transaction
  commits, and transactions commit in any order: a row with seq 5 can become visible after a reader has
  already seen seq 6. Each journal row therefore records the id of the transaction that wrote it
  (``writer_xid``, default ``pg_current_xact_id()``), and the feed is ordered by ``(writer_xid, seq)``,
  returning only rows whose ``writer_xid`` is below ``pg_snapshot_xmin(pg_current_snapshot())`` of the
  reading statement's own snapshot. Every transaction below that xmin has committed or aborted, so the
  set of rows below it is final and all of them are visible to the statement: a row that commits later
  belongs to a transaction at or above xmin and sorts after everything returned. Writers stay fully
  concurrent (no feed lock); the cost is that a long-running transaction holds the feed back (not its
  writers) until it ends. The cursor stays a seq: the position it stands for is that row's
  ``(writer_xid, seq)``, looked up when reading on; ``ack`` compares positions this way too. Rows from
  before schema version 7 count as written by transaction 1 (before all others), in seq order.
"""

from __future__ import annotations

from collections.abc import Collection

from ..clock import Clock
from ..journal import JournalEntry, JournalKind
from ..store import CaseStore


def read_events(store: CaseStore, after: int = 0, kinds: Collection[JournalKind | str] | None = None,
                limit: int | None = None) -> list[JournalEntry]:
    """The events after cursor ``after`` in feed order (only ``kinds``, when given; at most ``limit``)."""
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative: {limit}")
    names = None if kinds is None else sorted({JournalKind(k).value for k in kinds})
    return store.read_events(int(after), kinds=names, limit=limit)


class Consumer:
    """A named reader of the feed whose cursor the store keeps (see the module)."""

    def __init__(self, store: CaseStore, name: str, clock: Clock):
        if not name or len(name) > 200:
            raise ValueError(f"a consumer needs a name of 1 to 200 characters: {name!r}")
        self.name = name
        self._store = store
        self._clock = clock

    @property
    def cursor(self) -> int:
        """The cursor acknowledged so far (0: nothing yet)."""
        return self._store.consumer_cursor(self.name)

    def poll(self, limit: int | None = 100, kinds: Collection[JournalKind | str] | None = None) -> list[JournalEntry]:
        """The events after the acknowledged cursor: the same ones again until they are acknowledged."""
        return read_events(self._store, self.cursor, kinds, limit)

    def ack(self, cursor: int | JournalEntry) -> int:
        """Acknowledge every event up to ``cursor`` (an event's ``seq``, or the event): they are not polled
        again. A cursor behind the stored one changes nothing. Returns the cursor stored."""
        seq = cursor.seq if isinstance(cursor, JournalEntry) else cursor
        if seq is None or seq < 0:
            raise ValueError(f"not a cursor: {cursor!r}")
        return self._store.ack_consumer(self.name, int(seq), self._clock.now())

    def __repr__(self) -> str:
        return f"Consumer({self.name!r})"


__all__ = ["Consumer", "read_events"]
