"""Håbo IPS (Arbetsstödet, SPEC §1.6): the follow-up reminders (T7) of ``habo_ips`` on the simulated clock.

The routes to every end event are rows of ``routes.HABO`` (run by ``test_programme_routes.py``). Here one
participant is followed day by day through two jobs to check the reminder cadence itself: weekly in the first
month after a start, then monthly, stopped whenever the follow-up ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sedflow import Engine, ManualClock
from sedflow.clock import add_duration
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import fill, run_steps
from routes import HABO, HB_GRANTED, HB_WORK_PLAN, start


def test_follow_up_reminders_on_the_clock(store, definitions):
    """Two jobs: weekly reminders in each first month, then monthly; a job loss and the closure stop them."""
    clock = ManualClock("2026-01-05T08:00:00+00:00")
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = start(HABO, engine, "p-habo-clock")
    run_steps(engine, case_id, [*HB_GRANTED, *HB_WORK_PLAN, ("employer_contact", {"contact_result": "JOB_OFFER"}),
                                ("job_agreement", {})])
    first_start = clock.now()
    run_steps(engine, case_id, [("employment_start", {"employment_start_date": first_start.date().isoformat(),
                                                "work_pct": 75})], days=0)

    def follow(days, meeting=None):
        """Tick every day; answer each reminder the day it appears; end with a meeting if given."""
        for _ in range(days):
            clock.advance(days=1)
            engine.tick()
            for task in engine.list_tasks(case_id=case_id):
                if task.element_id in ("weekly_contact", "monthly_contact"):
                    engine.complete_task(case_id, task.task_id,
                                         fill(task.form, {}, today=clock.now().date().isoformat()), actor="coach-1")
        if meeting:
            run_steps(engine, case_id, [("followup_meeting", {"followup_status": meeting})], days=0)

    follow(100, meeting="JOB_LOST")
    lost_at = clock.now()
    run_steps(engine, case_id, [("employer_contact", {"contact_result": "JOB_OFFER"}), ("job_agreement", {})], days=10)
    second_start = clock.now()
    run_steps(engine, case_id, [("employment_start", {"employment_start_date": second_start.date().isoformat(),
                                                "work_pct": 100})], days=0)
    follow(40, meeting="SUPPORT_NOT_NEEDED")
    ended_followup_at = clock.now()
    case = run_steps(engine, case_id, [("closure", {"outcome": "EMPLOYMENT", "forward_plan": True})], days=0)

    assert (case.status, case.outcome, case.end_reason) == ("completed", "EMPLOYMENT", "GOAL_ACHIEVED")
    journal = engine.case_history(case_id)

    def at(kind, element):
        return [e.at for e in journal if e.kind == kind and e.element_id == element]

    def week(start, n):
        return start + timedelta(weeks=n)

    first_month = [week(first_start, n) for n in (1, 2, 3)]
    monthly = [add_duration(first_month[-1], "P1M")]
    while add_duration(monthly[-1], "P1M") <= lost_at:
        monthly.append(add_duration(monthly[-1], "P1M"))
    second_month = [week(second_start, n) for n in (1, 2, 3)]
    assert first_month[0] == datetime.fromisoformat("2026-03-09T08:00:00+00:00")  # eight weekly steps to the job
    # Weekly reminders: one, two and three weeks after each job start (the third is day 21: the first
    # month is over, so the next reminder comes a month later), and no weekly reminder in between.
    assert at("timer_fired", "weekly_contact_due") == first_month + second_month
    assert at("task_ready", "weekly_contact") == first_month + second_month
    # Monthly reminders during the first job only: the second job's follow-up ended before its month came.
    assert at("timer_fired", "monthly_contact_due") == monthly and len(monthly) == 2
    assert at("task_ready", "monthly_contact") == monthly
    assert len(at("task_completed", "weekly_contact")) == 6 and len(at("task_completed", "monthly_contact")) == 2
    # Each end of the follow-up cancelled the waiting reminder timer of that follow-up, and nothing else.
    assert at("task_cancelled", "monthly_contact_due") == [lost_at, ended_followup_at]
    assert at("event_reached", "followup_job_lost") == [lost_at]
    assert at("event_reached", "followup_support_ended") == [ended_followup_at]
    assert [e.element_id for e in journal if e.kind == "task_cancelled"] == ["monthly_contact_due"] * 2
    # No timer did anything but remind: every completed task was the coach's, and a person closed the case.
    assert {e.actor for e in journal if e.kind == "task_completed"} == {"coach-1"}
    assert [(e.element_id, e.at) for e in journal if e.kind == "case_ended"] == [("end_open_labour_market",
                                                                                 ended_followup_at)]
    assert set(case.milestones) == {"enrolled", "employment_started"}
    assert case.milestones["employment_started"] == first_start.isoformat(timespec="seconds")
