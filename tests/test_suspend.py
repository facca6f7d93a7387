"""Suspend / resume a case, and correct its recorded data outside a task (issue 12, part 6)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sedflow import CaseStateError, TaskDataError

from conftest import TIMERS
from sedflow_cli.main import main


def monthly_case(engine, participant="p-s1"):
    case = engine.start_case("camunda_timers", participant, {"start_date": "2026-01-01"})
    engine.complete_task(case.case_id, "work", {"eligible": False, "age": 40})  # to the R/P1M monthly reminder
    return case.case_id


def kinds(engine, case_id):
    return [e.kind for e in engine.case_history(case_id)]


def test_a_monthly_timer_waits_across_a_suspension_and_fires_once_after_resume(tengine):
    case_id = monthly_case(tengine)
    suspended = tengine.suspend_case(case_id, "SICK_LEAVE", actor="coach")
    assert suspended.status == "suspended"
    revision = tengine.show_case(case_id).revision
    tengine.clock.set("2026-04-15T00:00:00+00:00")  # three monthly occurrences fall due meanwhile
    result = tengine.tick()
    assert result.timers_fired == 0 and case_id not in result.fired
    assert tengine.show_case(case_id).revision == revision  # nothing written
    assert tengine.list_tasks(case_id=case_id) == []  # held: out of the work queue ...
    assert [t for t in tengine.due(within=timedelta(days=60)) if t.case_id == case_id] == []  # ... and the due list
    with pytest.raises(CaseStateError, match="suspended"):
        tengine.complete_task(case_id, "month_check", {})
    with pytest.raises(CaseStateError, match="suspended"):
        tengine.withdraw_case(case_id, "MOVED")
    assert tengine.show_case(case_id).revision == revision

    resumed = tengine.resume_case(case_id, "BACK", actor="coach")
    assert resumed.status == "active"
    assert tengine.tick().fired == {case_id: ["every_month"]}  # the missed occurrences fire once
    assert tengine.tick().timers_fired == 0
    [timer] = [t for t in tengine.due(within=timedelta(days=40), case_id=case_id) if t.kind == "timer"]
    assert timer.due_at.isoformat() == "2026-05-01T08:00:00+00:00"  # the next future occurrence
    history = tengine.case_history(case_id)
    held = [e for e in history if e.kind in ("case_suspended", "case_resumed")]
    assert [(e.kind, e.actor, e.data["reason"]) for e in held] == [
        ("case_suspended", "coach", "SICK_LEAVE"), ("case_resumed", "coach", "BACK")]
    assert held[1].data["suspended_at"] == "2026-01-01T08:00:00+00:00"
    assert kinds(tengine, case_id).index("timer_fired") > kinds(tengine, case_id).index("case_resumed")


def test_suspending_twice_an_ended_case_or_resuming_an_active_one_is_refused(tengine):
    case_id = monthly_case(tengine)
    with pytest.raises(CaseStateError, match="not suspended"):
        tengine.resume_case(case_id, "BACK")
    tengine.suspend_case(case_id, "SICK_LEAVE")
    with pytest.raises(CaseStateError, match="already suspended"):
        tengine.suspend_case(case_id, "SICK_LEAVE")
    with pytest.raises(TaskDataError):
        tengine.suspend_case(case_id, "")
    tengine.resume_case(case_id, "BACK")
    tengine.cancel_case(case_id, "REGISTRATION_ERROR")
    before = len(tengine.case_history(case_id))
    with pytest.raises(CaseStateError, match="ended"):
        tengine.suspend_case(case_id, "SICK_LEAVE")
    assert len(tengine.case_history(case_id)) == before


def test_a_correction_is_coerced_journaled_and_read_by_the_workflow(tengine):
    case = tengine.start_case("camunda_timers", "p-s3", {"start_date": "2026-01-01"})
    tengine.suspend_case(case.case_id, "SICK_LEAVE")
    corrected = tengine.update_case_data(case.case_id, {"start_date": "2026-01-05"}, "typo", actor="coach")
    assert corrected.status == "suspended"  # a correction leaves the suspension as it is
    assert corrected.data["start_date"] == "2026-01-05"
    assert tengine.variables(case.case_id)["start_date"] == "2026-01-05"
    [entry] = [e for e in tengine.case_history(case.case_id) if e.kind == "case_data_corrected"]
    assert (entry.actor, entry.data) == ("coach", {"reason": "typo", "fields": {
        "start_date": {"old": "2026-01-01", "new": "2026-01-05"}}})
    tengine.resume_case(case.case_id, "BACK")
    tengine.complete_task(case.case_id, "work", {"eligible": True, "age": 25})
    revision = tengine.show_case(case.case_id).revision
    tengine.update_case_data(case.case_id, {"age": "31"}, "wrong age")  # typed by the field's form rules
    assert tengine.show_case(case.case_id).data["age"] == 31
    assert tengine.show_case(case.case_id).revision == revision + 1
    with pytest.raises(TaskDataError, match="not a form field"):
        tengine.update_case_data(case.case_id, {"nonsense": 1}, "why")
    with pytest.raises(TaskDataError):
        tengine.update_case_data(case.case_id, {"age": "old"}, "why")
    with pytest.raises(TaskDataError):
        tengine.update_case_data(case.case_id, {"age": 30}, "")
    assert tengine.show_case(case.case_id).revision == revision + 1  # refusals write nothing


def test_case_suspend_resume_and_set_commands(store_url, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "camunda_timers.bpmn").write_bytes(TIMERS)
    base = ["--store", store_url, "--processes", str(tmp_path / "p")]
    runner = CliRunner()
    assert runner.invoke(main, [*base, "init"]).exit_code == 0
    out = runner.invoke(main, [*base, "case", "start", "camunda_timers", "--participant", "p-cli", "--set",
                               "start_date=2026-01-01", "--json"])
    case_id = json.loads(out.output)["case_id"]
    out = runner.invoke(main, [*base, "case", "suspend", case_id, "--reason", "SICK_LEAVE", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["status"] == "suspended"
    refused = runner.invoke(main, [*base, "case", "complete", case_id, "work", "--set", "eligible=true",
                                   "--set", "age=30"])
    assert refused.exit_code != 0 and "suspended" in refused.output
    out = runner.invoke(main, [*base, "case", "set", case_id, "--set", "start_date=2026-01-03", "--reason", "typo",
                               "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["data"]["start_date"] == "2026-01-03"
    out = runner.invoke(main, [*base, "case", "resume", case_id, "--reason", "BACK", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["status"] == "active"
