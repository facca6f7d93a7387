"""Cases that run for years: does a follow-up period cost the same at the 1,000th as at the 1st?

One diagram for both sides, a monthly follow-up loop: merge -> timer (P1M) -> follow-up task -> back.
A *period* is: the timer fires, then the follow-up task is completed.
- sedflow: `Engine.tick` fires the timer, `complete_task` completes the task (both durable on SQLite);
  measured: the wall time of one period and the stored (compressed) state size.
- plain SpiffWorkflow: load -> fire (due time moved into the past) -> complete -> save, spec by
  reference, no database. Its task tree keeps every period, and past ~333 periods its iterators'
  depth limit makes it stop advancing silently: the bench reports that as "stalled".

Targets: sedflow at 1,000 periods <= 1.5x sedflow at 1; state <= 16 KB.
Then `tick` over N cases (default 100,000) each with a due timer, on SQLite (target <= 120 s).
Run: python bench/long_running.py [--cases 100000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sedflow import Engine, ManualClock, SQLiteStore
from sedflow.definitions import load_sources
from sedflow.programmes.se import PROFILE as SE_PROFILE
from SpiffWorkflow.task import TaskState

from raw_spiff import RawSpiff

CHECKPOINTS = (1, 10, 100, 1000)
DIAGRAM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="http://sedflow.se/bench">
  <bpmn:process id="followups" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="merge"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:intermediateCatchEvent id="month"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P1M</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="followup"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge" />
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="month" />
    <bpmn:sequenceFlow id="f3" sourceRef="month" targetRef="followup" />
    <bpmn:sequenceFlow id="f4" sourceRef="followup" targetRef="merge" />
  </bpmn:process>
</bpmn:definitions>"""


def sedflow_periods(directory: Path) -> dict[int, tuple[float, int]]:
    store = SQLiteStore(directory / "long.db", create=True)
    clock = ManualClock("2026-01-01T00:00:00+00:00")
    engine = Engine(store, load_sources({"followups.bpmn": DIAGRAM}), clock=clock, profile=SE_PROFILE)
    case_id = engine.start_case("followups", "p-long").case_id
    results = {}
    for period in range(1, max(CHECKPOINTS) + 1):
        clock.advance(days=31)
        started = time.perf_counter()
        assert engine.tick().timers_fired == 1
        engine.complete_task(case_id, "followup", actor="coach")
        elapsed = time.perf_counter() - started
        if period in CHECKPOINTS:
            results[period] = (elapsed, len(store.get_case(case_id).state))
    assert [t.element_id for t in engine.due(within=timedelta(days=40))] == ["month"]
    store.close()
    return results


def spiff_periods() -> dict[int, tuple[float, int] | None]:
    # SpiffWorkflow evaluates timer text as Python: it needs the quoted form of what Camunda users write.
    raw = RawSpiff(DIAGRAM.replace(b">P1M<", b">'P1M'<"), "followups")
    state = raw.save(raw.new())
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    results: dict[int, tuple[float, int] | None] = {}
    for period in range(1, max(CHECKPOINTS) + 1):
        started = time.perf_counter()
        wf = raw.load(state)
        for timer in wf.get_tasks(state=TaskState.WAITING, spec_name="month"):
            timer.internal_data["event_value"] = past
        wf.refresh_timers()
        wf.do_engine_steps()
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:  # the depth-1000 stall: nothing advances any more
            results.update({p: None for p in CHECKPOINTS if p >= period})
            break
        wf.run_task_from_id(ready[0].id)
        wf.do_engine_steps()
        state = raw.save(wf)
        if period in CHECKPOINTS:
            results[period] = (time.perf_counter() - started, len(state.encode()))
    return results


def tick_many(directory: Path, cases: int) -> float:
    """N cases waiting on a due timer (one real case, its rows cloned in bulk), then one `tick`."""
    store = SQLiteStore(directory / "tick.db", create=True)
    clock = ManualClock("2026-01-01T00:00:00+00:00")
    definitions = load_sources({"followups.bpmn": DIAGRAM})
    Engine(store, definitions, clock=clock, profile=SE_PROFILE).start_case("followups", "p-0", case_id="c0")
    columns = ("process_id, definition_version, status, revision, stages, data, milestones, outcome, end_reason, "
               "started_at, updated_at, ended_at, next_due_at, state")
    with store._write() as cur:
        cur.execute("CREATE TEMP TABLE copies (n INTEGER PRIMARY KEY)")
        cur.executemany("INSERT INTO copies VALUES (?)", ((n,) for n in range(1, cases)))
        cur.execute(f"INSERT INTO cases (case_id, participant, {columns}) SELECT 'c' || n, 'p-' || n, {columns} "
                    "FROM cases, copies WHERE case_id = 'c0'")
        cur.execute("INSERT INTO open_tasks SELECT 'c' || n, task_id, element_id, name, process_id, "
                    "definition_version, lane, stage, since, kind, due_at FROM open_tasks, copies "
                    "WHERE case_id = 'c0'")
    clock.advance(days=31)
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    started = time.perf_counter()
    result = engine.tick()
    elapsed = time.perf_counter() - started
    assert result.timers_fired == cases, result.timers_fired
    store.close()
    return elapsed


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--cases", type=int, default=100_000, help="cases for the tick timing")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours = [sedflow_periods(Path(tmp) / f"r{i}") for i in range(3) if (Path(tmp) / f"r{i}").mkdir() is None]
        raw = spiff_periods()
        print(f"{'periods':>8} | {'sedflow step':>12} {'state':>9} | {'SpiffWorkflow step':>18} {'state':>10}")
        median = {p: statistics.median(r[p][0] for r in ours) for p in CHECKPOINTS}
        for p in CHECKPOINTS:
            theirs = raw.get(p)
            spiff = (f"{theirs[0] * 1000:15.2f} ms {theirs[1] / 1024:7.1f} KB" if theirs
                     else f"{'stalled':>18} {'-':>10}")
            print(f"{p:>8} | {median[p] * 1000:9.2f} ms {ours[0][p][1] / 1024:6.1f} KB | {spiff}")
        print(f"sedflow step at 1,000 / at 1: {median[1000] / median[1]:.2f}x (target <= 1.5x); "
              f"state at 1,000: {ours[0][1000][1] / 1024:.1f} KB (target <= 16 KB)")
        elapsed = tick_many(Path(tmp), opts.cases)
        print(f"tick over {opts.cases:,} cases with a due timer (SQLite): {elapsed:.1f} s "
              f"({opts.cases / elapsed:,.0f} cases/s; target <= 120 s for 100,000)")


if __name__ == "__main__":
    main()
