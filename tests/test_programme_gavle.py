"""Gävle SE-coach (``gavle_se_coach``): every end event of the diagram, driven through the real engine.

Each row of ``PATHS`` is one participant, from the FK signal to the end event the row names, on the
simulated clock (ManualClock + ``engine.tick()``; seven days pass after each completed task). A step is
``(task element id, choices)`` (the rest of the form is filled with ``fill``), ``(AT, date)`` (move the
clock to 08:00 that day and tick), ``(READY, element)`` / ``(NOT_READY, element)`` (what the coach's
queue holds now) or ``(WITHDRAW, end reason)``. ``passes`` names the sub-path end events the journal
must show on the way; ``timers`` the days each named timer must fire, and nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import REFERRAL, assert_closed, end_events, fill

from sedflow import Engine
from sedflow.programmes.se import PROFILE as SE_PROFILE

PID = "gavle_se_coach"
START = {**REFERRAL, "referral_channel": "JOINT_MAPPING", "fk_signal_source": "PERSON",
         "ae_decision_end": "2029-06-30"}
AT, READY, NOT_READY, WITHDRAW = "@at", "@ready", "@not_ready", "@withdraw"

ROUTE_IN = [("joint_mapping", {"referral_decision": "REFER"}), ("se_coach_referral", {})]
TO_ACTIVITY = [*ROUTE_IN, ("relationship_building", {"relationship_next": "FIND_ACTIVITY"})]
WORK_TRIAL = [("choose_activity", {"activity_choice": "WORK_TRIAL"}),
              ("st_agreement", {"st_assessment_end_date": "2026-12-31"}), ("st_competence_profile", {}),
              ("st_workplace_profile", {}), ("st_activity_assessment", {}),
              ("st_followup", {"recommended_direction": "JOB_SEARCH"})]
OTHER_ACTIVITY = [("choose_activity", {"activity_choice": "OTHER_ACTIVITY"}),
                  ("other_activity", {"placement_type": "SOCIAL_ENTERPRISE"})]


def job(employment_type, start_day):
    return [("gv_job_search", {"search_result": "JOB_OFFER", "first_employer_contact_date": "2026-03-01"}),
            ("employment_start", {"employment_type": employment_type, "employment_start_date": start_day,
                                  "work_pct": 50})]


def studies(start_day):
    return [("gv_study_application", {"admitted": True}), ("study_start", {"study_start_date": start_day})]


PATHS = {
    "declined": dict(
        steps=[("joint_mapping", {"referral_decision": "DECLINED"})],
        end="end_declined", outcome="NO_OUTCOME", reason="PARTICIPANT_CHOICE", milestones=set()),
    "not_referred": dict(
        steps=[("joint_mapping", {"referral_decision": "NOT_NOW"})],
        end="end_not_referred", outcome="NO_OUTCOME", reason="OTHER", milestones=set()),
    # Work trial (Supported Training), a summer job that does not count, a permanent job lost during the
    # follow-up, then a permanent job whose follow-up the participant closes early.
    "work_closed_early": dict(
        steps=[*ROUTE_IN, ("relationship_building", {"relationship_next": "CONTINUE"}),
               ("relationship_building", {"relationship_next": "FIND_ACTIVITY"}), *WORK_TRIAL,
               ("activity_review", {"activity_result": "JOB_SEARCH"}), *job("FIXED_TERM", "2026-06-01"),
               (READY, "gv_job_search"), (NOT_READY, "employment_support"),
               *job("PERMANENT", "2026-08-01"), ("employment_support", {"employment_status": "JOB_LOST"}),
               (READY, "gv_job_search"), *job("PERMANENT", "2026-10-01"),
               ("employment_support", {"employment_status": "CONTINUE"}),
               ("employment_support", {"employment_status": "FOLLOWUP_DONE"}),
               ("employment_closure", {"destination_after": "EMPLOYER_ONLY"})],
        end="end_employment", outcome="EMPLOYMENT", reason="GOAL_ACHIEVED",
        milestones={"enrolled", "employment_started"}, passes={"emp_support_job_lost", "emp_support_done"}),
    # One year after the start the timer hands the follow-up to the participant, who continues it once;
    # the follow-up asks again three months after that review.
    "work_after_the_year": dict(
        steps=[*TO_ACTIVITY, *OTHER_ACTIVITY, ("activity_review", {"activity_result": "JOB_SEARCH"}),
               *job("PERMANENT", "2026-04-01"), ("employment_support", {"employment_status": "CONTINUE"}),
               (AT, "2027-03-31"), (READY, "employment_support"), (AT, "2027-04-01"),
               (READY, "employment_year_review"), (NOT_READY, "employment_support"),
               ("employment_year_review", {"followup_decision": "CONTINUE", "followup_review_date": "2027-04-01"}),
               (READY, "employment_support"), (AT, "2027-07-01"),
               ("employment_year_review", {"followup_decision": "CLOSE", "followup_review_date": "2027-07-01"}),
               ("employment_closure", {})],
        end="end_employment", outcome="EMPLOYMENT", reason="GOAL_ACHIEVED",
        milestones={"enrolled", "employment_started"},
        timers={"employment_year_over": ["2027-04-01", "2027-07-01"]}),
    # Study preparation, an application that was not admitted, studies from job search, one year of follow-up.
    "studies_after_the_year": dict(
        steps=[*TO_ACTIVITY, ("choose_activity", {"activity_choice": "STUDY_PREP"}), ("study_preparation", {}),
               ("activity_review", {"activity_result": "STUDIES"}), ("gv_study_application", {"admitted": False}),
               (READY, "choose_activity"), *OTHER_ACTIVITY, ("activity_review", {"activity_result": "JOB_SEARCH"}),
               ("gv_job_search", {"search_result": "STUDIES"}), *studies("2026-08-17"),
               ("study_support", {"study_status": "CONTINUE"}), (AT, "2027-08-17"),
               ("study_year_review", {"followup_decision": "CLOSE", "followup_review_date": "2027-08-17"}),
               ("study_closure", {"destination_after": "SCHOOL"})],
        end="end_studies", outcome="STUDIES", reason="GOAL_ACHIEVED", milestones={"enrolled", "study_started"},
        timers={"study_year_over": ["2027-08-17"]}),
    "studies_closed_early": dict(
        steps=[*TO_ACTIVITY, *WORK_TRIAL, ("activity_review", {"activity_result": "STUDIES"}),
               *studies("2026-06-15"), ("study_support", {"study_status": "STUDIES_ENDED"}),
               (READY, "choose_activity"), *OTHER_ACTIVITY, ("activity_review", {"activity_result": "STUDIES"}),
               *studies("2026-08-24"), ("study_support", {"study_status": "FOLLOWUP_DONE"}), ("study_closure", {})],
        end="end_studies", outcome="STUDIES", reason="GOAL_ACHIEVED", milestones={"enrolled", "study_started"},
        passes={"study_support_ended", "study_support_done"}),
    # The AE decision ends 2026-09-30: FK is asked to plan on 2026-03-30; a new decision to 2027-12-31
    # re-arms the watch for 2027-06-30; then the person closes towards another plan.
    "other_plan_after_ae_warning": dict(
        start={"ae_decision_end": "2026-09-30"},
        steps=[*ROUTE_IN, ("relationship_building", {"relationship_next": "CONTINUE"}), (AT, "2026-03-30"),
               (READY, "ae_forward_planning"),
               ("ae_forward_planning", {"ae_plan": "NEW_AE_DECISION", "ae_decision_extended": True,
                                        "ae_decision_end": "2027-12-31"}),
               (AT, "2027-06-30"),
               ("ae_forward_planning", {"ae_plan": "SICKNESS_COMP", "ae_decision_extended": False}),
               ("relationship_building", {"relationship_next": "CLOSE"}),
               ("gv_closure", {"outcome": "OTHER_PLAN", "destination_after": "FK_BENEFIT_APPLICATION"})],
        end="end_other_plan", outcome="OTHER_PLAN", reason="TRANSFERRED", milestones={"enrolled"},
        passes={"ae_planning_done"}, timers={"ae_warning_due": ["2026-03-30", "2027-06-30"]}),
    "no_forward_plan": dict(
        steps=[*TO_ACTIVITY, *OTHER_ACTIVITY, ("activity_review", {"activity_result": "CLOSE"}),
               ("gv_closure", {"outcome": "OTHER_PLAN", "forward_plan": False, "destination_after": "NONE"})],
        end="end_no_forward_plan", outcome="OTHER_PLAN", reason="NO_FORWARD_PLAN", milestones={"enrolled"}),
    # New activities from the review and from job search, then AF takes over (SIUS).
    "continued_af": dict(
        steps=[*TO_ACTIVITY, *OTHER_ACTIVITY, ("activity_review", {"activity_result": "NEW_ACTIVITY"}),
               *WORK_TRIAL, ("activity_review", {"activity_result": "JOB_SEARCH"}),
               ("gv_job_search", {"search_result": "CONTINUE"}), ("gv_job_search", {"search_result": "NEW_ACTIVITY"}),
               *OTHER_ACTIVITY, ("activity_review", {"activity_result": "JOB_SEARCH"}),
               ("gv_job_search", {"search_result": "CLOSE"}),
               ("gv_closure", {"outcome": "CONTINUED_AF_SUPPORT", "destination_after": "SIUS"})],
        end="end_continued_af", outcome="CONTINUED_AF_SUPPORT", reason="TRANSFERRED", milestones={"enrolled"}),
    # The seed's rule: a summer job leaves the person "letar jobb"; at the end of the project they move to SIUS.
    "project_ended_after_summer_job": dict(
        steps=[*TO_ACTIVITY, *OTHER_ACTIVITY, ("activity_review", {"activity_result": "JOB_SEARCH"}),
               *job("SEASONAL", "2026-06-15"), (READY, "gv_job_search"), ("gv_job_search", {"search_result": "CLOSE"}),
               ("gv_closure", {"outcome": "CONTINUED_AF_SUPPORT", "project_ended": True, "destination_after": "SIUS"})],
        end="end_project_ended", outcome="CONTINUED_AF_SUPPORT", reason="PROJECT_ENDED",
        milestones={"enrolled", "employment_started"}),
    # Withdrawal in the middle of a called Supported Training period ends everything, timers included.
    "withdrawn": dict(
        steps=[*TO_ACTIVITY, *WORK_TRIAL[:2], (READY, "st_competence_profile"), (WITHDRAW, "PARTICIPANT_CHOICE")],
        end="end_withdrawn", outcome="NO_OUTCOME", reason="PARTICIPANT_CHOICE", milestones={"enrolled"},
        status="withdrawn"),
}


def ready(engine, case_id):
    return {t.element_id for t in engine.list_tasks(case_id=case_id)}


def drive(engine, steps, start=None):
    """Run one participant's steps; return the case id."""
    clock = engine.clock
    case_id = engine.start_case(PID, "p-gv", {**START, **(start or {})}, actor="coach-1").case_id
    for kind, arg in steps:
        if kind == AT:
            clock.set(f"{arg}T08:00:00+00:00")
            engine.tick()
        elif kind == READY:
            assert arg in ready(engine, case_id), (arg, ready(engine, case_id))
        elif kind == NOT_READY:
            assert arg not in ready(engine, case_id), (arg, ready(engine, case_id))
        elif kind == WITHDRAW:
            engine.withdraw_case(case_id, arg, actor="coach-1")
        else:
            task = next(t for t in engine.list_tasks(case_id=case_id) if t.element_id == kind)
            engine.complete_task(case_id, task.task_id, fill(task.form, arg, today=clock.now().date().isoformat()),
                                 actor="coach-1")
            clock.advance(days=7)
    return case_id


