"""What does moving running cases to a new diagram version cost, next to an ordinary step?

N Supported Employment cases are walked to the vocational network mapping (the monthly follow-up timer
waiting beside it). A new SE version with a task inserted after the mapping is deployed, then:
- dry run: ``migrate_cases(..., dry_run=True)``: load, diff against the new version, apply the policy;
- migrate: ``migrate_cases``: the same plus ``migrate_workflow`` and one commit per case;
- baseline: ``complete_task`` of the mapping on every migrated case (a normal durable step).
Prints cases/s for each and the ratios to the baseline (same run, same store).
Run: python bench/migrate.py [--cases 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the tests' modeller edits and forms
from sedflow import PROCESSES_DIR, Engine, ManualClock, SQLiteStore, load_directory  # noqa: E402
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import REFERRAL, fill  # noqa: E402
from diagram_edits import copy_processes, insert_task_after  # noqa: E402

SE = "supported_employment"
TO_MAPPING = [("first_contact", {}), ("information_dialogue", {"needs_more_information": False}),
              ("participant_decision", {"chooses_se": True}), ("agreement", {})]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    n = parser.parse_args().cases
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.db", create=True)
        engine = Engine(store, load_directory(PROCESSES_DIR), clock=ManualClock("2026-02-02T09:00:00+00:00"),
                        profile=SE_PROFILE)
        ids = engine.import_cases([{"participant": f"p-{i:05d}", **REFERRAL} for i in range(n)], process_id=SE).started
        forms = {e.id: e.form for e in engine.definitions.get(SE).user_tasks()}
        for case_id in ids:
            for task, choices in TO_MAPPING:
                engine.complete_task(case_id, task, fill(forms[task], choices))
        v2 = load_directory(copy_processes(Path(tmp) / "v2", supported_employment=insert_task_after(
            "network_mapping", "extra_call", "Extra samtal")))
        engine.deploy(v2)
        to = v2.get(SE).version

        started = time.perf_counter()
        plans = engine.migrate_cases(to, dry_run=True)
        dry = time.perf_counter() - started
        started = time.perf_counter()
        done = engine.migrate_cases(to)
        migrate = time.perf_counter() - started
        started = time.perf_counter()
        for case_id in ids:
            engine.complete_task(case_id, "network_mapping", fill(forms["network_mapping"]))
        step = time.perf_counter() - started

        assert all(p.action == "migrate" for p in plans) and all(p.action == "migrated" for p in done)
        assert all(t.element_id == "extra_call" for t in engine.list_tasks(task="extra_call")) and \
            len(engine.list_tasks(task="extra_call")) == n
        print(f"{n} cases of {SE}; new version {to} inserts a task after the current one")
        print(f"  baseline complete_task : {n / step:8.1f} cases/s")
        print(f"  migrate --dry-run      : {n / dry:8.1f} cases/s  ({step / dry:.2f}x the baseline)")
        print(f"  migrate                : {n / migrate:8.1f} cases/s  ({step / migrate:.2f}x the baseline)")
        store.close()


if __name__ == "__main__":
    main()
