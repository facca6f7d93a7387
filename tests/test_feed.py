"""The durable event feed on both backends: cursors, kinds, limits, named consumers, the CLI, a v6 store
upgraded, and (PostgreSQL) commit order under concurrent writer processes, across consumer restarts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

import pytest
from click.testing import CliRunner
from sedflow import Engine, JournalEntry, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import REFERRAL
from sedflow_cli.main import main
from test_store import at_version


def start(engine, n, prefix="p"):
    return [engine.start_case("supported_employment", f"{prefix}-{i:03}", REFERRAL).case_id for i in range(n)]


def seqs(entries):
    return [e.seq for e in entries]


def test_events_after_a_cursor_by_kind_with_a_limit(engine, store):
    start(engine, 3)
    everything = store.read_journal()
    assert seqs(engine.events()) == seqs(everything) and all(isinstance(e, JournalEntry) for e in everything)
    first = engine.events(limit=4)
    assert seqs(first) == seqs(everything[:4])
    assert seqs(engine.events(after=first[-1].seq)) == seqs(everything[4:])  # no gap, no repeat
    assert engine.events(after=everything[-1].seq) == []
    started = engine.events(kinds=["case_started"])
    assert len(started) == 3 and {e.kind for e in started} == {"case_started"}
    ready = engine.events(kinds={"task_ready", "case_started"}, limit=2)
    assert len(ready) == 2 and {e.kind for e in ready} <= {"task_ready", "case_started"}
    assert engine.events(kinds=[]) == []
    with pytest.raises(ValueError):
        engine.events(kinds=["no_such_kind"])


def test_a_consumer_sees_each_row_exactly_once_across_restarts(engine, store, definitions, clock):
    start(engine, 2)
    feed = engine.consumer("crm")
    assert feed.cursor == 0
    batch = feed.poll(limit=3)
    assert batch and feed.poll(limit=3) == batch  # not acknowledged: the same again
    assert feed.ack(batch[-1]) == batch[-1].seq
    seen = list(batch)
    start(engine, 2, prefix="q")
    restarted = Engine(store, definitions, clock=clock, profile=SE_PROFILE).consumer("crm")
    assert restarted.cursor == batch[-1].seq
    while rows := restarted.poll(limit=5):
        seen += rows
        restarted.ack(rows[-1].seq)
    assert seqs(seen) == seqs(store.read_journal())
    assert restarted.ack(batch[0].seq) == seen[-1].seq  # a cursor never moves back
    assert restarted.poll() == []


def test_two_consumers_are_independent(engine, store):
    start(engine, 2)
    a, b = engine.consumer("a"), engine.consumer("b")
    a.ack(a.poll(limit=100)[-1])
    assert a.poll() == [] and seqs(b.poll(limit=100)) == seqs(store.read_journal())
    b.ack(b.poll(limit=1)[0])
    assert b.cursor == store.read_journal()[0].seq and a.cursor == store.read_journal()[-1].seq


def test_a_version_6_store_upgrades_and_its_journal_is_in_the_feed(store_url, definitions, clock):
    at_version(store_url, 6)
    with open_store(store_url, migrate=True) as store:
        engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
        start(engine, 1)
    with open_store(store_url) as store:
        engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
        at_version_rows = store.read_journal()
        assert seqs(engine.events()) == seqs(at_version_rows)
        engine.consumer("x").ack(at_version_rows[-1])
        start(engine, 1, prefix="later")
        assert seqs(engine.consumer("x").poll()) == seqs(store.read_journal()[len(at_version_rows):])


def test_cli_events_json_lines_and_a_consumer_acknowledges_what_it_printed(engine, store, store_url):
    start(engine, 2)
    everything = store.read_journal()
    out = CliRunner().invoke(main, ["--store", store_url, "events", "--json"])
    assert out.exit_code == 0, out.output
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert [line["seq"] for line in lines] == seqs(everything) and lines[0]["kind"] == "case_started"
    after = CliRunner().invoke(main, ["--store", store_url, "events", "--json", "--after", str(everything[0].seq),
                                      "--kind", "task_ready", "--kind", "case_started", "--limit", "2"])
    rows = [json.loads(line) for line in after.output.splitlines()]
    expected = [e.seq for e in everything[1:] if e.kind in ("task_ready", "case_started")][:2]
    assert [r["seq"] for r in rows] == expected and len(rows) == 2
    first = CliRunner().invoke(main, ["--store", store_url, "events", "--json", "--consumer", "bi", "--limit", "3"])
    second = CliRunner().invoke(main, ["--store", store_url, "events", "--json", "--consumer", "bi"])
    printed = [json.loads(line)["seq"] for line in (first.output + second.output).splitlines()]
    assert printed == seqs(everything)  # each once
    assert CliRunner().invoke(main, ["--store", store_url, "events", "--consumer", "bi"]).output == ""
    text = CliRunner().invoke(main, ["--store", store_url, "events", "--limit", "1"])
    assert text.exit_code == 0 and "case_started" in text.output


# ------------------------------------------------------------------------------------ PostgreSQL commit order

def _postgres(store_url):
    if not store_url.startswith("postgresql"):
        pytest.skip("commit order differs from seq order on PostgreSQL only (SQLite has one writer at a time)")


def test_a_row_committed_later_with_a_smaller_seq_is_not_skipped(store_url, definitions, clock):
    _postgres(store_url)
    with open_store(store_url, create=True) as a, open_store(store_url) as b, open_store(store_url) as reader:
        ea, eb = (Engine(s, definitions, clock=clock, profile=SE_PROFILE) for s in (a, b))
        held_case = start(ea, 1, prefix="held")[0]
        feed = Engine(reader, definitions, clock=clock, profile=SE_PROFILE).consumer("c")
        seen = feed.poll(limit=None)
        feed.ack(seen[-1])
        row = a.read_journal(held_case)[0]
        with a.transaction() as tx:
            tx.append_journal([JournalEntry(case_id=held_case, at=row.at, kind=row.kind, process_id=row.process_id,
                                            definition_version=row.definition_version, data={"held": True})])
            start(eb, 1, prefix="meanwhile")  # commits rows with larger seqs while ours is uncommitted
            assert feed.poll(limit=None) == []  # held back behind the open transaction, not skipped past
        rest = feed.poll(limit=None)
        assert [e.data for e in rest].count({"held": True}) == 1
        assert sorted(seqs(seen + rest)) == seqs(reader.read_journal())


_WRITER = """
import sys
from sedflow import Engine, PROCESSES_DIR, load_directory, open_store
from sedflow.programmes.se import PROFILE
url, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
referral = {"referral_source": "PSYCHIATRY", "referral_channel": "PHONE", "gender": "F", "birth_year": 1998,
            "income_support": "AE_WORK_CAPACITY"}
