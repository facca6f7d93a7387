"""How much does durability cost? Raw SpiffWorkflow vs sedflow's durable complete_task.

Both sides run the same 10-task linear process (generated below), 10 steps per instance:
- raw: SpiffWorkflow alone, load -> complete one task -> engine steps -> save, spec by reference
  (the spec popped from the serialization and put back on load, as spiff-arena does), no database;
- sedflow: ``Engine.complete_task`` on an SQLite file: load the row, rebuild, validate the form, act,
  diff into journal rows, prune, and commit state + summary + open tasks + journal in one transaction.

Target: sedflow >= 0.7x the raw steps/s. Also prints CLI start-up wall times against a bare import.
Run: python bench/advance.py [--instances 100]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sedflow import Engine, ManualClock, SQLiteStore
from sedflow.definitions import load_sources
from SpiffWorkflow.task import TaskState

from raw_spiff import RawSpiff

TASKS = 10


def ten_task_diagram() -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
             'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://sedflow.se/bench">',
             '<bpmn:process id="ten_tasks" isExecutable="true">',
             '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>']
    for i in range(1, TASKS + 1):
        parts.append(
            f'<bpmn:userTask id="t{i}" name="Steg {i}"><bpmn:extensionElements><camunda:formData>'
            f'<camunda:formField id="note{i}" label="Notering" type="string" /></camunda:formData>'
            f'</bpmn:extensionElements><bpmn:incoming>f{i - 1}</bpmn:incoming><bpmn:outgoing>f{i}</bpmn:outgoing>'
            f'</bpmn:userTask>')
    parts.append(f'<bpmn:endEvent id="end"><bpmn:incoming>f{TASKS}</bpmn:incoming></bpmn:endEvent>')
    for i in range(TASKS + 1):
        source, target = ("start" if i == 0 else f"t{i}"), (f"t{i + 1}" if i < TASKS else "end")
        parts.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{source}" targetRef="{target}" />')
    parts += ["</bpmn:process>", "</bpmn:definitions>"]
    return "\n".join(parts).encode()


def raw_spiff(instances: int) -> float:
    raw = RawSpiff(ten_task_diagram(), "ten_tasks")
    states = []
    for _ in range(instances):
        states.append(raw.save(raw.new()))
    started = time.perf_counter()
    for step in range(TASKS):
        for n in range(instances):
            wf = raw.load(states[n])
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update({f"note{step + 1}": "ok"})
            wf.run_task_from_id(task.id)
            wf.do_engine_steps()
            states[n] = raw.save(wf)
    return instances * TASKS / (time.perf_counter() - started)


def sedflow_durable(instances: int, directory: Path) -> float:
    store = SQLiteStore(directory / "bench.db", create=True)
    engine = Engine(store, load_sources({"ten.bpmn": ten_task_diagram()}), clock=ManualClock("2026-01-01T00:00:00Z"))
    cases = [engine.start_case("ten_tasks", f"p{n}").case_id for n in range(instances)]
    started = time.perf_counter()
    for step in range(TASKS):
        for case_id in cases:
            engine.complete_task(case_id, f"t{step + 1}", {f"note{step + 1}": "ok"}, actor="bench")
    rate = instances * TASKS / (time.perf_counter() - started)
    assert all(c.status == "completed" for c in engine.list_cases())
    store.close()
    return rate


def wall(cmd: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--instances", type=int, default=100)
    args.add_argument("--rounds", type=int, default=5, help="raw/sedflow pairs, run back to back")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # Each round measures raw then sedflow back to back, and the ratio is taken per round: a slow
        # spell of the machine then hits both sides of one ratio instead of one side of the medians.
        pairs = []
        for i in range(opts.rounds):
            (Path(tmp) / str(i)).mkdir()
            pairs.append((raw_spiff(opts.instances), sedflow_durable(opts.instances, Path(tmp) / str(i))))
        raw = statistics.median(r for r, _ in pairs)
        durable = statistics.median(d for _, d in pairs)
        ratios = sorted(d / r for r, d in pairs)
        print(f"raw SpiffWorkflow load->complete->save (spec by reference, memory): {raw:8.0f} steps/s")
        print(f"sedflow complete_task, durable on SQLite (WAL, synchronous=NORMAL):  {durable:8.0f} steps/s")
        print(f"ratio sedflow/raw: {statistics.median(ratios):.2f}  (median of {len(ratios)} rounds, "
              f"{ratios[0]:.2f}-{ratios[-1]:.2f}; target >= 0.70)")

        db = Path(tmp) / "cli.db"
        sedflow_cmd = [sys.executable, "-m", "sedflow_cli.main"]
        store = SQLiteStore(db, create=True)
        engine = Engine(store, load_sources({"ten.bpmn": ten_task_diagram()}))
        case_id = engine.start_case("ten_tasks", "cli").case_id
        store.close()
        (Path(tmp) / "p").mkdir()
        (Path(tmp) / "p" / "ten.bpmn").write_bytes(ten_task_diagram())
        base = wall([sys.executable, "-c", "import sedflow"])
        help_ms = wall(sedflow_cmd + ["--help"])
        complete = [wall(sedflow_cmd + ["--store", str(db), "--processes", str(Path(tmp) / "p"), "case", "complete",
                                        case_id, f"t{i}", "--set", f"note{i}=ok"], runs=1) for i in range(1, 6)]
        print(f"python -c 'import sedflow':  {base:6.0f} ms")
        print(f"sedflow --help:              {help_ms:6.0f} ms  ({help_ms / base:.2f}x the import)")
        print(f"sedflow case complete:       {statistics.median(complete):6.0f} ms  "
              f"({statistics.median(complete) / base:.2f}x the import)")


if __name__ == "__main__":
    main()
