"""The real CLI: click's runner for most commands, a subprocess on a pseudo-terminal for prompting."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time

import click
import pytest
import sedflow
from click.testing import CliRunner
from sedflow import PROCESSES_DIR, Engine, ManualClock, UnknownCaseError, load_directory, open_store
from sedflow.definitions import load_sources
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import REFERRAL, TIMERS, fill
from journals import JOURNALS
from paths import OUTCOMES, PATHS
from sedflow_cli.main import COMMANDS, main

DEFS = load_directory(PROCESSES_DIR)
SE = DEFS.get("supported_employment")
ST = DEFS.get("supported_training")


@pytest.fixture
def cli(store_url):
    runner = CliRunner()
    store = store_url

    def run(*args, code=0):
        result = runner.invoke(main, ["--store", store, *map(str, args)])
        assert result.exit_code == code, (result.output, result.stderr if hasattr(result, "stderr") else "")
        return result
    run("init")
    return run


def sets(data):
    return [arg for k, v in data.items() for arg in ("--set", f"{k}={str(v).lower() if isinstance(v, bool) else v}")]


def form_of(element_id):
    info = SE.element("supported_employment", element_id) or ST.element("supported_training", element_id)
    return info.form


def start(cli, participant="p-cli"):
    out = json.loads(cli("case", "start", "supported_employment", "--participant", participant, *sets(REFERRAL),
                         "--actor", "coach-9", "--json").output)
    return out["case_id"]


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_end_event_through_the_cli(cli, path):
    case_id = start(cli)
    for element_id, choices in PATHS[path]:
        tasks = json.loads(cli("case", "tasks", case_id, "--json").output)
        assert element_id in [t["element_id"] for t in tasks]
        cli("case", "complete", case_id, element_id, *sets(fill(form_of(element_id), choices)), "--actor", "coach-9")
    shown = json.loads(cli("case", "show", case_id, "--json").output)
    assert (shown["status"], shown["outcome"], shown["end_reason"]) == ("completed", *OUTCOMES[path])
    history = json.loads(cli("case", "history", case_id, "--json").output)
    compact = [f"{e['kind']} {e['element_id']}".removesuffix(" None")
               + (f" ->{','.join(e['data']['to'])}" if e["kind"] == "gateway_taken" else "") for e in history]
    # The CLI runs on the system clock, so the monthly follow-up timer has not come due: compare without
    # that branch (the API test asserts the whole journal under the simulated clock).
    def stage_work(lines):
        return [line for line in lines if "followup_due" not in line and "monthly_followup" not in line]
    assert stage_work(compact) == stage_work([line.strip() for line in JOURNALS[path].strip().splitlines()])
    assert {e["actor"] for e in history if e["kind"] == "task_completed"} == {"coach-9"}
    assert history[0]["data"] == REFERRAL  # typed from the --set strings by the start form


def test_withdraw_and_lists(cli):
    first, second = start(cli), start(cli, "p-cli-2")
    cli("case", "complete", first, "first_contact", "--set", "first_contact_date=2026-02-03")
    listed = cli("case", "list", "--stage", "agreement").output
    assert first in listed and second in listed and "2 case(s)" in listed
    queue = json.loads(cli("tasks", "--lane", "coach", "--json").output)
    assert {(t["case_id"], t["element_id"]) for t in queue} == {(first, "information_dialogue"),
                                                               (second, "first_contact")}
    out = cli("case", "withdraw", second, "--reason", "HEALTH").output
    assert "status withdrawn" in out and "end reason HEALTH" in out
    assert second not in cli("case", "list", "--status", "active").output
    history = cli("case", "history", second).output
    assert "task_cancelled" in history and "case_ended" in history and "NO_OUTCOME/HEALTH" in history
    assert "information_dialogue" in cli("case", "tasks", first).output


def test_processes_commands(cli):
    listed = cli("processes", "list").output
    assert f"supported_employment     {SE.version}" in listed
    shown = json.loads(cli("processes", "show", "supported_employment", "--json").output)
    ids = {e["id"] for e in shown["elements"]}
    assert {"agreement", "st_followup", "end_withdrawn"} <= ids
    assert "Överenskommelse med klient" in cli("processes", "show", "supported_employment").output


@pytest.mark.parametrize("args, code, message", [
    (["case", "show", "nope"], 4, "error: unknown case 'nope'"),
    (["case", "start", "nope", "--participant", "p-1"], 4, "error: unknown process 'nope'"),
    (["case", "start", "supported_employment", "--participant", "19980101-1234"], 5, "pseudonymous"),
    (["case", "start", "supported_employment", "--participant", "p-1", *sets({**REFERRAL, "gender": "Q"})], 5,
     "task 'referral_received', field 'gender' (Kön): 'Q' is not one of F, M, X"),
    (["case", "start", "supported_employment", "--participant", "p-1", "--set", "nokey"], 2, "is not key=value"),
    (["case", "withdraw", "nope", "--reason", "MOVED"], 4, "unknown case"),
    (["case", "start", "supported_employment", "--participant", "p-1", "--data", "/dev/null"], 5, "not JSON"),
    (["due", "--now", "tomorrow"], 2, "is not an ISO 8601"),
    (["report", "html"], 2, "needs OUT_DIR"),
    (["report", "funnel", "--format", "xlsx"], 2, "needs --output"),
    (["report", "funnel", "--from", "2026-01-01"], 2, "give both --from and --to"),
])
def test_errors_are_one_line_with_an_exit_code(cli, args, code, message):
    result = cli(*args, code=code)
    assert message in result.output and "Traceback" not in result.output


def test_conflict_exit_code(cli):
    case_id = start(cli)
    revision = json.loads(cli("case", "show", case_id, "--json").output)["revision"]
    cli("case", "complete", case_id, "first_contact", "--set", "first_contact_date=2026-02-03",
        "--expect-revision", revision)
    result = cli("case", "complete", case_id, "information_dialogue", "--set", "needs_more_information=false",
                 "--expect-revision", revision, code=7)
    assert f"is at revision {revision + 1}, not {revision}" in result.output


def test_bad_task_data_exits_5_and_writes_nothing(cli):
    case_id = start(cli)
    before = cli("case", "history", case_id, "--json").output
    result = cli("case", "complete", case_id, "first_contact", "--set", "first_contact_date=yesterday", code=5)
    assert "field 'first_contact_date'" in result.output
    assert cli("case", "history", case_id, "--json").output == before


def test_debug_shows_the_traceback(cli):
    result = cli("--debug", "case", "show", "nosuchcase", code=1)
    assert isinstance(result.exception, UnknownCaseError) and "unknown case 'nosuchcase'" in str(result.exception)
    assert "error:" not in result.output  # the error is raised, not turned into a line and an exit code


def test_missing_store_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "none.db"), "case", "list"])
    assert result.exit_code == 8 and "sedflow init" in result.output


def test_demo_runs_synthetic_participants_to_their_end(store_url):
    result = CliRunner().invoke(main, ["--store", store_url, "demo", "--participants", "30",
                                       "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "30 participants" in result.output and "cases by outcome:" in result.output
    statuses = dict(part.rsplit(" ", 1) for part in
                    result.output.split("cases by status:  ")[1].splitlines()[0].split(", "))
    assert sum(map(int, statuses.values())) == 30 and "active" not in statuses


def on_terminal(cmd, keys=b""):
    """Run ``cmd`` with stdin, stdout and stderr on a pseudo-terminal (as in a person's shell), typing
    ``keys``; return its exit code and everything it wrote."""
    master, slave = os.openpty()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    os.write(master, keys)
    output = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        if select.select([master], [], [], 1)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed: the command has ended
                break
            if not chunk:
                break
            output += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, output.decode()


def test_complete_prompts_for_the_form_in_a_terminal(tmp_path):
    store = str(tmp_path / "tty.db")
    base = [sys.executable, "-m", "sedflow_cli.main", "--store", store]
    subprocess.run(base + ["init"], check=True, capture_output=True)
    started = subprocess.run(base + ["case", "start", "supported_employment", "--participant", "p-tty", *sets(REFERRAL),
                                     "--json"], check=True, capture_output=True, text=True)
    case_id = json.loads(started.stdout)["case_id"]
    # a wrong date first (re-asked), then the date, then Enter for each optional field, and for "Record this?"
    code, text = on_terminal(base + ["case", "complete", case_id, "first_contact"],
                             b"2026-13-01\n2026-02-03\nPHONE\n\n\n\n")
    assert code == 0, text
    assert "Datum för första kontakt" in text or "first_contact_date" in text
    assert "expected a date" in text and "PHONE" in text
    history = subprocess.run(base + ["case", "history", case_id, "--json"], check=True, capture_output=True, text=True)
    done = [e for e in json.loads(history.stdout) if e["kind"] == "task_completed"]
    assert done[0]["data"] == {"first_contact_date": "2026-02-03", "contact_mode": "PHONE"}


def test_case_import_checks_every_row_then_starts_in_batches(cli, tmp_path):
    header = "participant,process," + ",".join(REFERRAL)
    rows = [f"p-{n:03d},supported_employment," + ",".join(str(v) for v in REFERRAL.values()) for n in range(12)]
    good = tmp_path / "cases.csv"
    good.write_text("\n".join([header, *rows]) + "\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([header, *rows[:5], rows[5].replace(",F,", ",Q,"), *rows[6:]]) + "\n")
    failed = cli("case", "import", str(bad), code=5)
    assert "row 6:" in failed.output and "field 'gender'" in failed.output
    assert "0 case(s)" in cli("case", "list").output  # nothing written
    done = cli("case", "import", str(good), "--batch", "5")
    assert "12 case(s) started" in done.output
    assert "12 case(s)" in cli("case", "list", "--stage", "agreement").output
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text("\n".join(json.dumps({"participant": f"q-{n}", **REFERRAL}) for n in range(3)) + "\n")
    assert "3 case(s) started" in cli("case", "import", str(jsonl), "--process", "supported_employment").output
    history = json.loads(cli("case", "history", json.loads(cli("case", "list", "--participant", "q-2",
                                                                "--json").output)[0]["case_id"], "--json").output)
    assert history[0]["kind"] == "case_started" and history[0]["data"] == REFERRAL




def test_tick_progress_bar_moves_to_the_end(store_url, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "camunda_timers.bpmn").write_bytes(TIMERS)
    with open_store(store_url, create=True) as store:
        engine = Engine(store, load_sources({"camunda_timers.bpmn": TIMERS}), clock=ManualClock("2026-01-01T08:00:00Z"),
                        profile=SE_PROFILE)
        for n in range(4):  # each with a reminder cycle (R3/PT10H) first due at 18:00
            engine.start_case("camunda_timers", f"p-{n}", {"start_date": "2026-01-01"})
    code, text = on_terminal([sys.executable, "-m", "sedflow_cli.main", "--store", store_url, "--processes",
                              str(tmp_path / "p"), "tick", "--progress", "--now", "2026-01-01T18:00:00+00:00"])
    assert code == 0, text
    shown = re.findall(r"tick\s+\[[#-]+\]\s+(\d+)%", text)  # every frame the bar drew, in order
    assert shown[0] == "0" and shown[-1] == "100" and {"25", "50", "75"} <= set(shown), text
    assert "4 timer(s) fired in 4 case(s)" in text


def test_help_lists_every_command_without_importing_them():
    probe = ("import sys; from sedflow_cli.main import main; main(['--help'], standalone_mode=False); print(sorted("
             "m for m in sys.modules if m.split('.')[0] == 'sedflow' or m.startswith('sedflow_cli.commands')))")
    run = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert run.stdout.strip().splitlines()[-1] == "[]"  # neither the library nor a command module
    for name in COMMANDS:
        assert re.search(rf"^  {name}\s+\S", run.stdout, re.MULTILINE), name
    with click.Context(main) as ctx:  # the table's short help is each command's own
        for name, lazy in COMMANDS.items():
            assert main.get_command(ctx, name).get_short_help_str(limit=500) == lazy.short_help, name


def test_help_lists_every_exit_code_of_the_error_tree():
    epilog = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    def tree(cls: type[sedflow.errors.SedflowError]) -> set[int]:
        return {cls.exit_code}.union(*(tree(sub) for sub in cls.__subclasses__()))
    codes = tree(sedflow.errors.SedflowError) | {0, 2}
    assert codes == set(range(11))
    for code in codes:
        assert re.search(rf"[:,] {code} \w", epilog), code


def assert_opens_and_closes_one_store(cli, monkeypatch, args, code):
    """Run a command, watching ``sedflow.open_store``: one store opened for the invocation, and closed."""
    opened, closed = [], []
    real_open = sedflow.open_store

    def open_store_spied(*how, **kw):
        store = real_open(*how, **kw)
        real_close = store.close
        opened.append(store)

        def close():
            closed.append(store)
            real_close()
        store.close = close
        return store
    monkeypatch.setattr(sedflow, "open_store", open_store_spied)
    cli(*args, code=code)
    assert len(opened) == 1 and closed == opened


@pytest.mark.parametrize("args, code", [
    (["case", "list"], 0),
    (["case", "show", "nosuchcase"], 4),
    (["case", "migrate", "--all", "--to", "ffffffff"], 4),
    (["processes", "versions"], 0),
    (["store", "info"], 0),
    (["tick", "--progress"], 0),
    (["report", "funnel"], 0),
])
def test_every_command_closes_the_store_it_opened(cli, monkeypatch, args, code):
    assert_opens_and_closes_one_store(cli, monkeypatch, args, code)


def test_export_closes_the_store(cli, monkeypatch, tmp_path):
    start(cli)
    assert_opens_and_closes_one_store(cli, monkeypatch, ["export", "xes", tmp_path / "x.xes"], 0)


def test_cancel_and_withdraw_are_one_command_with_their_own_help(cli):
    withdraw, cancel = (main.get_command(click.Context(main), "case").get_command(click.Context(main), name)
                        for name in ("withdraw", "cancel"))
    assert withdraw.callback.__code__ is cancel.callback.__code__  # one implementation, registered twice
    assert "participant leaves" in cli("case", "withdraw", "--help").output
    assert "Administrative stop" in cli("case", "cancel", "--help").output
    assert "REGISTRATION_ERROR" in cli("case", "cancel", "--help").output
    case_id = start(cli)
    cancelled = json.loads(cli("case", "cancel", case_id, "--reason", "REGISTRATION_ERROR", "--actor", "admin",
                               "--json").output)
    assert (cancelled["status"], cancelled["outcome"], cancelled["end_reason"]) == (
        "cancelled", "NO_OUTCOME", "REGISTRATION_ERROR")
    ended = cli("case", "history", case_id, "--json").output
    assert {e["actor"] for e in json.loads(ended) if e["kind"] == "case_ended"} == {"admin"}
    assert "has ended" in cli("case", "withdraw", case_id, "--reason", "MOVED", code=6).output
    assert "unknown case" in cli("case", "cancel", "nope", "--reason", "REGISTRATION_ERROR", code=4).output


def value_for(field):
    """A value for a field read from JSON alone: its first option, its minimum, or one of its type."""
    if field["options"]:
        return field["options"][0]["id"]
    if field["type"] == "long":
        return field["constraints"].get("min") or 1
    return {"boolean": "true", "date": "2026-02-02"}.get(field["type"], "text")


def test_processes_show_json_is_enough_to_start_a_case(cli):
    shown = json.loads(cli("processes", "show", "supported_employment", "--json").output)
    form = shown["start_form"]
    assert form["element_id"] == SE.start_event.id
    assert form["fields"] == [f.to_dict() for f in SE.start_form.fields]
    data = {f["id"]: value_for(f) for f in form["fields"] if f["required"]}
    case_id = json.loads(cli("case", "start", shown["process_id"], "--participant", "p-json", *sets(data),
                             "--json").output)["case_id"]
    history = json.loads(cli("case", "history", case_id, "--json").output)
    assert history[0]["kind"] == "case_started" and set(history[0]["data"]) >= set(data)
    # an element's fields are the structured fields 'case tasks --json' gives
    [ready] = json.loads(cli("case", "tasks", case_id, "--json").output)
    [element] = [e for e in shown["elements"] if e["id"] == ready["element_id"]]
    assert element["fields"] == ready["fields"] and element["fields"][0]["label"]