def test_the_table_reaches_every_end_event_of_the_diagram(definitions):
    covered = {p["end"] for p in PATHS.values()} | {e for p in PATHS.values() for e in p.get("passes", ())}
    assert covered == end_events(definitions.get(PID))
    assert {p["end"] for p in PATHS.values()} == end_events(definitions.get(PID), closing=True)


@pytest.mark.parametrize("name", PATHS)
def test_path_to_each_end_event(name, store, definitions, clock):
    path = PATHS[name]
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = drive(engine, path["steps"], path.get("start"))

    case, journal = assert_closed(engine, case_id, end=path["end"], outcome=path["outcome"], end_reason=path["reason"],
                                  milestones=path["milestones"], status=path.get("status", "completed"))
    reached = {e.element_id for e in journal if e.kind == "event_reached" and e.element_type == "endEvent"}
    assert path.get("passes", set()) <= reached
    for timer in ("employment_year_over", "study_year_over", "ae_warning_due"):
        fired = [e.at for e in journal if e.kind == "timer_fired" and e.element_id == timer]
        assert [at.date().isoformat() for at in fired] == path.get("timers", {}).get(timer, []), timer
        assert all(at.hour == 8 for at in fired)  # on the tick of the due day, never before
    # Timers only remind, flag or hand a decision over: every task was completed by a person.
    assert {e.actor for e in journal if e.kind == "task_completed"} <= {"coach-1"}
    if case.outcome == "EMPLOYMENT":
        assert case.data["employment_type"] == "PERMANENT"  # what the Gävle counting rule reads


