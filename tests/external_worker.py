"""Processes for the external-task concurrency test, each a real process on one store (system clock).

    python external_worker.py STORE_URL start N         # N cases of DIAGRAM, each waiting at 'enrich'
    python external_worker.py STORE_URL work ID LOG [--hang-at K]
        # a sedflow.worker.run worker until no case is active; each handler call appends "ID task" to LOG;
        # with --hang-at K the K-th task it takes hangs (holding its lock) after writing LOG + ".hung"
    python external_worker.py STORE_URL tick            # tick until no case is active
    python external_worker.py STORE_URL serial          # one process doing all of it, in turn

DIAGRAM: start -> fork -> enrich (external, topic enrich) -> notify (external, topic notify) -> join -> end,
beside a timer (PT1S) -> join: so the tick processes step the same cases the workers do.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

from sedflow import Engine, LockedTask, load_files, open_store
from sedflow.worker import run

DIAGRAM = Path(__file__).parent / "diagrams" / "external_work.bpmn"
LEASE = timedelta(seconds=3)


def engine(url: str) -> Engine:
    return Engine(open_store(url), load_files([DIAGRAM]))


def active(e: Engine) -> bool:
    return bool(e.list_cases(status="active", limit=1))


def handlers(log: Path | None, worker: str, hang_at: int | None) -> dict:
    taken = []

    def handler(task: LockedTask) -> dict:
        taken.append(task.id)
        if log is not None:
            with log.open("a") as f:
                f.write(f"{worker} {task.id}\n")
        if hang_at is not None and len(taken) == hang_at and log is not None:
            log.with_suffix(".tmp").write_text(task.id)
            log.with_suffix(".tmp").rename(log.with_suffix(".hung"))   # whole, for the test to read
            time.sleep(3600)                       # killed here, holding the lock
        return {f"{task.element_id}_done": True, "seen": sorted(task.variables)}
    return {"enrich": handler, "notify": handler}


if __name__ == "__main__":
    url, command, *rest = sys.argv[1:]
    e = engine(url)
    if command == "start":
        for n in range(int(rest[0])):
            e.start_case("external_work", f"x-{n:04d}")
    elif command == "work":
        worker, log = rest[0], Path(rest[1])
        hang = int(rest[rest.index("--hang-at") + 1]) if "--hang-at" in rest else None
        run(e, handlers(log, worker, hang), worker_id=worker, lease=LEASE, poll_interval=0.05, max_tasks=2,
            stop=lambda: not active(e))
    elif command == "tick":
        while active(e):
            e.tick()
            time.sleep(0.05)
    elif command == "serial":
        while active(e):
            e.tick()
            run(e, handlers(None, "serial", None), worker_id="serial", lease=LEASE, once=True)
            time.sleep(0.05)
