"""A store that fails underneath: full, damaged, read-only, or inconsistent -- and ``sedflow store check``.

A store on a real 2 MB filesystem (a tmpfs, mounted where the test runs as root; skipped, saying why,
elsewhere) is advanced until it fills: the step that does not fit is a clear error (exit 8), and the
store is consistent afterwards (``PRAGMA integrity_check`` ok, no half step). A store with damaged pages
gives clear errors and ``store check`` finds the damage; nothing that failed to decode is printed. A
read-only copy answers read commands and refuses writes saying "read-only".
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from sedflow import Engine, ManualClock, StoreError, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import REFERRAL, fill

SE = "supported_employment"


def sedflow(url, *args):
    return subprocess.run([sys.executable, "-m", "sedflow_cli.main", "--store", str(url), *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())


def error_line(result):
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def populate(store, definitions, n):
    engine = Engine(store, definitions, clock=ManualClock("2026-02-02T09:00:00+00:00"), profile=SE_PROFILE)
    cases = [engine.start_case(SE, f"p-{i:04}", REFERRAL).case_id for i in range(n)]
    for case_id in cases[: n // 2]:
        task = engine.list_tasks(case_id=case_id)[0]
        engine.complete_task(case_id, task.task_id, fill(task.form), actor="coach-1")
    return engine, cases


# ------------------------------------------------------------------------------------------ store check

def test_store_check_passes_a_sound_store_and_names_what_is_wrong(store, store_url, definitions):
    engine, cases = populate(store, definitions, 6)
    ok = sedflow(store_url, "store", "check")
    assert ok.returncode == 0 and "integrity: ok" in ok.stdout and "cases: ok" in ok.stdout, ok.stdout + ok.stderr
    victim = cases[0]
    ready = [e for e in store.read_journal(victim) if e.kind == "task_ready"][-1]  # its open task
    _execute(store_url, f"DELETE FROM journal WHERE seq = {ready.seq}")
    _execute(store_url, f"UPDATE cases SET status = 'completed' WHERE case_id = '{cases[1]}'")
    bad = sedflow(store_url, "store", "check")
    assert bad.returncode == 8 and "problem(s) found" in error_line(bad)
    assert f"case '{cases[1]}' its status disagrees with its case_ended rows" in bad.stdout
    assert f"case '{victim}' has an open task the journal never made ready" in bad.stdout


def _execute(url, sql):
    if url.startswith("sqlite"):
        import sqlite3
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute(sql)
        return
    import psycopg
    from sedflow.store.postgres import split_url
    conninfo, schema = split_url(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute(sql)


def test_a_case_whose_open_tasks_disagree_with_its_state_is_found(store, store_url, definitions):
    engine, cases = populate(store, definitions, 2)
    _execute(store_url, f"DELETE FROM open_tasks WHERE case_id = '{cases[1]}'")
    assert [p for p in engine.check_cases() if cases[1] in p and "are not its state's ready tasks" in p]


# ------------------------------------------------------------------------------------------ disk full

@contextmanager
def small_filesystem(size="2m"):
    if os.geteuid() != 0:
        pytest.skip("a real 2 MB filesystem needs root (mount -t tmpfs); not running as root")
    directory = tempfile.mkdtemp(prefix="sedflow-full-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", directory], capture_output=True)
    if mounted.returncode != 0:
        os.rmdir(directory)
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield Path(directory)
    finally:
        subprocess.run(["umount", "--lazy", directory], check=True)
        os.rmdir(directory)


def test_a_full_disk_is_a_clear_error_and_leaves_the_store_consistent(definitions):
    with small_filesystem() as directory:
        path = directory / "sedflow.db"
        with open_store(path, create=True) as store:
            engine = Engine(store, definitions, clock=ManualClock("2026-02-02T09:00:00+00:00"), profile=SE_PROFILE)
            started, failure = 0, None
            while failure is None and started < 100_000:
                try:
                    case = engine.start_case(SE, f"p-{started:05}", {**REFERRAL, "referral_unit": "x" * 3000})
                    task = engine.list_tasks(case_id=case.case_id)[0]
                    engine.complete_task(case.case_id, task.task_id, fill(task.form), actor="coach-1")
                    started += 1
                except StoreError as exc:
                    failure = exc
        assert failure is not None and "full" in str(failure), failure
        cli = sedflow(path, "case", "start", SE, "--participant", "p-cli",
                      *[a for k, v in REFERRAL.items() for a in ("--set", f"{k}={v}")], "--set",
                      "referral_unit=" + "y" * 3000)
        assert cli.returncode == 8 and "full" in error_line(cli)
        print(f"\ndisk full after {started} cases on a 2 MB filesystem: {failure}")
        with open_store(path) as store:
            assert store.integrity_problems() == [] and store.consistency_problems() == []
            engine = Engine(store, definitions, profile=SE_PROFILE)
            assert engine.check_cases() == []
            journal = store.read_journal()
            assert Counter(e.kind for e in journal)["case_started"] == len(store.list_cases())  # no half step
        check = sedflow(path, "store", "check")
        assert check.returncode == 0, check.stdout + check.stderr


# ------------------------------------------------------------------------------------------ damaged pages

def test_damaged_pages_give_clear_errors_and_store_check_finds_them(tmp_path, definitions):
    path = tmp_path / "sedflow.db"
    with open_store(path, create=True) as store:
        populate(store, definitions, 60)
        pages = store.query("PRAGMA page_count")[0][0]
        size = store.query("PRAGMA page_size")[0][0]
        # The schema's own pages are left whole: with them damaged nothing opens, which is another test.
        schema = {row[0] - 1 for row in store.query("SELECT pageno FROM dbstat WHERE name = 'sqlite_schema'")}
    raw = bytearray(path.read_bytes())
    for page in range(pages // 4, pages, max(1, pages // 8)):  # pages across the file: b-tree and overflow pages
        if page in schema:
            continue
        start = page * size
        raw[start:start + size] = bytes((i * 37 + 11) % 256 for i in range(size))
    path.write_bytes(bytes(raw))
    check = sedflow(path, "store", "check")
    assert check.returncode == 8 and "integrity:" in check.stdout and "integrity: ok" not in check.stdout, \
        check.stdout + check.stderr
    failed = 0
    for args in (["case", "list"], ["case", "list", "--json"], ["store", "info"], ["tasks"], ["events"],
                 ["report", "funnel"]):
        result = sedflow(path, *args)
        if result.returncode != 0:
            failed += 1
            assert "malformed" in error_line(result) or "cannot be read" in error_line(result)
    assert failed >= 1


# ------------------------------------------------------------------------------------------ read-only

@contextmanager
def read_only_copy(path: Path):
    """``path``'s folder seen read-only: a read-only bind mount when root (root writes any file), else chmod."""
    if os.geteuid() == 0:
        view = Path(tempfile.mkdtemp(prefix="sedflow-ro-"))
        mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(path.parent), str(view)], capture_output=True)
        if mounted.returncode != 0:
            view.rmdir()
            pytest.skip(f"cannot make a read-only bind mount here: {mounted.stderr.decode().strip()}")
        subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], capture_output=True)
        try:
            yield view / path.name
        finally:
            subprocess.run(["umount", str(view)], check=True)
            view.rmdir()
    else:
        path.chmod(0o444)
        path.parent.chmod(0o555)
        try:
            yield path
        finally:
            path.parent.chmod(0o755)
            path.chmod(0o644)


def test_read_commands_work_on_a_read_only_store_and_writes_say_read_only(tmp_path, definitions):
    path = tmp_path / "copy" / "sedflow.db"
    path.parent.mkdir()
    with open_store(path, create=True) as store:
        _, cases = populate(store, definitions, 4)
    with read_only_copy(path) as copy:
        assert not os.access(copy, os.W_OK)
        listed = sedflow(copy, "case", "list")
        assert listed.returncode == 0 and all(c in listed.stdout for c in cases), listed.stderr
        assert sedflow(copy, "case", "history", cases[0]).returncode == 0
        assert sedflow(copy, "report", "funnel").returncode == 0
        assert sedflow(copy, "store", "check").returncode == 0
        refused = sedflow(copy, "case", "withdraw", cases[0], "--reason", "MOVED")
        assert refused.returncode == 8 and "read-only" in error_line(refused)
    with open_store(path) as store:
        assert store.get_case(cases[0], with_state=False).status == "active"
