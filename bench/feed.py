"""How fast does an integration read the event feed? ``Engine.events`` and a named consumer's poll/ack, in
rows/s, against reading the same journal in seq order (``store.read_journal``), the plain read with no
commit-order guarantee, in the same run, on SQLite and on PostgreSQL.

Each store gets ``--cases`` cases of a ten-task process completed to the end (about 25 journal rows per
case); then the whole journal is read in pages of ``--page`` rows three ways. On PostgreSQL the feed
orders by (writer_xid, seq) below the snapshot's xmin (``sedflow.runtime.feed``); the ratio says what
that promise costs against the unordered read.

PostgreSQL: $SEDFLOW_BENCH_POSTGRES or postgresql://postgres@127.0.0.1:5432/test, in a schema of its own.
Run: python bench/feed.py [--cases 400] [--page 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from sedflow import Engine, ManualClock, Store, StoreError, open_store
from sedflow.definitions import load_sources

from advance import ten_task_diagram

PG = os.environ.get("SEDFLOW_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def fill(store: Store, cases: int) -> int:
    """Cases run to their end; the number of journal rows written."""
    engine = Engine(store, load_sources({"ten.bpmn": ten_task_diagram()}), clock=ManualClock("2026-01-01T00:00:00Z"))
    for n in range(cases):
        case_id = engine.start_case("ten_tasks", f"p{n}").case_id
        for step in range(1, 11):
            engine.complete_task(case_id, f"t{step}", actor="bench")
    return len(store.read_journal())


def walk(read: Callable[[int], list], ack: Callable[[int], object] | None = None) -> tuple[int, float]:
    """Read every row page by page from cursor 0: (rows, seconds)."""
    started, cursor, rows = time.perf_counter(), 0, 0
    while page := read(cursor):
        rows += len(page)
        cursor = page[-1].seq
        if ack is not None:
            ack(cursor)
    return rows, time.perf_counter() - started


def measure(store: Store, page: int, rounds: int) -> dict[str, float]:
    engine = Engine(store, load_sources({"ten.bpmn": ten_task_diagram()}))
    rates: dict[str, list[float]] = {"read_journal": [], "events": [], "consumer": []}
    for r in range(rounds):
        consumer = engine.consumer(f"bench-{r}")
        for name, read, ack in (
                ("read_journal", lambda c: store.read_journal(after_seq=c, limit=page), None),
                ("events", lambda c: engine.events(after=c, limit=page), None),
                ("consumer", lambda c, consumer=consumer: consumer.poll(limit=page), consumer.ack)):
            rows, seconds = walk(read, ack)
            rates[name].append(rows / seconds)
    return {name: statistics.median(values) for name, values in rates.items()}


def report(label: str, rows: int, rates: dict[str, float]) -> None:
    base = rates["read_journal"]
    print(f"{label:<10} {rows:7d} rows | read_journal {base:9.0f} rows/s | events {rates['events']:9.0f} rows/s "
          f"(ratio {rates['events'] / base:.2f}) | consumer poll+ack {rates['consumer']:9.0f} rows/s "
          f"(ratio {rates['consumer'] / base:.2f})")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--cases", type=int, default=400)
    args.add_argument("--page", type=int, default=500)
    args.add_argument("--rounds", type=int, default=3)
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "feed.db", create=True)
        rows = fill(store, opts.cases)
        report("SQLite", rows, measure(store, opts.page, opts.rounds))
        store.close()
    schema = f"bench_feed_{uuid.uuid4().hex[:8]}"
    try:
        store = open_store(f"{PG}{'&' if '?' in PG else '?'}schema={schema}", create=True)
    except StoreError as exc:  # no server: say so, the SQLite line stands
        print(f"PostgreSQL skipped: {exc}")
        return
    try:
        rows = fill(store, opts.cases)
        report("PostgreSQL", rows, measure(store, opts.page, opts.rounds))
    finally:
        store.close()
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()