def test_a_summer_job_keeps_the_person_looking_for_work(store, definitions, clock):
    """Only a permanent job starts the follow-up that can close the case as work (SPEC §1.5)."""
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = drive(engine, [*TO_ACTIVITY, *OTHER_ACTIVITY, ("activity_review", {"activity_result": "JOB_SEARCH"}),
                             *job("FIXED_TERM", "2026-06-01")])
    case = engine.show_case(case_id)
    assert (case.status, case.outcome, case.end_reason) == ("active", None, None)
    assert "employment_started" in case.milestones and case.data["employment_type"] == "FIXED_TERM"
    assert "gv_job_search" in ready(engine, case_id) and "job_search" in case.stages
    assert not {"employment_support", "employment_closure"} & ready(engine, case_id)
    [decision] = [e for e in engine.case_history(case_id)
                  if e.kind == "gateway_taken" and e.element_id == "gw_permanent"]
    assert decision.data["to"] == ["gw_search_merge"]
    assert waiting(engine, case_id, "employment_year_over") == []  # no follow-up year for a short job


def waiting(engine, case_id, element_id):
    """The case's timers of one element, as the coach's queue shows them (ten years ahead)."""
    return [t for t in engine.due(within=timedelta(days=3650), case_id=case_id) if t.element_id == element_id]


