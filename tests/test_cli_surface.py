"""What the person typing meets (issue 14): root options wherever they are put, hints that paste as they
are, a quiet tick, the loser of a race told who won, usage errors for the caller's slips, and packaging.
The real CLI through click's runner and a subprocess, on real stores.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import sedflow
from click.testing import CliRunner
from sedflow import Engine, RecordConflictError, UnknownTaskError

from conftest import REFERRAL
from sedflow_cli.main import hoist_global_options, main

ROOT = Path(__file__).resolve().parent.parent


def sets(data):
    return [arg for k, v in data.items() for arg in ("--set", f"{k}={v}")]


def test_root_options_are_taken_after_the_subcommand_too(tmp_path):
    runner = CliRunner()
    store = tmp_path / "late.db"
    assert runner.invoke(main, ["init", "--store", str(store)]).exit_code == 0
    assert store.exists()
    started = runner.invoke(main, ["case", "start", "supported_employment", "--participant", "p-1",
                                   *sets(REFERRAL), f"--store={store}", "--json"])
    assert started.exit_code == 0, started.output
    listed = runner.invoke(main, ["case", "list", "--store", str(store), "--debug"])
    assert json.loads(started.output)["case_id"] in listed.output
    # Nothing after "--" is touched, and a value that looks like an option stays with its option.
    assert hoist_global_options(["case", "set", "--reason", "x", "--", "--store", "y"]) == \
        ["case", "set", "--reason", "x", "--", "--store", "y"]
    assert hoist_global_options(["demo", "--debug", "--processes", "d", "--seed", "2"]) == \
        ["--debug", "--processes", "d", "demo", "--seed", "2"]


def test_the_scenario_hint_pastes_as_it_is(tmp_path):
    store = tmp_path / "natkraft store.db"  # a space: the hint must quote it
    out = CliRunner().invoke(main, ["demo", "--scenario", "natkraft", "--store", str(store)])
    assert out.exit_code == 0, out.output
    [hint] = [line for line in out.output.splitlines() if line.startswith("report with: ")]
    args = shlex.split(hint.removeprefix("report with: "))[1:]
    report = CliRunner().invoke(main, args)
    assert report.exit_code == 0, report.output
    assert "Kvinnor" in report.output and str(store) in hint


def test_a_quiet_tick_prints_nothing_when_nothing_fired(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "q.db")
    runner.invoke(main, ["--store", store, "init"])
    quiet = runner.invoke(main, ["--store", store, "tick", "--quiet"])
    assert (quiet.exit_code, quiet.output) == (0, "")
    loud = runner.invoke(main, ["--store", store, "tick"])
    assert "0 timer(s) fired" in loud.output


def test_the_loser_of_a_completion_is_told_who_completed_it_and_a_typo_is_told_apart(engine):
    case = engine.start_case("supported_employment", "p-race", REFERRAL)
    first = case.tasks[0].element_id
    stale = engine.show_case(case.case_id)
    engine.complete_task(case.case_id, first, _form_data(engine, case.case_id, first), actor="coach-1")
    with pytest.raises(RecordConflictError) as lost:
        engine.complete_task(stale.case_id, first, {}, actor="coach-2")
    assert f"task '{first}'" in str(lost.value) and "already completed by coach-1 at 2026-02-02T09:00:00" in \
        str(lost.value)
    revision = engine.store.get_case(case.case_id).revision
    with pytest.raises(UnknownTaskError, match="has no task 'frist_contact'") as typo:
        engine.complete_task(case.case_id, "frist_contact", {})
    assert first in str(typo.value)
    assert engine.store.get_case(case.case_id).revision == revision


def _form_data(engine: Engine, case_id: str, element: str) -> dict:
    from conftest import fill
    [task] = [t for t in engine.list_tasks(case_id=case_id) if t.element_id == element]
    return fill(task.form)


def test_a_revision_not_yet_reached_is_a_usage_error_and_a_past_one_a_conflict(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "r.db")
    runner.invoke(main, ["--store", store, "init"])
    case = json.loads(runner.invoke(main, ["--store", store, "case", "start", "supported_employment",
                                           "--participant", "p-1", *sets(REFERRAL), "--json"]).output)
    ahead = runner.invoke(main, ["--store", store, "case", "set", case["case_id"], "--set", "gender=M",
                                 "--reason", "fel", "--expect-revision", str(case["revision"] + 5)])
    assert ahead.exit_code == 2 and "--expect-revision" in ahead.output and "has not happened yet" in ahead.output
    runner.invoke(main, ["--store", store, "case", "set", case["case_id"], "--set", "gender=M", "--reason", "fel"])
    behind = runner.invoke(main, ["--store", store, "case", "set", case["case_id"], "--set", "gender=F",
                                  "--reason", "fel", "--expect-revision", str(case["revision"])])
    assert behind.exit_code == 7


def test_the_store_option_names_postgresql():
    out = CliRunner().invoke(main, ["--help"]).output
    assert "postgresql://" in out


def test_python_m_sedflow_runs_the_cli_and_the_package_has_a_version_and_a_licence():
    run = subprocess.run([sys.executable, "-m", "sedflow", "--version"], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == f"sedflow, version {sedflow.__version__}" and sedflow.__version__[0].isdigit()
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert (ROOT / "sedflow" / "py.typed").exists()


def test_times_are_shown_in_local_time_with_their_offset_and_kept_in_utc_in_json(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "t.db")
    runner.invoke(main, ["--store", store, "init"])
    case = json.loads(runner.invoke(main, ["--store", store, "case", "start", "supported_employment",
                                           "--participant", "p-1", *sets(REFERRAL), "--json"]).output)
    history = json.loads(runner.invoke(main, ["--store", store, "case", "history", case["case_id"], "--json"],
                                       env={"SEDFLOW_TZ": None, "TZ": None}).output)
    from datetime import datetime
    from zoneinfo import ZoneInfo
    at = datetime.fromisoformat(history[0]["at"])
    assert at.utcoffset().total_seconds() == 0  # JSON: UTC
    stockholm = at.astimezone(ZoneInfo("Europe/Stockholm"))
    shown = runner.invoke(main, ["--store", store, "case", "history", case["case_id"]],
                          env={"SEDFLOW_TZ": None, "TZ": None}).output
    offset = stockholm.strftime("%z")
    assert f"{stockholm:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}" in shown
    utc = runner.invoke(main, ["--store", store, "case", "history", case["case_id"]], env={"SEDFLOW_TZ": "UTC"}).output
    assert f"{at:%Y-%m-%d %H:%M} +00:00" in utc
    tokyo = runner.invoke(main, ["--store", store, "case", "history", case["case_id"]],
                          env={"SEDFLOW_TZ": None, "TZ": "Asia/Tokyo"}).output
    assert "+09:00" in tokyo
    bad = runner.invoke(main, ["--store", store, "case", "history", case["case_id"]], env={"SEDFLOW_TZ": "Mars/Base"})
    assert bad.exit_code == 2 and "SEDFLOW_TZ" in bad.output


def test_case_start_asks_for_the_start_form_and_guides_the_person_typing(tmp_path):
    from test_cli import on_terminal
    store = str(tmp_path / "tty.db")
    base = [sys.executable, "-m", "sedflow_cli.main", "--store", store]
    subprocess.run(base + ["init"], check=True, capture_output=True)
    # Enter on a required field (asked again), a list number, Enter to skip, a label in lower case, Enter, a
    # label, a word for a number (refused, asked again), the number, a code, Enter, then "Record this?" yes.
    keys = b"\n3\n\ntelefon\n\nKvinna\nabc\n1998\nAE_WORK_CAPACITY\n\ny\n"
    code, text = on_terminal(base + ["case", "start", "supported_employment", "--participant", "p-tty"], keys)
    assert code == 0, text
    assert "* required" in text and "[referral_source]" in text and "1) Eget initiativ (SELF)" in text
    assert "'referral_source' is required: enter a value" in text
    assert "a whole number" in text and "a date, YYYY-MM-DD" in text and "expected a whole number" in text
    assert "To be recorded:" in text and "Telefon (PHONE)" in text and "Record this?" in text
    listed = subprocess.run(base + ["case", "list", "--json"], check=True, capture_output=True, text=True)
    [case] = json.loads(listed.stdout)
    assert case["data"] == {"referral_source": "PSYCHIATRY", "referral_channel": "PHONE", "gender": "F",
                            "birth_year": 1998, "income_support": "AE_WORK_CAPACITY"}


def interrupted_while_asked(cmd):
    """Run ``cmd`` on a pseudo-terminal, and once it asks the first question press Ctrl-C (SIGINT, as the
    terminal sends it to the foreground process); its exit code and output."""
    import os
    import select
    import signal
    import time
    master, slave = os.openpty()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    output, deadline, sent = b"", time.time() + 60, False
    while time.time() < deadline:
        if select.select([master], [], [], 0.5)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not sent and b"[referral_source]" in output:
            time.sleep(0.3)  # let it reach the prompt
            proc.send_signal(signal.SIGINT)
            sent = True
        if proc.poll() is not None and not select.select([master], [], [], 0.2)[0]:
            break
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, output.decode()


def test_ctrl_c_while_asked_exits_130_and_declining_writes_nothing(tmp_path):
    from test_cli import on_terminal
    store = str(tmp_path / "tty.db")
    base = [sys.executable, "-m", "sedflow_cli.main", "--store", store]
    subprocess.run(base + ["init"], check=True, capture_output=True)
    start = base + ["case", "start", "supported_employment", "--participant", "p-tty"]
    code, text = interrupted_while_asked(start)
    assert code == 130 and "interrupted: nothing was written" in text
    declined = b"1\n\n1\n\n1\n1990\n1\n\nn\n"
    code, text = on_terminal(start, declined)
    assert code == 1 and "Record this?" in text
    listed = subprocess.run(base + ["case", "list", "--json"], check=True, capture_output=True, text=True)
    assert json.loads(listed.stdout) == []


def test_processes_show_gives_the_field_ids_set_takes():
    out = CliRunner().invoke(main, ["processes", "show", "supported_employment"]).output
    assert "- referral_source: " in out and "- first_contact_date: " in out


def test_read_commands_answer_in_json(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "j.db")
    runner.invoke(main, ["--store", store, "init"])
    validated = json.loads(runner.invoke(main, ["processes", "validate", "--json"]).output)
    assert {row["process_id"] for row in validated["ok"]} >= {"supported_employment", "supported_training"}
    ticked = json.loads(runner.invoke(main, ["--store", store, "tick", "--json", "--now",
                                             "2026-02-02T09:00:00Z"]).output)
    assert ticked == {"now": "2026-02-02T09:00:00+00:00", "timers_fired": 0, "fired": {}, "conflicts": [],
                      "failed": {}, "stalled": [], "incidents": 0}
    assert json.loads(runner.invoke(main, ["--store", store, "due", "--json"]).output) == []


def test_a_unique_prefix_names_a_case_and_the_shell_completes_case_and_task_ids(store_url, tmp_path):
    import os
    runner = CliRunner()

    def cli(*args):
        return runner.invoke(main, ["--store", store_url, *args])
    cli("init")
    for case_id in ("abcd1111", "abcd2222", "ffff0000"):
        cli("case", "start", "supported_employment", "--participant", f"p-{case_id}", *sets(REFERRAL))
    ids = [c["case_id"] for c in json.loads(cli("case", "list", "--json").output)]
    target = ids[0]
    shown = cli("case", "show", target[:6], "--json")
    assert shown.exit_code == 0 and json.loads(shown.output)["case_id"] == target
    short = cli("case", "show", target[:2])
    assert short.exit_code == 4 and ("at least 4 characters" in short.output or "several" in short.output)
    assert cli("case", "show", "zzzz").exit_code == 4
    # Completion as bash asks for it: case ids from the store, then the ready tasks of that case.
    env = {**os.environ, "_SEDFLOW_COMPLETE": "bash_complete", "SEDFLOW_STORE": store_url}

    def complete(words):
        run = subprocess.run([sys.executable, "-m", "sedflow"], capture_output=True, text=True,
                             env={**env, "COMP_WORDS": " ".join(["sedflow", *words]),
                                  "COMP_CWORD": str(len(words))})
        return [line.split(",", 1)[1] for line in run.stdout.splitlines() if "," in line]
    assert complete(["case", "show", target[:3]]) == sorted(i for i in ids if i.startswith(target[:3]))
    assert complete(["case", "complete", target, ""]) == ["first_contact"]


def test_every_option_of_every_command_has_help():
    import click

    ctx = click.Context(main)
    missing = []

    def walk(command, path):
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])
        missing.extend(f"{' '.join(path)} {p.opts[0]}" for p in command.params
                       if isinstance(p, click.Option) and not p.help and not p.hidden)
    walk(main, ["sedflow"])
    assert missing == []


def test_data_from_standard_input_and_store_info_in_json(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "d.db")
    runner.invoke(main, ["--store", store, "init"])
    started = runner.invoke(main, ["--store", store, "case", "start", "supported_employment", "--participant", "p-1",
                                   "--data", "-", "--json"], input=json.dumps(REFERRAL))
    assert started.exit_code == 0, started.output
    assert json.loads(started.output)["data"]["gender"] == REFERRAL["gender"]
    info = json.loads(runner.invoke(main, ["--store", store, "store", "info", "--json"]).output)
    assert info["schema_version"] == info["sedflow_schema_version"] and info["url"].endswith("d.db")


def test_without_the_reports_extra_a_report_that_needs_it_says_what_to_install_and_writes_nothing(tmp_path):
    store = str(tmp_path / "x.db")
    CliRunner().invoke(main, ["--store", store, "init"])
    blocked = ("import sys; sys.modules['matplotlib'] = None; sys.modules['openpyxl'] = None; "
               "from sedflow_cli.main import main; main(prog_name='sedflow')")
    for args, target in ((["report", "html", str(tmp_path / "out")], tmp_path / "out"),
                         (["report", "all", "--format", "xlsx", "-o", str(tmp_path / "r.xlsx")], tmp_path / "r.xlsx")):
        run = subprocess.run([sys.executable, "-c", blocked, "--store", store, *args], capture_output=True, text=True)
        assert run.returncode == 10, run.stderr
        assert run.stderr.strip().splitlines() == [run.stderr.strip()]
        assert "pip install 'sedflow[reports]'" in run.stderr
        assert "Traceback" not in run.stderr and not target.exists()
