"""SQLite against PostgreSQL, side by side, and tick with 1 vs 2 worker processes on PostgreSQL.

- advance: durable `complete_task` steps/s on the 10-task process of bench/advance.py (SQLite with its
  default synchronous=NORMAL and with FULL, an fsync per commit; PostgreSQL with its defaults);
- reads: the coach's work queue (`list_tasks(lane=...)`) and `list_cases(stage=...)` over that store;
- tick: N cases with a due timer (one real case cloned in bulk), fired by 1 process, then by 2 at once.
(Report queries arrive with the reports issue; this bench will time them on both backends then.)

PostgreSQL: $SEDFLOW_BENCH_POSTGRES or postgresql://postgres@127.0.0.1:5432/test, in a schema of its own.
Run: python bench/stores.py [--instances 100] [--cases 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sedflow import Engine, ManualClock, SQLiteStore, Store, open_store
from sedflow.definitions import load_sources
from sedflow.programmes.se import PROFILE as SE_PROFILE

from advance import ten_task_diagram
from long_running import DIAGRAM as FOLLOWUPS

PG = os.environ.get("SEDFLOW_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def advance(store: Store, instances: int) -> tuple[float, float, float]:
    engine = Engine(store, load_sources({"ten.bpmn": ten_task_diagram()}), clock=ManualClock("2026-01-01T00:00:00Z"))
    cases = [engine.start_case("ten_tasks", f"p{n}").case_id for n in range(instances)]
    started = time.perf_counter()
    for step in range(5):
        for case_id in cases:
            engine.complete_task(case_id, f"t{step + 1}", {f"note{step + 1}": "ok"}, actor="bench")
    rate = instances * 5 / (time.perf_counter() - started)
    reads = []
    for query in (lambda: engine.list_tasks(task="t6"), lambda: engine.list_cases(status="active")):
        t = time.perf_counter()
        for _ in range(20):
            query()
        reads.append((time.perf_counter() - t) / 20 * 1000)
    store.close()
    return rate, reads[0], reads[1]


def prepare_due(url: str, cases: int) -> None:
    store = open_store(url, create=True)
    definitions = load_sources({"followups.bpmn": FOLLOWUPS})
    Engine(store, definitions, clock=ManualClock("2026-01-01T00:00:00+00:00"), profile=SE_PROFILE).start_case(
        "followups", "p-0", case_id="c0")
    columns = ("participant, process_id, definition_version, status, revision, stages, data, milestones, outcome, "
               "end_reason, started_at, updated_at, ended_at, next_due_at, state")
    with store._write() as cur:
        cur.execute(f"INSERT INTO cases (case_id, {columns}) SELECT 'c' || n, {columns} FROM cases, "
                    f"generate_series(1, {cases - 1}) AS n WHERE case_id = 'c0'")
        cur.execute("INSERT INTO open_tasks SELECT c.case_id, t.task_id, t.element_id, t.name, t.process_id, "
                    "t.definition_version, t.lane, t.stage, t.since, t.kind, t.due_at FROM cases c, open_tasks t "
                    "WHERE t.case_id = 'c0' AND c.case_id <> 'c0'")
    store.close()


def tick_workers(url: str, workers: int, directory: Path) -> float:
    (directory / "followups.bpmn").write_bytes(FOLLOWUPS)
    cmd = [sys.executable, "-m", "sedflow_cli.main", "--store", url, "--processes", str(directory), "tick",
           "--now", "2026-02-15T00:00:00+00:00", "--quiet"]
    started = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    outputs = [p.communicate()[0] for p in procs]
    elapsed = time.perf_counter() - started
    fired = sum(int(out.split(" timer(s) fired")[0].rsplit(" ", 1)[1]) for out in outputs)
    return elapsed, fired


def drop(schema: str) -> None:
    import psycopg
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--instances", type=int, default=100)
    args.add_argument("--cases", type=int, default=20_000)
    opts = args.parse_args()
    schema = f"sedflow_bench_{os.getpid()}"
    sep = "&" if "?" in PG else "?"
    with tempfile.TemporaryDirectory() as tmp:
        try:
            rows = {}
            backends = {
                "SQLite": lambda i: SQLiteStore(Path(tmp) / f"n{i}.db", create=True),
                "SQLite FULL": lambda i: SQLiteStore(Path(tmp) / f"f{i}.db", create=True, synchronous="FULL"),
                "PostgreSQL": lambda i: open_store(f"{PG}{sep}schema={schema}_a{i}", create=True),
            }
            for name, make in backends.items():
                runs = [advance(make(i), opts.instances) for i in range(3)]
                rows[name] = [statistics.median(r[k] for r in runs) for k in range(3)]
            print(f"{'':12} {'complete_task':>16} {'work queue read':>16} {'case list read':>15}")
            for name, (rate, queue, listing) in rows.items():
                print(f"{name:12} {rate:11.0f} st/s {queue:13.1f} ms {listing:12.1f} ms")
            print(f"PostgreSQL / SQLite advance: {rows['PostgreSQL'][0] / rows['SQLite'][0]:.2f}x; "
                  f"SQLite synchronous=FULL / NORMAL: {rows['SQLite FULL'][0] / rows['SQLite'][0]:.2f}x")
            results = {}
            for workers in (1, 2):
                url = f"{PG}{sep}schema={schema}_t{workers}"
                prepare_due(url, opts.cases)
                results[workers] = tick_workers(url, workers, Path(tmp))
                assert results[workers][1] == opts.cases, results
            for workers, (elapsed, fired) in results.items():
                print(f"tick on PostgreSQL, {workers} worker(s): {elapsed:6.1f} s for {fired:,} cases "
                      f"({fired / elapsed:,.0f} cases/s)")
            print(f"2 workers / 1 worker speed-up: {results[1][0] / results[2][0]:.2f}x (2 cores)")
        finally:
            for suffix in ("_a0", "_a1", "_a2", "_t1", "_t2"):
                drop(schema + suffix)


if __name__ == "__main__":
    main()
