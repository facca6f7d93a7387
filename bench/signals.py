"""What does a signal's fan-out cost? Deliveries of ``Engine.broadcast_signal`` against ``complete_task`` steps.

Both sides run on one SQLite file, in the same run, over the same cases: each case of a small process
waits alternately at a user task and at a signal catch, ten times; one side completes every case's task
(one step each), the other broadcasts the signal once, which the fan-out delivers to every case, each in
its own transaction (a delivery is a step of its receiver plus the mark that it is done). The ratio says
what a delivery costs against a step.

Run: python bench/signals.py [--cases 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sedflow import Engine, ManualClock, SQLiteStore
from sedflow.definitions import load_sources

STEPS = 10


def diagram() -> bytes:
    """A user task then a signal catch, ``STEPS`` times."""
    body, previous = [], "start"
    for i in range(STEPS):
        body.append(f'<bpmn:userTask id="t{i}" /><bpmn:intermediateCatchEvent id="s{i}">'
                    '<bpmn:signalEventDefinition signalRef="sig" /></bpmn:intermediateCatchEvent>')
        body.append(f'<bpmn:sequenceFlow id="a{i}" sourceRef="{previous}" targetRef="t{i}" />'
                    f'<bpmn:sequenceFlow id="b{i}" sourceRef="t{i}" targetRef="s{i}" />')
        previous = f"s{i}"
    return ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
            '20100524/MODEL" id="d" targetNamespace="http://sedflow.se/bench"><bpmn:process id="p" isExecutable="true">'
            '<bpmn:startEvent id="start" />' + "".join(body) + f'<bpmn:endEvent id="end" /><bpmn:sequenceFlow id="z" '
            f'sourceRef="{previous}" targetRef="end" /></bpmn:process><bpmn:signal id="sig" name="news" />'
            '</bpmn:definitions>').encode()


def run(directory: Path, cases: int) -> tuple[float, float]:
    """Seconds spent completing tasks and delivering the broadcasts over every case's ``STEPS`` rounds."""
    store = SQLiteStore(directory / "bench.db", create=True)
    engine = Engine(store, load_sources({"p.bpmn": diagram()}), clock=ManualClock("2026-01-05T08:00:00Z"))
    ids = [engine.start_case("p", f"p-{n}").case_id for n in range(cases)]
    completing = delivering = 0.0
    for step in range(STEPS):
        t0 = time.perf_counter()
        for cid in ids:
            engine.complete_task(cid, f"t{step}")
        t1 = time.perf_counter()
        result = engine.broadcast_signal("news")
        completing, delivering = completing + t1 - t0, delivering + time.perf_counter() - t1
        assert len(result.delivered) == cases, result
    store.close()
    return completing, delivering


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--cases", type=int, default=200)
    args.add_argument("--rounds", type=int, default=3)
    opts = args.parse_args()
    steps = opts.cases * STEPS
    ratios, rates = [], []
    for _ in range(opts.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            completing, delivering = run(Path(tmp), opts.cases)
        ratios.append(completing / delivering)
        rates.append((steps / completing, steps / delivering))
    print(f"complete_task {statistics.median(r[0] for r in rates):7.0f} steps/s | broadcast_signal fan-out "
          f"{statistics.median(r[1] for r in rates):7.0f} deliveries/s | ratio {statistics.median(ratios):.2f} "
          f"(median of {opts.rounds} rounds)")


if __name__ == "__main__":
    main()
