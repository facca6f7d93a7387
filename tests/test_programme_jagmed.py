"""#jagmed (Katrineholm): every end event of the diagram, through the real engine under a simulated clock.

Each route is a table of steps. A step completes the named task (the first one ready with that element id;
form fields the step does not set are filled from the form), then a week passes and the scheduler ticks, so
the reminders (the monthly follow-up of the student plan, the two-weekly check-in during a soft start) come
due exactly as they would in use. ("wait", days) lets time pass without work; ("withdraw", reason) is the
student leaving. No sleeping and no real time: the clock is the ManualClock of the ``clock`` fixture.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from conftest import REFERRAL, assert_closed, end_events, fill, run_steps

from sedflow import Engine
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.definitions.timers import add_duration

PID = "jagmed"
ACTOR = "koordinator-1"
START = {**REFERRAL, "referral_source": "SCHOOL", "referral_unit": "Gymnasieskola i Katrineholm",
         "income_support": "NONE_OR_UNKNOWN", "birth_year": 2009, "absence_flagged_date": "2026-02-02",
         "school_form": "UPPER_SECONDARY", "school_year": 1, "absence_pct": 40}
FOLLOWUP, SOFT_START = "jm_plan_followup_due", "jm_soft_start_reminder"
REMINDS = {FOLLOWUP: "jm_plan_followup", SOFT_START: "jm_soft_start_checkin"}  # timer -> the task it makes ready

SCHOOL = [("jm_raise_absence", {}), ("jm_school_measures", {"measures_result": "CONTINUE"})]
ESCALATED = SCHOOL + [("jm_school_measures", {"measures_result": "ESCALATE"}), ("jm_first_contact", {})]
ENROLLED = ESCALATED + [("jm_participation_decision", {"wants_to_participate": True}),
                        ("jm_application_received", {"signed_application_date": "2026-03-09"})]
PLANNED = ENROLLED + [("jm_mapping_student_plan", {"plan_school_actions": "anpassat schema",
                                                   "plan_project_actions": "koordinator varje vecka",
                                                   "plan_student_actions": "kommer till första lektionen"}),
                      ("jm_coordinator_assigned", {}), ("jm_partner_coordination", {"bup_involved": True})]
IN_SCHOOL = [("jm_return_to_school", {"study_form": "UPPER_SECONDARY"})]

# route id: (end event, steps, outcome, end reason, milestones, timers fired {element: times})
ROUTES = {
    "resolved_in_school": ("end_jm_resolved_in_school", SCHOOL + [
        ("jm_school_measures", {"measures_result": "RESOLVED"})], "NO_OUTCOME", "GOAL_ACHIEVED", set(), {}),
    "declined": ("end_jm_not_enrolled", ESCALATED + [
        ("jm_participation_decision", {"wants_to_participate": False, "decline_reason": "PARTICIPANT_CHOICE"})],
        "NO_OUTCOME", "PARTICIPANT_CHOICE", set(), {}),
    "back_in_school": ("end_jm_back_in_school", PLANNED + [
        ("jm_student_goals", {"soft_start_needed": False}), *IN_SCHOOL,
        ("jm_school_followup", {"school_status": "CONTINUE"}), ("jm_plan_followup", {}),
        ("jm_school_followup", {"school_status": "STABLE"}), ("jm_closure", {"forward_plan": True})],
        "STUDIES", "GOAL_ACHIEVED", {"enrolled", "study_started"}, {FOLLOWUP: 1}),
    "soft_start_setback_back_in_school": ("end_jm_back_in_school", PLANNED + [
        ("jm_student_goals", {"soft_start_needed": True}), ("wait", 14),
        ("jm_soft_start", {"soft_start_result": "CONTINUE", "hours_per_week": 4}), ("jm_soft_start_checkin", {}),
        ("jm_soft_start", {"soft_start_result": "READY", "hours_per_week": 12}), *IN_SCHOOL,
        ("jm_school_followup", {"school_status": "SETBACK"}), ("jm_partner_coordination", {}),
        ("jm_student_goals", {"soft_start_needed": False}), *IN_SCHOOL,
        ("jm_school_followup", {"school_status": "STABLE"}), ("jm_closure", {"forward_plan": True})],
        "STUDIES", "GOAL_ACHIEVED", {"enrolled", "study_started"}, {FOLLOWUP: 1, SOFT_START: 2}),
    "soft_start_other_plan": ("end_jm_other_plan", PLANNED + [
        ("jm_student_goals", {"soft_start_needed": True}), ("wait", 14),
        ("jm_soft_start", {"soft_start_result": "CONTINUE"}), ("wait", 14), ("jm_soft_start_checkin", {}),
        ("jm_soft_start_checkin", {}), ("jm_soft_start", {"soft_start_result": "OTHER_PLAN"}),
        ("jm_other_plan_handover", {"destination_after": "HEALTHCARE", "forward_plan": True})],
        "OTHER_PLAN", "TRANSFERRED", {"enrolled"}, {FOLLOWUP: 1, SOFT_START: 2}),
    "school_other_plan": ("end_jm_other_plan", PLANNED + [
        ("jm_student_goals", {"soft_start_needed": False}), *IN_SCHOOL,
        ("jm_school_followup", {"school_status": "OTHER_PLAN"}),
        ("jm_other_plan_handover", {"destination_after": "SOCIAL_SERVICES", "forward_plan": False})],
        "OTHER_PLAN", "TRANSFERRED", {"enrolled", "study_started"}, {FOLLOWUP: 1}),
    "withdrawn_during_soft_start": ("end_jm_withdrawn", PLANNED + [
        ("jm_student_goals", {"soft_start_needed": True}), ("wait", 21), ("withdraw", "PARTICIPANT_CHOICE")],
        "NO_OUTCOME", "PARTICIPANT_CHOICE", {"enrolled"}, {FOLLOWUP: 1, SOFT_START: 1}),
}
#: End events that close no case: a reminder branch ends there (reached in test_reminders_only_remind).
REMINDER_ENDS = {"jm_soft_start_checkin_done"}


def test_the_routes_reach_every_end_event(definitions):
    assert {route[0] for route in ROUTES.values()} | REMINDER_ENDS == end_events(definitions.get(PID))


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_to_an_end_event(store, definitions, clock, route):
    end_id, steps, outcome, end_reason, milestones, timers = ROUTES[route]
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case = engine.start_case(PID, "jm-0001", START, actor=ACTOR)
    assert case.stages == ["referral"] and [t.lane for t in case.tasks] == ["school"]
    run_steps(engine, case.case_id, steps, actor=ACTOR)

    status = "withdrawn" if end_id == "end_jm_withdrawn" else "completed"
    case, journal = assert_closed(engine, case.case_id, end=end_id, outcome=outcome, end_reason=end_reason,
                                  milestones=milestones, status=status)
    assert Counter(e.element_id for e in journal if e.kind == "timer_fired") == Counter(timers)
    # Timers only remind: each one that fired made a reminder task ready, and the case was ended by a person.
    for fired in (e for e in journal if e.kind == "timer_fired"):
        assert any(e.kind == "task_ready" and e.element_id == REMINDS[fired.element_id] and e.at == fired.at
                   for e in journal)
    assert journal[-1].kind == "case_ended" and journal[-1].actor == ACTOR
    if "enrolled" in milestones:
        enrolled = next(e.at for e in journal
                        if e.kind == "task_completed" and e.element_id == "jm_application_received")
        assert case.milestones["enrolled"] == enrolled.isoformat(timespec="seconds")
        assert case.data["signed_application_date"] == "2026-03-09"
    lanes = {e.element_id: e.lane for e in journal if e.kind == "task_ready"}
    assert lanes["jm_raise_absence"] == "school"
    if "jm_partner_coordination" in lanes:
        assert (lanes["jm_partner_coordination"], lanes["jm_student_goals"], lanes["jm_mapping_student_plan"]) == \
            ("partners", "participant", "coach")


def test_reminders_only_remind(store, definitions, clock):
    """The monthly plan follow-up and the soft-start check-in come due on time, never early, once per period, and
    never move the case on; a new soft-start step restarts the two weeks and the end of the soft start stops it."""
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = engine.start_case(PID, "jm-0002", START, actor=ACTOR).case_id
    for element_id, choices in PLANNED + [("jm_student_goals", {"soft_start_needed": True})]:
        task = next(t for t in engine.list_tasks(case_id=case_id) if t.element_id == element_id)
        engine.complete_task(case_id, task.task_id, fill(task.form, choices), actor=ACTOR)
        clock.advance(days=1)  # one working day per step: no timer is due yet

    def timers():
        return {t.element_id: t.due_at for t in engine.due(within=timedelta(days=400), case_id=case_id)
                if t.kind == "timer"}

    def tick_at(when):
        clock.set(when)
        return engine.tick().fired.get(case_id, [])

    def ready(element_id):
        return [t for t in engine.list_tasks(case_id=case_id) if t.element_id == element_id]

    journal = engine.case_history(case_id)
    enrolled_at = next(e.at for e in journal
                       if e.kind == "task_completed" and e.element_id == "jm_application_received")
    soft_start_at = next(e.at for e in journal if e.kind == "task_ready" and e.element_id == "jm_soft_start")
    assert timers() == {FOLLOWUP: add_duration(enrolled_at, "P1M"), SOFT_START: soft_start_at + timedelta(days=14)}

    assert tick_at(soft_start_at + timedelta(days=14) - timedelta(seconds=1)) == []  # never early
    assert tick_at(soft_start_at + timedelta(days=14)) == [SOFT_START]
    assert tick_at(add_duration(enrolled_at, "P1M")) == [FOLLOWUP]
    assert tick_at(soft_start_at + timedelta(days=28)) == []  # one reminder per period: they do not pile up
    assert timers() == {} and len(ready("jm_soft_start_checkin")) == 1 and len(ready("jm_plan_followup")) == 1
    assert engine.show_case(case_id).stages == ["followup", "support"]  # still in the soft start

    # A new soft-start step starts the two weeks again; the check-in already due stays in the queue.
    [soft] = ready("jm_soft_start")
    engine.complete_task(case_id, soft.task_id, fill(soft.form, {"soft_start_result": "CONTINUE"}), actor=ACTOR)
    assert timers() == {SOFT_START: clock.now() + timedelta(days=14)} and len(ready("jm_soft_start_checkin")) == 1
    # A check-in ends only its reminder branch; the monthly follow-up re-arms one month after it is answered.
    [checkin] = ready("jm_soft_start_checkin")
    engine.complete_task(case_id, checkin.task_id, fill(checkin.form), actor=ACTOR)
    assert [e.element_id for e in engine.case_history(case_id) if e.kind == "event_reached"
            and e.element_id in REMINDER_ENDS] == ["jm_soft_start_checkin_done"]
    answered = clock.now() + timedelta(days=2)
    clock.set(answered)
    [followup] = ready("jm_plan_followup")
    engine.complete_task(case_id, followup.task_id, fill(followup.form), actor=ACTOR)
    assert timers()[FOLLOWUP] == add_duration(answered, "P1M")

    # The soft start ends by the student's and coordinator's decision, not by a timer: its reminder stops.
    [soft] = ready("jm_soft_start")
    case = engine.complete_task(case_id, soft.task_id, fill(soft.form, {"soft_start_result": "READY"}), actor=ACTOR)
    assert set(timers()) == {FOLLOWUP} and [t.element_id for t in case.tasks] == ["jm_return_to_school"]
    # A year passes with no work done: the monthly reminder fires once more and waits to be answered; nothing
    # else moves and the case stays open. Every task completion in the journal is a person's.
    seen = len(engine.case_history(case_id))
    for _ in range(365):
        clock.advance(days=1)
        engine.tick()
    later = engine.case_history(case_id)[seen:]
    assert [(e.kind, e.element_id) for e in later] == [("timer_fired", FOLLOWUP), ("task_ready", "jm_plan_followup")]
    assert later[0].at == add_duration(answered, "P1M")  # the daily tick at 09:00 hits it
    case = engine.show_case(case_id)
    assert (case.status, case.outcome) == ("active", None)
    assert sorted(t.element_id for t in case.tasks) == ["jm_plan_followup", "jm_return_to_school"]
    assert {e.actor for e in engine.case_history(case_id) if e.kind == "task_completed"} == {ACTOR}


def test_start_form_takes_the_common_referral(store, definitions, clock):
    """The core referral fields are the common ones (REFERRAL fits); the school fields come on top."""
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    form = definitions.get(PID).start_form
    assert {"referral_source", "referral_unit", "referral_channel", "gender", "birth_year",
            "income_support"} <= {f.id for f in form.fields}
    case = engine.start_case(PID, "jm-0003", {**REFERRAL, "absence_flagged_date": "2026-02-01",
                                              "school_form": "COMPULSORY_SCHOOL"})
    assert case.data["school_form"] == "COMPULSORY_SCHOOL" and case.milestones == {}