with open_store(url) as store:
    engine = Engine(store, load_directory(PROCESSES_DIR), profile=PROFILE)
    for i in range(n):
        case = engine.start_case("supported_employment", f"{name}-{i:03}", referral)
        if i % 2:
            engine.withdraw_case(case.case_id, "MOVED", actor="w")
"""


def test_concurrent_writer_processes_and_a_polling_consumer_see_every_row_exactly_once(store_url, definitions,
                                                                                          clock):
    """Six writer processes commit while a consumer tails the feed; every few polls the consumer stops
    (its connection closed, some rows polled but not acknowledged: a crash) and a new one takes over its
    cursor from the store. The rows handled and acknowledged are every row, each once."""
    _postgres(store_url)
    writers_n, cases_n = 6, 40
    with open_store(store_url, create=True) as store:
        start(Engine(store, definitions, clock=clock, profile=SE_PROFILE), 1, prefix="seed")  # deploy first
    env = dict(os.environ)
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, store_url, f"w{k}", str(cases_n)], env=env,
                                stderr=subprocess.PIPE, text=True) for k in range(writers_n)]
    seen: list[JournalEntry] = []
    restarts, polls = 0, 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        writing = any(w.poll() is None for w in writers)
        with open_store(store_url) as store:  # a consumer process's life: until it "crashes"
            feed = Engine(store, definitions, clock=clock, profile=SE_PROFILE).consumer("integration")
            for _ in range(5):
                batch = feed.poll(limit=7)
                polls += 1
                if not batch:
                    break
                seen += batch
                feed.ack(batch[-1])
            feed.poll(limit=3)  # polled, never acknowledged: these come again after the restart
        restarts += 1
        if not writing and not batch:
            break
    for w in writers:
        _, err = w.communicate(timeout=60)
        assert w.returncode == 0, err
    with open_store(store_url) as store:
        everything = store.read_journal()
    counts = Counter(seqs(seen))
    print(f"\nfeed: {len(everything)} rows from {writers_n} writer processes, {polls} polls, {restarts} consumer "
          f"restarts, missed {len(set(seqs(everything)) - set(counts))}, twice {sum(c > 1 for c in counts.values())}")
    assert [s for s, c in counts.items() if c > 1] == []  # none twice
    assert sorted(counts) == seqs(everything)  # none skipped
    assert len({e.case_id for e in everything}) == writers_n * cases_n + 1 and restarts > 3


def test_cli_events_follow_polls_until_interrupted(engine, store, store_url, monkeypatch):
    from sedflow_cli.commands import events as events_command
    start(engine, 1)
    polls = []

    def sleep(seconds):  # the second idle wait is the interrupt
        polls.append(seconds)
        if len(polls) == 1:
            start(engine, 1, prefix="later")
        else:
            raise KeyboardInterrupt
    monkeypatch.setattr(events_command.time, "sleep", sleep)
    out = CliRunner().invoke(main, ["--store", store_url, "events", "--follow", "--json", "--consumer", "tail",
                                    "--interval", "0.1"])
    assert out.exit_code == 0, out.output
    assert [json.loads(line)["seq"] for line in out.output.splitlines()] == seqs(store.read_journal())
    assert engine.consumer("tail").cursor == store.read_journal()[-1].seq and polls == [0.1, 0.1]