def test_the_ae_warning_fires_six_months_before_the_decision_ends(store, definitions, clock):
    """T4: FK is flagged six months before the aktivitetsersättning decision ends; never early, never closing."""
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = drive(engine, ROUTE_IN, start={"ae_decision_end": "2026-09-30"})
    [watch] = waiting(engine, case_id, "ae_warning_due")
    assert (watch.kind, watch.lane, watch.due_at) == ("timer", "fk", datetime(2026, 3, 30, tzinfo=timezone.utc))
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
    assert watch.due_at == datetime(2027, 7, 31, tzinfo=timezone.utc)  # re-armed from the new decision
    journal = engine.case_history(case_id)
    assert [e.at for e in journal if e.kind == "timer_fired" and e.element_id == "ae_warning_due"] == [clock.now()]
    # Beside it, the monthly status meeting of FK, AF and the SE-coach: due a month after the referral
    # (2026-02-09), it fired on the first tick after that and waits for the meeting to be held.
    meeting = [(e.kind, e.data.get("due"), e.at) for e in journal
               if e.element_id == "status_meeting_due" and e.kind in ("timer_waiting", "timer_fired")]
    assert meeting == [("timer_waiting", "2026-03-09T09:00:00+00:00", datetime(2026, 2, 9, 9, tzinfo=timezone.utc)),
                       ("timer_fired", None, datetime(2026, 3, 29, 23, 59, tzinfo=timezone.utc))]
    assert "status_meeting" in ready(engine, case_id)
