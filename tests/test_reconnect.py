"""An Engine on PostgreSQL carries on after the server drops its connection, and no step is half-written.

Two ways to lose it: ``pg_terminate_backend`` from another connection while the engine completes tasks
and ticks (the "terminating connection due to administrator command" failure of a restart), on the
shared test server, aiming only at this test's own connections (by ``application_name``); and a real
restart (``pg_ctl restart``) of a private PostgreSQL cluster the test creates in a temporary directory
on a free port (never the shared server), skipped, saying why, where that is impossible.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sedflow import Engine, ManualClock, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import POSTGRES, REFERRAL, fill, postgres_schema_url

SE = "supported_employment"


def drive(engine, cases, more=lambda: False):
    """The work a worker does: round after round, complete the ready task of every case (each step a read
    and a write), two rounds at least and on while ``more()`` says so (at most 200). The steps done, per case."""
    done: Counter[str] = Counter()
    for round_ in range(200):
        if round_ >= 2 and not more():
            break
        for case_id in cases:
            task = engine.list_tasks(case_id=case_id)[0]
            engine.complete_task(case_id, task.task_id, fill(task.form, today="2026-02-02"), actor="worker")
            done[case_id] += 1
    return done


def check_exactly_once(store, done):
    """Every step is in the journal once and the open tasks agree with it: nothing half-written."""
    journal = store.read_journal()
    for kind in ("task_ready", "task_completed", "case_started"):
        counts = Counter((e.case_id, e.task_id) for e in journal if e.kind == kind)
        assert not counts or max(counts.values()) == 1, f"a {kind} row twice"
    completed = Counter(e.case_id for e in journal if e.kind == "task_completed")
    assert completed == done  # each step done is in the journal, once
    cases = list(done)
    for case_id in cases:
        rows = [e for e in journal if e.case_id == case_id]
        open_in_journal = ({e.task_id for e in rows if e.kind == "task_ready"}
                           - {e.task_id for e in rows if e.kind in ("task_completed", "task_cancelled")})
        assert open_in_journal == {t.task_id for t in store.list_open_tasks(case_id=case_id)}


class Terminator(threading.Thread):
    """Drops every connection named ``app`` from another connection, every ``every`` seconds, until stopped."""

    def __init__(self, url: str, app: str, every: float):
        super().__init__(daemon=True)
        self.url, self.app, self.every = url, app, every
        self.done = threading.Event()
        self.dropped = 0

    def run(self) -> None:
        import psycopg
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.done.wait(self.every):
                rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE application_name = %s AND pid <> pg_backend_pid()", (self.app,)).fetchall()
                self.dropped += sum(1 for (ok,) in rows if ok)


@pytest.fixture
def terminated_url():
    if not POSTGRES:
        pytest.skip("needs SEDFLOW_TEST_POSTGRES (a PostgreSQL server)")
    schema, app = f"sedflow_test_{uuid.uuid4().hex[:12]}", f"sedflow-reconnect-{uuid.uuid4().hex[:8]}"
    yield f"{postgres_schema_url(schema)}&application_name={app}", app
    import psycopg
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_steps_go_on_while_the_server_terminates_the_connection(terminated_url, definitions):
    url, app = terminated_url
    with open_store(url, create=True) as store:
        engine = Engine(store, definitions, clock=ManualClock("2026-02-02T09:00:00+00:00"), profile=SE_PROFILE)
        cases = [engine.start_case(SE, f"p-{i:03}", REFERRAL).case_id for i in range(40)]
        terminator = Terminator(POSTGRES, app, every=0.05)
        terminator.start()
        try:
            done = drive(engine, cases, more=lambda: terminator.dropped < 8)
        finally:
            terminator.done.set()
            terminator.join()
        print(f"\nconnections dropped: {terminator.dropped}, reconnects: {store.reconnects}")
        assert terminator.dropped >= 8 and store.reconnects >= terminator.dropped - 1
        check_exactly_once(store, done)


# ----------------------------------------------------------------------------- a private cluster, restarted

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def private_cluster():
    """A PostgreSQL cluster of this test's own: (URL, restart function). Stopped and removed afterwards."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not bins:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin) to make a private cluster with")
    pg_bin = Path(bins[-1]).parent
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: initdb refuses to run as root")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    directory = tempfile.mkdtemp(prefix="sedflow-pg-", dir="/tmp")
    if as_postgres:
        shutil.chown(directory, "postgres", "postgres")
    data, port = os.path.join(directory, "data"), _free_port()

    def pg(*args: str) -> None:
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, timeout=120)
    try:
        pg(str(pg_bin / "initdb"), "-D", data, "-A", "trust", "-U", "postgres")
        options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg(str(pg_bin / "pg_ctl"), "-D", data, "-o", options, "-l", os.path.join(directory, "log"), "-w", "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.skip(f"cannot make a private PostgreSQL cluster here: {exc}")

    def restart() -> None:
        pg(str(pg_bin / "pg_ctl"), "-D", data, "-l", os.path.join(directory, "log"), "-m", "fast", "-w", "restart")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres?schema=sedflow", restart
    finally:
        subprocess.run([*as_postgres, str(pg_bin / "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


def test_a_worker_carries_on_across_a_real_server_restart(private_cluster, definitions):
    url, restart = private_cluster
    with open_store(url, create=True) as store:
        engine = Engine(store, definitions, clock=ManualClock("2026-02-02T09:00:00+00:00"), profile=SE_PROFILE)
        cases = engine.import_cases([{"participant": f"p-{i:03}", **REFERRAL} for i in range(300)],
                                    process_id=SE).started
        restarts = 0
        failures: list[BaseException] = []
        done: Counter[str] = Counter()
        worker = threading.Thread(target=lambda: _catching(failures, lambda: done.update(drive(engine, cases))))
        worker.start()
        while worker.is_alive() and restarts < 3:
            time.sleep(0.2)
            restart()
            restarts += 1
        worker.join(timeout=300)
        assert failures == [] and not worker.is_alive()
        print(f"\nserver restarts: {restarts}, reconnects: {store.reconnects}")
        assert restarts >= 1 and store.reconnects >= 1
        check_exactly_once(store, done)


def _catching(failures, function):
    try:
        function()
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        failures.append(exc)
