"""Reports over a large store: 100,000 cases and at least 2,000,000 journal rows.

The store is built by a fast bulk path: a base of synthetic participants runs through the real engine
(the Nätkraft scenario: 190 referrals, 155 clients, about 45 journal rows a case), then its cases, open
tasks and journal rows are cloned in SQL with new case, task and participant ids until the store holds
--cases cases. Each report is then timed, and the whole HTML
bundle (every report, charts, heatmaps) once.
Targets: the outcome table <= 1 s; all reports plus the HTML bundle <= 10 s.
Run: python bench/reports.py [--cases 100000] [--store URL]   (default: a temporary SQLite file)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sedflow import PROCESSES_DIR, Engine, ManualClock, load_directory, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.reports import ReportFilter, Reports, write_html_report
from sedflow.simulation import run_scenario

BASE = 190  # the Nätkraft scenario's cases


def build(url: str, cases: int) -> tuple[int, int]:
    store = open_store(url, create=True)
    engine = Engine(store, load_directory(PROCESSES_DIR), clock=ManualClock("2000-01-03T08:00:00+00:00"),
                    profile=SE_PROFILE)
    run_scenario(engine, "natkraft")
    copies = cases // BASE - 1
    with store._write() as cur:
        cur.execute("CREATE TEMP TABLE copies (n INTEGER PRIMARY KEY)")
        cur.executemany(store._sql("INSERT INTO copies VALUES (?)"), [(n,) for n in range(1, copies + 1)])
        suffix = "|| '~' || CAST(n AS TEXT)"
        cur.execute(f"INSERT INTO cases (case_id, participant, process_id, definition_version, status, revision, "
                    f"stages, data, milestones, outcome, end_reason, started_at, updated_at, ended_at, next_due_at, "
                    f"state) SELECT case_id {suffix}, participant {suffix}, process_id, definition_version, status, "
                    f"revision, stages, data, milestones, outcome, end_reason, started_at, updated_at, ended_at, "
                    f"NULL, state FROM cases, copies")
        cur.execute(f"INSERT INTO open_tasks SELECT case_id {suffix}, task_id {suffix}, element_id, name, process_id, "
                    f"definition_version, lane, stage, since, kind, due_at FROM open_tasks, copies")
        cur.execute(f"INSERT INTO journal (case_id, at, kind, process_id, definition_version, element_id, "
                    f"element_name, element_type, lane, actor, task_id, data, outcome, end_reason, duration) "
                    f"SELECT case_id {suffix}, at, kind, process_id, definition_version, element_id, element_name, "
                    f"element_type, lane, actor, task_id {suffix}, data, outcome, end_reason, duration "
                    f"FROM journal, copies "
                    f"WHERE journal.case_id NOT LIKE '%~%'")
    counts = store.query("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM journal)")[0]
    store.close()
    return counts


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--cases", type=int, default=100_000)
    args.add_argument("--store", help="store URL (default: a temporary SQLite file)")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = opts.store or f"sqlite:///{tmp}/reports.db"
        started = time.perf_counter()
        cases, rows = build(url, opts.cases)
        print(f"store: {cases:,} cases, {rows:,} journal rows (built in {time.perf_counter() - started:.0f} s)")
        store = open_store(url)
        engine = Engine(store, load_directory(PROCESSES_DIR), profile=SE_PROFILE)
        reports = Reports(store, engine.definitions, profile=SE_PROFILE, suppress=False)
        where, total, tables = ReportFilter(), 0.0, []
        for name in reports.catalogue():
            started = time.perf_counter()
            tables.append(reports.run(name, where))
            elapsed = time.perf_counter() - started
            total += elapsed
            print(f"  {name:<24} {elapsed:6.2f} s  ({len(tables[-1].rows)} rows)")
        started = time.perf_counter()
        write_html_report(engine.definitions, reports, where, Path(tmp) / "html", tables)
        bundle = time.perf_counter() - started
        print(f"all reports {total:.2f} s + HTML bundle (charts, heatmaps, page) {bundle:.2f} s = "
              f"{total + bundle:.2f} s")
        print("outcome table: target <= 1 s; all reports + HTML bundle: target <= 10 s")
        store.close()


if __name__ == "__main__":
    main()
