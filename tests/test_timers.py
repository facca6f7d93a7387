"""Timers under the engine clock, the scheduler (`tick`, `due`), and Camunda-style diagrams."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sedflow import DefinitionError, Engine, ManualClock, open_store
from sedflow.definitions import load_sources
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import TIMERS
from conftest import TIMERS_START as START
from sedflow_cli.main import main


def fired_history(engine, case_id):
    return [(e.kind, e.element_id, e.at.isoformat()) for e in engine.case_history(case_id)
            if e.kind in ("timer_fired", "timer_waiting")]


def test_camunda_style_diagram_loads_and_runs(tengine):
    case = tengine.start_case("camunda_timers", "p-t1", {"start_date": "2026-01-01"})
    case = tengine.complete_task(case.case_id, "work", {"eligible": True, "age": 25})  # ${eligible && age < 30}
    [timer] = [t for t in tengine.due(within=timedelta(days=365), case_id=case.case_id) if t.kind == "timer"]
    assert (timer.element_id, timer.due_at.isoformat()) == ("wait_90_days", "2026-04-01T08:00:00+00:00")  # bare P90D
    tengine.clock.set("2026-04-01T07:59:59+00:00")
    assert tengine.tick().timers_fired == 0  # never early
    tengine.clock.set("2026-04-01T08:00:00+00:00")
    assert tengine.tick().fired == {case.case_id: ["wait_90_days"]}
    assert tengine.show_case(case.case_id).status == "completed"


def test_time_date_from_an_expression(tengine):
    case = tengine.start_case("camunda_timers", "p-t2", {"start_date": "2026-01-10"})
    tengine.complete_task(case.case_id, "work", {"eligible": False, "age": 20})  # default flow
    [timer] = tengine.due(within=timedelta(days=60), case_id=case.case_id)
    assert (timer.element_id, timer.due_at.isoformat()) == ("wait_until_date", "2026-02-09T00:00:00+00:00")


def test_cycle_fires_on_time_and_stops_after_its_repetitions(tengine):
    case = tengine.start_case("camunda_timers", "p-t3", {"start_date": "2026-01-01"})
    fired = []
    for hours in (9, 1, 10, 10, 10, 10):  # R3/PT10H from 08:00: 18:00, 04:00, 14:00
        tengine.clock.advance(hours=hours)
        fired.append(tengine.tick().timers_fired)
    assert fired == [0, 1, 1, 1, 0, 0]
    assert [t.element_id for t in tengine.list_tasks(case_id=case.case_id)] == ["work", "remind", "remind", "remind"]
    assert [h[2] for h in fired_history(tengine, case.case_id) if h[0] == "timer_fired"] == [
        "2026-01-01T18:00:00+00:00", "2026-01-02T04:00:00+00:00", "2026-01-02T14:00:00+00:00"]


def test_a_missed_due_time_fires_once_on_the_next_tick(tengine):
    case = tengine.start_case("camunda_timers", "p-t4", {"start_date": "2026-01-01"})
    tengine.complete_task(case.case_id, "work", {"eligible": False, "age": 40})  # to the R/P1M monthly reminder
    tengine.clock.set("2026-06-15T00:00:00+00:00")  # five months pass with nothing running
    assert tengine.tick().timers_fired == 1
    assert tengine.tick().timers_fired == 0  # running it twice fires nothing more
    assert [t.element_id for t in tengine.list_tasks(case_id=case.case_id)] == ["monthly", "month_check"]
    [timer] = [t for t in tengine.due(within=timedelta(days=40), case_id=case.case_id) if t.kind == "timer"]
    assert timer.due_at.isoformat() == "2026-07-01T08:00:00+00:00"  # the next future occurrence


def test_two_tick_processes_never_fire_a_timer_twice(store_url, timers, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "camunda_timers.bpmn").write_bytes(TIMERS)
    with open_store(store_url, create=True) as store:
        engine = Engine(store, timers, clock=ManualClock(START), profile=SE_PROFILE)
        cases = [engine.start_case("camunda_timers", f"p-{n}", {"start_date": "2026-01-01"}).case_id
                 for n in range(40)]
    cmd = [sys.executable, "-m", "sedflow_cli.main", "--store", store_url, "--processes", str(tmp_path / "p"),
           "tick", "--now", "2026-01-01T18:00:00+00:00"]
    workers = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    with open_store(store_url) as store:
        fired = [e for e in store.read_journal() if e.kind == "timer_fired"]
        assert sorted(e.case_id for e in fired) == sorted(cases)  # each case's timer exactly once
        assert all(len(Engine(store, timers, profile=SE_PROFILE).list_tasks(case_id=c)) == 2 for c in cases)


def test_tick_and_due_commands(store_url, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "camunda_timers.bpmn").write_bytes(TIMERS)
    base = ["--store", store_url, "--processes", str(tmp_path / "p")]
    runner = CliRunner()
    assert runner.invoke(main, [*base, "init"]).exit_code == 0
    out = runner.invoke(main, [*base, "case", "start", "camunda_timers", "--participant", "p-cli", "--json"])
    case_id = json.loads(out.output)["case_id"]
    # the case started on the system clock: look far enough ahead
    due = runner.invoke(main, [*base, "due", "--within", "1d", "--json"])
    items = json.loads(due.output)
    assert {(i["kind"], i["element_id"]) for i in items} == {("task", "work"), ("timer", "every_ten_hours")}
    assert runner.invoke(main, [*base, "due", "--within", "P1D"]).exit_code == 0
    bad = runner.invoke(main, [*base, "due", "--within", "soon"])
    assert bad.exit_code == 2 and "not a duration" in bad.output
    [timer] = [i for i in items if i["kind"] == "timer"]
    later = (datetime.fromisoformat(timer["due_at"]) + timedelta(seconds=1)).isoformat()  # due_at shows whole seconds
    ticked = runner.invoke(main, [*base, "tick", "--now", later])
    assert ticked.exit_code == 0 and f"{case_id}: 1 timer(s) fired" in ticked.output
    assert "1 timer(s) fired in 1 case(s)" in ticked.output
    again = runner.invoke(main, [*base, "tick", "--now", later])
    assert "0 timer(s) fired in 0 case(s)" in again.output


@pytest.mark.parametrize("tag, text", [
    ("timeCycle", "R/${__import__('os').getpid()}"),
    ("timeDate", "${().__class__}"),
    ("timeDuration", "${open('/etc/passwd')}"),
])
def test_hostile_timer_expressions_are_refused_at_load(tag, text):
    source = TIMERS.decode()
    original = {"timeCycle": "R3/PT10H", "timeDate": "${add_days(start_date, 30)}", "timeDuration": "P90D"}[tag]
    with pytest.raises(DefinitionError) as info:
        load_sources({"hostile.bpmn": source.replace(original, text, 1).encode()})
    problem = info.value.problems[0]
    assert problem.file == "hostile.bpmn" and problem.element in {"t1", "t2", "t3", "every_ten_hours",
                                                                  "wait_90_days", "wait_until_date"}
    assert problem.line is not None


def test_a_case_that_cannot_be_read_is_reported_and_tick_goes_on(store_url, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "camunda_timers.bpmn").write_bytes(TIMERS)
    with open_store(store_url, create=True) as store:
        engine = Engine(store, load_sources({"camunda_timers.bpmn": TIMERS}), clock=ManualClock(START),
                        profile=SE_PROFILE)
        broken, fine = (engine.start_case("camunda_timers", f"p-{n}", {"start_date": "2026-01-01"}).case_id
                        for n in range(2))
        with store._write() as cur:
            cur.execute(store._sql("UPDATE cases SET state = ? WHERE case_id = ?"), (b"not a state", broken))
    result = CliRunner().invoke(main, ["--store", store_url, "--processes", str(tmp_path / "p"), "tick",
                                       "--now", "2026-01-01T18:00:00+00:00"])
    assert result.exit_code == 9
    assert f"{fine}: 1 timer(s) fired" in result.output
    assert f"error: case '{broken}': stored state is unreadable" in result.output


def test_a_reminder_started_by_a_non_interrupting_timer_lives_on_after_its_activity(tengine):
    """BPMN and Camunda 7: the work a non-interrupting boundary timer started is independent of the activity it
    sits on. SpiffWorkflow dropped it when the activity ended (the case could end with the reminder open)."""
    case = tengine.start_case("camunda_timers", "p-t5", {"start_date": "2026-01-01"})
    tengine.clock.advance(hours=10)
    assert tengine.tick().timers_fired == 1
    assert sorted(t.element_id for t in tengine.list_tasks(case_id=case.case_id)) == ["remind", "work"]
    tengine.complete_task(case.case_id, "work", {"eligible": False, "age": 20})
    assert [t.element_id for t in tengine.list_tasks(case_id=case.case_id)] == ["remind"]
    assert tengine.show_case(case.case_id).status == "active"
    tengine.complete_task(case.case_id, "remind")  # its path ends; the main flow waits for its date
    assert [t.element_id for t in tengine.due(within=timedelta(days=90), case_id=case.case_id)] == ["wait_until_date"]
    assert [e.kind for e in tengine.case_history(case.case_id) if e.element_id == "remind"] == [
        "task_ready", "task_completed"]
