"""No raw Python error from any input: hostile and broken input through the API and the real CLI.

Every input of issue 15's list (and issue 14's texts) is refused with a sedflow error naming the field,
row or parameter, the CLI exits non-zero with one ``error:`` line and no traceback, and nothing is
written. The CLI cases run ``sedflow`` as a subprocess, so that non-UTF-8 bytes reach it as a terminal
would pass them (``argv`` bytes, decoded with surrogate escapes).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest
from sedflow import TaskDataError, open_store
from sedflow.definitions.forms import FormField
from sedflow.programmes.se import RULES
from sedflow.text import clean_text, printable

from conftest import REFERRAL

SE = "supported_employment"
DEEP = "[" * 100_000 + "]" * 100_000


def referral_args(**over):
    return [a for k, v in {**REFERRAL, **over}.items() for a in ("--set", f"{k}={v}")]


# --------------------------------------------------------------------------------------------- the API

@pytest.mark.parametrize("value, why", [
    (10 ** 5000, "outside 64 bits"), ("9" * 5000, "at most 19 digits"), (2 ** 63, "outside 64 bits"),
], ids=["int-5001-digits", "text-5000-digits", "2**63"])
def test_huge_numbers_are_refused_by_the_form(value, why):
    with pytest.raises(TaskDataError, match=why) as refused:
        FormField("birth_year", "Födelseår", "long").coerce(value, "start")
    assert refused.value.field == "birth_year"


@pytest.mark.parametrize("text, why", [
    ("a\x00b", "U\\+0000"), ("\x1b[2J\x1b[31mred", "U\\+001B"), ("ok\x9bX", "U\\+009B"), ("\u202egnp.exe", "U\\+202E"),
    ("\udcff", "lone surrogate"), ("x" * 5000, "at most 4000"), ("19900101–1234", "identity number"),
    ("19900101 1234", "identity number"), ("9001011234", "identity number"), ("19900101—1234", "identity number"),
])
def test_stored_text_is_checked_in_one_place(text, why):
    with pytest.raises(TaskDataError, match=why) as refused:
        clean_text(text, field="note", identifier_in=RULES.identifier_in)
    assert refused.value.field == "note"


def test_text_is_normalised_and_prose_keeps_its_line_breaks():
    assert clean_text("Cafe\u0301\r\nrad två\tslut", field="n", prose=True) == "Café\nrad två\tslut"
    with pytest.raises(TaskDataError):
        clean_text("two\nlines", field="actor")
    field = FormField("note", "Anteckning", "string", constraints={"maxlength": "5"})
    with pytest.raises(TaskDataError, match="6 characters; at most 5"):
        field.coerce("sex ch", "t")
    assert printable("a\x1b[31m\udcff\u202e") == "a\\x1b[31m\\udcff\\u202e"


@pytest.mark.parametrize("call", [
    lambda e, c: e.start_case(SE, "p-2", {**REFERRAL, "referral_unit": "\x1b]0;pwned\x07"}),
    lambda e, c: e.start_case(SE, "p-2", {**REFERRAL, "birth_year": 10 ** 5000}),
    lambda e, c: e.start_case(SE, "p-2", REFERRAL, actor="19900101–1234"),
    lambda e, c: e.start_case(SE, "p-2", REFERRAL, actor="coach\udcff"),
    lambda e, c: e.start_case(SE, "p-\udcff", REFERRAL),
    lambda e, c: e.start_case(SE, "p-2", REFERRAL, case_id="c\x00"),
    lambda e, c: e.start_case(SE, "p-2", REFERRAL, variables={"note": "\x00"}),
    lambda e, c: e.complete_task(c, "first_contact", {"first_contact_date": 10 ** 5000}),
    lambda e, c: e.complete_task(c, "first_contact", {"first_contact_date": "2026-02-03"}, actor="a\x1b[0m"),
    lambda e, c: e.complete_task("c\udcff", "first_contact"),
    lambda e, c: e.suspend_case(c, "sick\x00"),
    lambda e, c: e.suspend_case(c, "about 19900101–1234"),
    lambda e, c: e.update_case_data(c, {"referral_unit": "x" * 1_000_000}, "fix"),
    lambda e, c: e.withdraw_case(c, "MOVED", actor="\udc80"),
    lambda e, c: e.correlate_message("participant_withdrawal", case_id=c, data={"k": "\udc80"}),
    lambda e, c: e.correlate_message("participant_withdrawal", participant="p-\udc80", process_id=SE),
    lambda e, c: e.import_cases([{"participant": 5, **REFERRAL}], process_id=SE),
    lambda e, c: e.import_cases([{"participant": "p-3", "process": ["x"], **REFERRAL}]),
    lambda e, c: e.list_tasks(lane="\udcff"),
    lambda e, c: e.show_case("\udcff"),
], ids=lambda f: "")
def test_hostile_api_calls_raise_sedflow_errors_and_write_nothing(engine, store, call):
    from sedflow import SedflowError
    case = engine.start_case(SE, "p-1", REFERRAL)
    before = (store.query("SELECT count(*), sum(revision) FROM cases")[0], len(store.read_journal()))
    with pytest.raises(SedflowError):
        call(engine, case.case_id)
    assert (store.query("SELECT count(*), sum(revision) FROM cases")[0], len(store.read_journal())) == before


# --------------------------------------------------------------------------------------------- the CLI

def sedflow(store_url, *args, stdin=None):
    """Run the real CLI; ``args`` may be bytes (passed to the process as they are)."""
    argv = [sys.executable.encode(), b"-m", b"sedflow_cli.main", b"--store", store_url.encode(),
            *(a if isinstance(a, bytes) else str(a).encode() for a in args)]
    return subprocess.run(argv, capture_output=True, timeout=120, env=os.environ.copy(), input=stdin)


def one_error_line(result):
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode not in (0, None), err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.lower().startswith("error:")]
    assert len(lines) == 1, err
    assert "\x1b" not in err and "\x00" not in err  # never a control character to the terminal
    return result.returncode, lines[0]


@pytest.fixture
def cli_store(store_url, tmp_path):
    with open_store(store_url, create=True) as store:
        from sedflow import PROCESSES_DIR, Engine, load_directory
        from sedflow.programmes.se import PROFILE
        case = Engine(store, load_directory(PROCESSES_DIR), profile=PROFILE).start_case(SE, "p-1", REFERRAL)
    return store_url, case.case_id, tmp_path


def _files(tmp):
    random.seed(15)
    files = {
        "deep.json": DEEP.encode(), "array.json": b'["a", "b"]', "latin1.json": '{"referral_unit": "Gävle"}'
        .encode("latin-1"), "latin1.csv": ("participant,gender\nå-1,F\n").encode("latin-1"),
        "random.csv": random.randbytes(4000), "random.jsonl": random.randbytes(4000),
        "deep.jsonl": DEEP.encode() + b"\n", "nul.csv": b"participant,gender\np-9,F\x00\n",
        "number.jsonl": json.dumps({"participant": 7, **REFERRAL}).encode() + b"\n",
        "huge.jsonl": json.dumps({"participant": "p-8", **REFERRAL, "birth_year": "9" * 5000}).encode() + b"\n",
        "escape.jsonl": json.dumps({"participant": "p-7", **REFERRAL, "referral_unit": "\x1b[31m"}).encode() + b"\n",
    }
    for name, content in files.items():
        (tmp / name).write_bytes(content)
    return {name: str(tmp / name) for name in files}


#: Hostile command lines: (arguments with {case} and {file:NAME} filled in, the exit code expected).
HOSTILE = [
    (["case", "start", SE, "--participant", "p-2", *referral_args(birth_year="9" * 5000)], 5),
    (["case", "start", SE, "--participant", "p-2", *referral_args(referral_unit="\x1b[2J\x1b[31mred")], 5),
    (["case", "start", SE, "--participant", "p-2", *referral_args(), "--set", b"referral_unit=\xff\xfe"], 5),
    (["case", "start", SE, "--participant", b"p-\xff", *referral_args()], 5),
    (["case", "start", SE, "--participant", "p-2", *referral_args(), "--actor", b"coach-\xff"], 5),
    (["case", "start", SE, "--participant", "p-2", *referral_args(), "--actor", "19900101–1234"], 5),
    (["case", "start", SE, "--participant", "p-2", *referral_args(), "--actor", "19900101 1234"], 5),
    (["case", "start", SE, "--participant", "p-2", *referral_args(referral_unit="x" * 100_000)], 5),
    (["case", "start", SE, "--participant", "p-2", "--data", "{file:deep.json}"], 5),
    (["case", "start", SE, "--participant", "p-2", "--data", "{file:array.json}"], 5),
    (["case", "start", SE, "--participant", "p-2", "--data", "{file:latin1.json}"], 5),
    (["case", "start", SE, "--participant", "p-2", *referral_args(), "--var", "x=" + DEEP[:20_000] + "]"], 5),
    (["case", "start", SE, "--participant", "p-1", *referral_args()], 6),
    (["case", "show", b"c-\xff"], 5),
    (["case", "history", "c\x1b[31m"], 4),
    (["case", "complete", "{case}", "first_contact", "--set", "first_contact_date=" + "9" * 5000], 5),
    (["case", "complete", "{case}", "first_contact", "--set", "first_contact_date=2026-02-03", "--actor",
      "a\x1b[0m"], 5),
    (["case", "suspend", "{case}", "--reason", b"sick-\xff"], 5),
    (["case", "suspend", "{case}", "--reason", "sick\x07"], 5),
    (["case", "set", "{case}", "--set", "referral_unit=\x7f", "--reason", "fix"], 5),
    (["case", "withdraw", "{case}", "--reason", "MOVED\x1b"], 5),  # (no NUL: an argv cannot hold one)
    (["case", "import", "{file:latin1.csv}", "--process", SE], 5),
    (["case", "import", "{file:random.csv}", "--process", SE], 5),
    (["case", "import", "{file:random.jsonl}", "--process", SE], 5),
    (["case", "import", "{file:deep.jsonl}", "--process", SE], 5),
    (["case", "import", "{file:nul.csv}", "--process", SE], 5),
    (["case", "import", "{file:number.jsonl}", "--process", SE], 5),
    (["case", "import", "{file:huge.jsonl}", "--process", SE], 5),
    (["case", "import", "{file:escape.jsonl}", "--process", SE], 5),
    (["case", "import", "{file:number.jsonl}", "--batch", "0"], 2),
    (["case", "import", "{file:number.jsonl}", "--encoding", "klingon"], 2),
    (["tick", "--now", "9999-12-31T23:00:00+00:00"], 2),
    (["tick", "--now", "0001-01-01T00:00:00+01:00"], 2),
    (["tasks", "--lane", b"\xff"], 5),
    (["case", "list", "--participant", b"p-\xff"], 5),
    (["message", "send", "participant_withdrawal", "--participant", b"p-\xff", "--process", SE], 5),
    (["message", "send", "participant_withdrawal", "--case", "{case}", "--set", b"k=\xff"], 5),
]


@pytest.mark.parametrize("args, code", HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_cli_input_is_one_error_line_and_writes_nothing(cli_store, args, code):
    url, case_id, tmp = cli_store
    files = _files(tmp)

    def fill(arg):
        if isinstance(arg, bytes):
            return arg
        arg = arg.replace("{case}", case_id)
        return files[arg[6:-1]] if arg.startswith("{file:") else arg
    with open_store(url) as store:
        before = store.query("SELECT count(*), sum(revision) FROM cases")[0], len(store.read_journal())
    result = sedflow(url, *map(fill, args))
    assert one_error_line(result)[0] == code, result.stderr
    with open_store(url) as store:
        assert (store.query("SELECT count(*), sum(revision) FROM cases")[0], len(store.read_journal())) == before


def test_spreadsheet_encodings_are_read_or_named(cli_store):
    url, _, tmp = cli_store
    header = "participant," + ",".join(REFERRAL) + ",referral_unit\n"
    row = ",".join(str(v) for v in REFERRAL.values())
    (tmp / "bom.csv").write_bytes(("\ufeff" + header + f"p-bom,{row},Gävle\n").encode("utf-8"))
    (tmp / "cp1252.csv").write_bytes((header + f"p-cp,{row},Sölvesborg\n").encode("cp1252"))
    assert sedflow(url, "case", "import", tmp / "bom.csv", "--process", SE).returncode == 0
    refused = sedflow(url, "case", "import", tmp / "cp1252.csv", "--process", SE)
    assert "--encoding cp1252" in one_error_line(refused)[1] and "line 2" in one_error_line(refused)[1]
    assert sedflow(url, "case", "import", tmp / "cp1252.csv", "--process", SE, "--encoding", "cp1252").returncode == 0
    with open_store(url) as store:
        units = {c.participant: c.data.get("referral_unit") for c in store.list_cases()}
    assert units["p-bom"] == "Gävle" and units["p-cp"] == "Sölvesborg"


def test_a_wrong_postgresql_port_is_one_line(tmp_path):
    result = sedflow("postgresql://postgres@127.0.0.1:1/test", "case", "list")
    code, line = one_error_line(result)
    assert code == 8 and "127.0.0.1" in line and len(result.stderr.decode().strip().splitlines()) == 1
