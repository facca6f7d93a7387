"""Gävle SE-coach (``gavle_se_coach``): the rules of the diagram that are not a route to an end event.

The routes to every end event are rows of ``routes.GAVLE`` (run by ``test_programme_routes.py``); here the
permanent-job rule and the aktivitetsersättning watch, on the simulated clock (ManualClock + ``engine.tick()``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import fill
from routes import GAVLE, GV_ROUTE_IN, GV_TO_JOB_SEARCH, gv_job, ready, run_route, start


def drive(engine, steps, overrides=None):
    """One participant from the FK signal through ``steps``; returns the case id."""
    case_id = start(GAVLE, engine, "p-gv", overrides)
    run_route(engine, case_id, steps, actor=GAVLE.actor)
    return case_id


def waiting(engine, case_id, element_id):
    """The case's timers of one element, as the coach's queue shows them (ten years ahead)."""
    return [t for t in engine.due(within=timedelta(days=3650), case_id=case_id) if t.element_id == element_id]


def test_a_summer_job_keeps_the_person_looking_for_work(engine):
    """Only a permanent job starts the follow-up that can close the case as work (SPEC §1.5)."""
    case_id = drive(engine, [*GV_TO_JOB_SEARCH, *gv_job("FIXED_TERM", "2026-06-01")])
    case = engine.show_case(case_id)
    assert (case.status, case.outcome, case.end_reason) == ("active", None, None)
    assert "employment_started" in case.milestones and case.data["employment_type"] == "FIXED_TERM"
    assert "gv_job_search" in ready(engine, case_id) and "job_search" in case.stages
    assert not {"employment_support", "employment_closure"} & ready(engine, case_id)
    [decision] = [e for e in engine.case_history(case_id)
                  if e.kind == "gateway_taken" and e.element_id == "gw_permanent"]
    assert decision.data["to"] == ["gw_search_merge"]
    assert waiting(engine, case_id, "employment_year_over") == []  # no follow-up year for a short job


def test_the_ae_warning_fires_six_months_before_the_decision_ends(engine, clock):
    """T4: FK is flagged six months before the aktivitetsersättning decision ends; never early, never closing."""
    case_id = drive(engine, GV_ROUTE_IN, {"ae_decision_end": "2026-09-30"})
    [watch] = waiting(engine, case_id, "ae_warning_due")
    assert (watch.kind, watch.lane, watch.due_at) == ("timer", "fk", datetime(2026, 3, 30, tzinfo=UTC))
    clock.set("2026-03-29T23:59:00+00:00")
    assert "ae_warning_due" not in engine.tick().fired.get(case_id, [])
    clock.set("2026-03-30T08:00:00+00:00")
    assert "ae_warning_due" in engine.tick().fired[case_id]
    [task] = [t for t in engine.list_tasks(case_id=case_id) if t.element_id == "ae_forward_planning"]
    assert (task.lane, task.stage, task.since) == ("fk", "followup", clock.now())
    assert engine.show_case(case_id).status == "active"  # it flags; the case goes on
    renewed = {"ae_plan": "NEW_AE_DECISION", "ae_decision_extended": True, "ae_decision_end": "2028-01-31"}
    engine.complete_task(case_id, task.task_id, fill(task.form, renewed, today="2026-03-30"), actor="fk-1")
    [watch] = waiting(engine, case_id, "ae_warning_due")
    assert watch.due_at == datetime(2027, 7, 31, tzinfo=UTC)  # re-armed from the new decision
    journal = engine.case_history(case_id)
    assert [e.at for e in journal if e.kind == "timer_fired" and e.element_id == "ae_warning_due"] == [clock.now()]
    # Beside it, the monthly status meeting of FK, AF and the SE-coach: due a month after the referral
    # (2026-02-09), it fired on the first tick after that and waits for the meeting to be held.
    meeting = [(e.kind, e.data.get("due"), e.at) for e in journal
               if e.element_id == "status_meeting_due" and e.kind in ("timer_waiting", "timer_fired")]
    assert meeting == [("timer_waiting", "2026-03-09T09:00:00+00:00", datetime(2026, 2, 9, 9, tzinfo=UTC)),
                       ("timer_fired", None, datetime(2026, 3, 29, 23, 59, tzinfo=UTC))]
    assert "status_meeting" in ready(engine, case_id)
