"""What does a round trip through an external-task worker cost, against a person completing a task?

Both sides run on the same store (SQLite file, and PostgreSQL when ``--postgres URL`` names a server), in
the same run, over the same number of cases: each case of a small process waits alternately at a user
task and at an external task, ten times. One side completes the user tasks (``complete_task``); the other
is a worker's round trip: ``fetch_and_lock`` one task (which also reads the case to hand the worker the
task's variables), then ``complete_external_task``, which brings the case to its next wait. The ratio is
round trips per second over ``complete_task`` steps per second.

Run: python bench/external_tasks.py [--cases 200] [--rounds 3] [--postgres postgresql://user@host/db]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sedflow import Engine, ManualClock, Store, open_store
from sedflow.definitions import load_sources

STEPS = 10


def diagram() -> bytes:
    """A user task then an external service task, ``STEPS`` times."""
    body, previous = [], "start"
    for i in range(STEPS):
        body.append(f'<bpmn:userTask id="t{i}" /><bpmn:serviceTask id="x{i}" camunda:type="external" '
                    'camunda:topic="work" />')
        body.append(f'<bpmn:sequenceFlow id="a{i}" sourceRef="{previous}" targetRef="t{i}" />'
                    f'<bpmn:sequenceFlow id="b{i}" sourceRef="t{i}" targetRef="x{i}" />')
        previous = f"x{i}"
    return ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
            '20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" '
            'targetNamespace="http://sedflow.se/bench"><bpmn:process id="p" isExecutable="true">'
            '<bpmn:startEvent id="start" />' + "".join(body) + f'<bpmn:endEvent id="end" /><bpmn:sequenceFlow id="z" '
            f'sourceRef="{previous}" targetRef="end" /></bpmn:process></bpmn:definitions>').encode()


def run(store: Store, cases: int) -> tuple[float, float]:
    """Seconds spent completing user tasks, and on worker round trips, over every case's ``STEPS`` rounds."""
    engine = Engine(store, load_sources({"p.bpmn": diagram()}), clock=ManualClock("2026-01-05T08:00:00Z"))
    ids = [engine.start_case("p", f"p-{n}").case_id for n in range(cases)]
    completing = working = 0.0
    for step in range(STEPS):
        t0 = time.perf_counter()
        for cid in ids:
            engine.complete_task(cid, f"t{step}")
        t1 = time.perf_counter()
        for _ in ids:
            [task] = engine.fetch_and_lock(["work"], "bench-worker")
            engine.complete_external_task(task.id, "bench-worker", {"done": step})
        completing, working = completing + t1 - t0, working + time.perf_counter() - t1
    return completing, working


@contextmanager
def sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db", create=True)
        yield store
        store.close()


def postgres_store(url: str) -> Callable[[], AbstractContextManager[Store]]:
    @contextmanager
    def make() -> Iterator[Store]:
        schema = f"sedflow_bench_{uuid.uuid4().hex[:8]}"
        store = open_store(f"{url}{'&' if '?' in url else '?'}schema={schema}", create=True)
        try:
            yield store
        finally:
            store.close()
            import psycopg
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return make


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--cases", type=int, default=200)
    args.add_argument("--rounds", type=int, default=3)
    args.add_argument("--postgres", metavar="URL", help="also measure on this PostgreSQL server")
    opts = args.parse_args()
    steps = opts.cases * STEPS
    backends: list[tuple[str, Callable[[], AbstractContextManager[Store]]]] = [("SQLite", sqlite_store)]
    if opts.postgres:
        backends.append(("PostgreSQL", postgres_store(opts.postgres)))
    for label, make in backends:
        ratios, rates = [], []
        for _ in range(opts.rounds):
            with make() as store:
                completing, working = run(store, opts.cases)
            ratios.append(completing / working)
            rates.append((steps / completing, steps / working))
        print(f"{label:<10} complete_task {statistics.median(r[0] for r in rates):7.0f} steps/s | fetch_and_lock + "
              f"complete_external_task {statistics.median(r[1] for r in rates):7.0f} round trips/s | ratio "
              f"{statistics.median(ratios):.2f} (median of {opts.rounds} rounds)")


if __name__ == "__main__":
    main()
