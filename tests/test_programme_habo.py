"""Håbo IPS (Arbetsstödet, SPEC §1.6): every end event of ``habo_ips`` under the simulated clock.

Each route completes its tasks through the public API; after every step a week passes and the
scheduler ticks, so the follow-up reminders (T7) fire where they would in real use. A second test
follows one participant day by day through two jobs to check the reminder cadence itself: weekly in
the first month after a start, then monthly, stopped whenever the follow-up ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import REFERRAL, WITHDRAW, assert_closed, end_events, fill, run_steps

from sedflow import Engine, ManualClock
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.definitions.timers import add_duration

PID = "habo_ips"

GRANTED = [
    ("bistand_decision", {"bistand_granted": True}),
    ("arrival", {}),
    ("mapping", {"more_mapping_needed": True}),   # the client sets the pace: a second conversation
    ("mapping", {"more_mapping_needed": False}),
]
WORK_PLAN = [("individual_plan", {"goal_type": "WORK"}), ("bistand_dialogue", {})]
JOB = [("job_agreement", {"tasks_agreed": True}),
       ("employment_start", {"employment_type": "PERMANENT", "work_pct": 50, "subsidy": "NONE"})]

# end event -> (steps, outcome, end_reason, milestones, sub-process end reached, timers that fired)
PATHS = {
    "end_not_granted": (
        [("bistand_decision", {"bistand_granted": False, "refusal_reason": "noterat"})],
        "NO_OUTCOME", "OTHER", set(), None, set()),
    "end_open_labour_market": (
        GRANTED + WORK_PLAN + [
            ("employer_contact", {"contact_result": "CONTINUE", "contact_caller": "PARTICIPANT",
                                  "first_employer_contact_date": "2026-03-01", "employer_contacts": 3}),
            ("employer_contact", {"contact_result": "PLACEMENT", "contact_caller": "COACH"}),
            ("work_placement", {}),
            ("employer_contact", {"contact_result": "JOB_OFFER"}),
            *JOB,
            ("followup_meeting", {"followup_status": "CONTINUE"}),
            ("followup_meeting", {"followup_status": "SUPPORT_NOT_NEEDED"}),
            ("closure", {"outcome": "EMPLOYMENT", "wage_replaced_support": True, "forward_plan": True})],
        "EMPLOYMENT", "GOAL_ACHIEVED", {"enrolled", "employment_started"}, "followup_support_ended",
        {"weekly_contact_due"}),
    "end_studies": (
        GRANTED + [
            ("individual_plan", {"goal_type": "STUDIES"}), ("bistand_dialogue", {}),
            ("find_studies", {}),
            ("study_application", {"admitted": False}),
            ("employer_contact", {"contact_result": "STUDIES"}),
            ("find_studies", {}),
            ("study_application", {"admitted": True}),
            ("study_start", {"csn": True}),
            ("followup_meeting", {"followup_status": "LEAVES"}),
            ("closure", {"outcome": "STUDIES", "forward_plan": True})],
        "STUDIES", "GOAL_ACHIEVED", {"enrolled", "study_started"}, "followup_support_ended",
        {"weekly_contact_due"}),
    "end_other_plan": (
        GRANTED + WORK_PLAN + [
            ("employer_contact", {"contact_result": "JOB_OFFER", "first_employer_contact_date": "2026-03-01"}),
            *JOB,
            ("followup_meeting", {"followup_status": "JOB_LOST"}),   # back to employer contacts
            ("employer_contact", {"contact_result": "OTHER_PLAN"}),
            ("closure", {"outcome": "OTHER_PLAN", "destination_after": "HEALTHCARE", "forward_plan": True})],
        "OTHER_PLAN", "TRANSFERRED", {"enrolled", "employment_started"}, "followup_job_lost",
        {"weekly_contact_due"}),
    "end_withdrawn": (
        GRANTED + WORK_PLAN + [
            ("employer_contact", {"contact_result": "JOB_OFFER"}), *JOB,
            (WITHDRAW, "PARTICIPANT_CHOICE")],
        "NO_OUTCOME", "PARTICIPANT_CHOICE", {"enrolled", "employment_started"}, None, {"weekly_contact_due"}),
}


def test_the_table_covers_every_end_event(definitions):
    inner = {path[4] for path in PATHS.values() if path[4]}
    assert end_events(definitions.get(PID)) == set(PATHS) | inner


@pytest.mark.parametrize("end", sorted(PATHS))
def test_every_end_event(engine, end):
    steps, outcome, end_reason, milestones, inner_end, timers = PATHS[end]
    case_id = engine.start_case(PID, "p-habo", REFERRAL, actor="coach-1").case_id
    run_steps(engine, case_id, steps)
    case, journal = assert_closed(engine, case_id, end=end, outcome=outcome, end_reason=end_reason,
                                  milestones=milestones, status="withdrawn" if end == "end_withdrawn" else "completed")
    reached = [e.element_id for e in journal if e.kind == "event_reached"]
    assert end in reached and (inner_end is None or inner_end in reached)
    assert {e.element_id for e in journal if e.kind == "timer_fired"} == timers
    # Every reminder that fired asked for a contact; the ones still open when the follow-up (or the case)
    # ended were cancelled with it, never left behind and never completed by the engine.
    fired = [e for e in journal if e.kind == "timer_fired"]
    asked = [e for e in journal if e.kind == "task_ready" and e.element_id == "weekly_contact"]
    assert len(asked) == len(fired)
    assert len([e for e in journal if e.kind == "task_cancelled" and e.element_id == "weekly_contact"]) == len(asked)
    assert {e.actor for e in journal if e.kind == "task_completed"} <= {"coach-1"}
    if milestones:
        lanes = {e.element_id: e.lane for e in journal if e.kind == "task_ready"}
        assert lanes["bistand_decision"] == "social_services" and lanes["arrival"] == "coach"
        assert case.milestones["enrolled"] == next(e.at for e in journal if e.kind == "task_completed"
                                                   and e.element_id == "arrival").isoformat(timespec="seconds")
    if end == "end_open_labour_market":
        assert case.data["first_employer_contact_date"] == "2026-03-01"
        assert (case.data["employment_type"], case.data["work_pct"], case.data["subsidy"]) == ("PERMANENT", 50, "NONE")
        assert case.data["contact_caller"] == "COACH" and case.data["forward_plan"] is True


def test_follow_up_reminders_on_the_clock(store, definitions):
    """Two jobs: weekly reminders in each first month, then monthly; a job loss and the closure stop them."""
    clock = ManualClock("2026-01-05T08:00:00+00:00")
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = engine.start_case(PID, "p-habo-clock", REFERRAL, actor="coach-1").case_id
    run_steps(engine, case_id, GRANTED + WORK_PLAN + [("employer_contact", {"contact_result": "JOB_OFFER"}),
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
