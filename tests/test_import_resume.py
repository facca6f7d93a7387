"""A resumable, idempotent import, and no second running case for a participant.

Re-running an import after a crash starts exactly the rows that are missing: rows whose case is in the
store are skipped (by case id, else by the import key: participant, process, referral date). The kill
test SIGKILLs a real ``sedflow case import`` process in the middle of its batches, on both backends,
re-runs it, and counts rows lost and duplicated (both must be 0).
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from click.testing import CliRunner
from sedflow import DuplicateCaseError, TaskDataError, open_store

from conftest import REFERRAL
from sedflow_cli.main import main

SE = "supported_employment"


def counts(store):
    return store.query("SELECT count(*), count(DISTINCT participant) FROM cases")[0], len(store.read_journal())


def test_a_rerun_skips_the_rows_already_imported_and_starts_the_rest(engine, store):
    rows = [{"participant": f"p-{i}", "case_id": f"c-{i}", **REFERRAL} for i in range(4)]
    rows += [{"participant": f"k-{i}", **REFERRAL} for i in range(3)]
    first = engine.import_cases(rows[:2] + rows[4:5], process_id=SE)
    assert first.started == ["c-0", "c-1", first.started[2]] and first.skipped == []
    again = engine.import_cases(rows, process_id=SE, batch=2)
    assert again.started == ["c-2", "c-3", *again.started[2:]] and len(again.started) == 4
    assert [(s.row, s.case_id, s.why) for s in again.skipped] == [
        (1, "c-0", "already in the store"), (2, "c-1", "already in the store"),
        (5, first.started[2], "already in the store")]
    third = engine.import_cases(rows, process_id=SE)
    assert third.started == [] and len(third.skipped) == 7
    assert counts(store)[0] == (7, 7)
    cases = {c.participant: c.case_id for c in engine.list_cases()}
    assert cases["k-0"] == first.started[2]  # the same row found again by its key


def test_the_referral_date_tells_a_new_referral_from_a_repeat(engine):
    first = engine.import_cases([{"participant": "p-1", "referral_date": "2026-01-10", **REFERRAL}], process_id=SE)
    engine.withdraw_case(first.started[0], "MOVED")
    repeat = engine.import_cases([{"participant": "p-1", "referral_date": "2026-01-10", **REFERRAL}], process_id=SE)
    assert repeat.started == [] and repeat.skipped[0].case_id == first.started[0]
    later = engine.import_cases([{"participant": "p-1", "referral_date": "2026-03-01", **REFERRAL}], process_id=SE)
    assert len(later.started) == 1 and later.started != first.started
    with pytest.raises(TaskDataError, match="row 1: referral_date '1 mars' is not a date") as bad:
        engine.import_cases([{"participant": "p-2", "referral_date": "1 mars", **REFERRAL}], process_id=SE)
    assert bad.value.field == "referral_date"


def test_a_case_id_taken_by_another_participant_is_an_error_naming_the_row(engine, store):
    engine.import_cases([{"participant": "p-1", "case_id": "c-1", **REFERRAL}], process_id=SE)
    before = counts(store)
    rows = [{"participant": "p-2", "case_id": "c-2", **REFERRAL}, {"participant": "p-3", "case_id": "c-1", **REFERRAL}]
    with pytest.raises(TaskDataError, match="row 2: case id 'c-1' is taken by another participant") as taken:
        engine.import_cases(rows, process_id=SE)
    assert taken.value.field == "case_id" and counts(store) == before  # nothing written, not even row 1


def test_a_second_running_case_for_a_participant_is_refused_unless_allowed(engine, store):
    case = engine.start_case(SE, "p-1", REFERRAL)
    before = counts(store)
    with pytest.raises(DuplicateCaseError, match=f"'p-1' already has a running case .*'{case.case_id}'") as dup:
        engine.start_case(SE, "p-1", REFERRAL)
    assert dup.value.case_id == case.case_id and counts(store) == before
    with pytest.raises(DuplicateCaseError, match=f"row 2: participant 'p-1' .*'{case.case_id}'"):
        engine.import_cases([{"participant": "p-2", **REFERRAL}, {"participant": "p-1", **REFERRAL}], process_id=SE)
    with pytest.raises(DuplicateCaseError, match="row 2: participant 'p-5'"):  # twice in one file, new keys
        engine.import_cases([{"participant": "p-5", "referral_date": d, **REFERRAL} for d in ("2026-01-01",
                                                                                               "2026-02-01")],
                            process_id=SE)
    assert counts(store) == before
    engine.suspend_case(case.case_id, "SICK_LEAVE")
    with pytest.raises(DuplicateCaseError):  # suspended is still running
        engine.start_case(SE, "p-1", REFERRAL)
    twin = engine.start_case(SE, "p-1", REFERRAL, allow_concurrent=True)
    assert twin.case_id != case.case_id
    engine.withdraw_case(twin.case_id, "MOVED")
    engine.resume_case(case.case_id, "BACK")
    engine.withdraw_case(case.case_id, "MOVED")
    assert engine.start_case(SE, "p-1", REFERRAL).status == "active"  # none running: a new referral starts


def test_a_repeated_row_is_skipped_and_batch_zero_is_refused(engine, store):
    rows = [{"participant": "p-1", **REFERRAL}, {"participant": "p-1", **REFERRAL}]
    result = engine.import_cases(rows, process_id=SE)
    assert len(result.started) == 1 and [(s.row, s.why) for s in result.skipped] == [(2, "repeats row 1")]
    with pytest.raises(TaskDataError, match="at least one case") as zero:
        engine.import_cases(rows, process_id=SE, batch=0)
    assert zero.value.field == "batch"


def test_cli_import_reports_skipped_rows_and_refuses_a_duplicate(store_url, tmp_path):
    runner = CliRunner()
    path = tmp_path / "cases.csv"
    write_csv(path, [{"participant": f"p-{i}", **REFERRAL} for i in range(3)])
    assert runner.invoke(main, ["--store", store_url, "init"]).exit_code == 0
    first = runner.invoke(main, ["--store", store_url, "case", "import", str(path), "--process", SE])
    assert first.exit_code == 0 and "3 case(s) started, 0 skipped" in first.output
    again = runner.invoke(main, ["--store", store_url, "case", "import", str(path), "--process", SE, "--json"])
    assert again.exit_code == 0 and len(json.loads(again.stdout)["skipped"]) == 3
    start = ["--store", store_url, "case", "start", SE, "--participant", "p-0",
             *[a for k, v in REFERRAL.items() for a in ("--set", f"{k}={v}")]]
    refused = runner.invoke(main, start)
    assert refused.exit_code == 6 and "already has a running case" in refused.output
    assert runner.invoke(main, [*start, "--allow-concurrent"]).exit_code == 0
    zero = runner.invoke(main, ["--store", store_url, "case", "import", str(path), "--batch", "0"])
    assert zero.exit_code == 2 and "--batch" in zero.output


# ------------------------------------------------------------------------------------ SIGKILL mid-import

def write_csv(path, rows):
    columns = sorted({k for row in rows for k in row}, key=lambda k: (k != "participant", k))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)


def case_count(url):
    with open_store(url) as store:
        return store.query("SELECT count(*) FROM cases")[0][0]


def import_command(url, path):
    return [sys.executable, "-m", "sedflow_cli.main", "--store", url, "case", "import", str(path),
            "--process", SE, "--batch", "20"]


def test_an_import_killed_mid_way_and_run_again_loses_and_duplicates_nothing(store_url, tmp_path):
    rounds, n = int(os.environ.get("SEDFLOW_KILL_ROUNDS", "3")), 400
    # half the rows name their case, half are found by their key (some with a referral date)
    rows = [{"participant": f"w-{i:04d}", **({"case_id": f"imp-{i:04d}"} if i % 2 else {}),
             **({"referral_date": "2026-01-15"} if i % 4 == 2 else {}), **REFERRAL} for i in range(n)]
    path = tmp_path / "cases.csv"
    write_csv(path, rows)
    open_store(store_url, create=True).close()
    kills = 0
    for _ in range(rounds):
        before = case_count(store_url)
        target = before + random.randint(1, max(1, (n - before) // 3))
        proc = subprocess.Popen(import_command(store_url, path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and case_count(store_url) < target:
            time.sleep(0.005)
        assert proc.poll() is None, "the import finished before it was killed: give it more rows"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        kills += 1
        assert before < case_count(store_url) < n  # some batches committed, not all
    done = subprocess.run(import_command(store_url, path), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with open_store(store_url) as store:
        cases = store.list_cases()
        per_participant = Counter(c.participant for c in cases)
        started = Counter(e.case_id for e in store.read_journal() if e.kind == "case_started")
    lost = n - len(per_participant)
    duplicated = sum(k - 1 for k in per_participant.values()) + sum(k - 1 for k in started.values())
    print(f"\nimport kills survived: {kills}, rows {n}, lost {lost}, duplicated {duplicated}")
    assert (lost, duplicated) == (0, 0)
    assert set(per_participant) == {r["participant"] for r in rows}
    assert {c.case_id for c in cases} >= {r["case_id"] for r in rows if "case_id" in r}
    skipped = int(done.stdout.split(" case(s) started, ")[1].split()[0])
    assert skipped == case_count(store_url) - int(done.stdout.split()[0])  # the rest were skipped
