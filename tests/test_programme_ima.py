"""IMA (Strängnäs/Eskilstuna): every end event of the diagram, through the real engine under a simulated clock.

Each route is a table of steps. A step completes the named task (the first one ready with that element id;
form fields the step does not set are filled from the form), then a week passes and the scheduler ticks, so
the monthly reminder during the employment follow-up comes due exactly as it would in use. ("wait", days)
lets days pass with a daily tick and no work; ("withdraw", reason) is the participant leaving. No sleeping and
no real time: the clock is the ManualClock of the ``clock`` fixture.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from conftest import REFERRAL, assert_closed, end_events, fill, run_steps

from sedflow import Engine
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.definitions.timers import add_duration

PID = "ima"
ACTOR = "ams-1"
START = {**REFERRAL, "referral_source": "SOC_SERVICES", "referral_channel": "REFERRAL_LETTER",
         "income_support": "SOCIAL_ASSISTANCE", "birth_year": 1985, "social_assistance_since": "2024-05-01",
         "household_with_children": True}
REMINDER = "ima_followup_reminder"

MAPPED = [("ima_case_manager_assigned", {"assignment_date": "2026-02-02"}), ("ima_brief_mapping", {})]
SEARCHING = MAPPED + [("ima_partner_dialogue", {"dialogue_result": "JOB_SEARCH", "af_involved": True})]
EMPLOYED = SEARCHING + [
    ("ima_job_search", {"search_result": "CONTINUE", "first_employer_contact_date": "2026-02-20"}),
    ("ima_job_search", {"search_result": "JOB_OFFER"}), ("ima_employer_matching", {}),
    ("ima_employment_start", {"employment_type": "FIXED_TERM", "work_pct": 75, "subsidy": "NONE"})]
JOB_LOST = [("ima_employment_followup", {"employment_status": "NOT_YET"}),
            ("ima_employment_followup", {"employment_status": "JOB_LOST"})]

# route id: (end event, steps, outcome, end reason, milestones, timers fired {element: times})
ROUTES = {
    "lasting_employment": ("end_ima_employment", EMPLOYED + JOB_LOST + [
        ("ima_job_search", {"search_result": "JOB_OFFER"}), ("ima_employer_matching", {}),
        ("ima_employment_start", {"employment_type": "PERMANENT", "work_pct": 100}), ("wait", 30),
        ("ima_monthly_contact", {}), ("ima_employment_followup", {"employment_status": "LASTING"}),
        ("ima_closure", {"income_support_at_end": "WAGE", "forward_plan": True})],
        "EMPLOYMENT", "GOAL_ACHIEVED", {"enrolled", "employment_started"}, {REMINDER: 1}),
    "studies_from_dialogue": ("end_ima_studies", MAPPED + [
        ("ima_partner_dialogue", {"dialogue_result": "STUDIES", "adult_education_involved": True}),
        ("ima_study_start", {"study_form": "KOMVUX", "forward_plan": True})],
        "STUDIES", "GOAL_ACHIEVED", {"enrolled", "study_started"}, {}),
    "studies_from_job_search": ("end_ima_studies", SEARCHING + [
        ("ima_job_search", {"search_result": "STUDIES"}),
        ("ima_study_start", {"study_form": "BASIC_PROGRAMME", "forward_plan": True})],
        "STUDIES", "GOAL_ACHIEVED", {"enrolled", "study_started"}, {}),
    "other_plan_from_dialogue": ("end_ima_other_plan", MAPPED + [
        ("ima_partner_dialogue", {"dialogue_result": "OTHER_PLAN", "psychiatry_involved": True}),
        ("ima_other_plan_handover", {"destination_after": "HEALTHCARE", "forward_plan": True})],
        "OTHER_PLAN", "TRANSFERRED", {"enrolled"}, {}),
    "other_plan_after_job_lost": ("end_ima_other_plan", EMPLOYED + [("wait", 31), *JOB_LOST,
        ("ima_job_search", {"search_result": "OTHER_PLAN"}),
        ("ima_other_plan_handover", {"destination_after": "FK_BENEFIT_APPLICATION", "forward_plan": True})],
        "OTHER_PLAN", "TRANSFERRED", {"enrolled", "employment_started"}, {REMINDER: 1}),
    "withdrawn_in_employment": ("end_ima_withdrawn", EMPLOYED + [("wait", 62), ("withdraw", "MOVED")],
        "NO_OUTCOME", "MOVED", {"enrolled", "employment_started"}, {REMINDER: 1}),
}
#: End events that close no case: a reminder branch ends there (reached in test_the_case_manager_does_not_let_go).
REMINDER_ENDS = {"ima_monthly_contact_done"}


def test_the_routes_reach_every_end_event(definitions):
    assert {route[0] for route in ROUTES.values()} | REMINDER_ENDS == end_events(definitions.get(PID))


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_to_an_end_event(store, definitions, clock, route):
    end_id, steps, outcome, end_reason, milestones, timers = ROUTES[route]
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case = engine.start_case(PID, "ima-0001", START, actor=ACTOR)
    assert [(t.element_id, t.lane) for t in case.tasks] == [("ima_case_manager_assigned", "coach")]
    run_steps(engine, case.case_id, steps, actor=ACTOR)

    status = "withdrawn" if end_id == "end_ima_withdrawn" else "completed"
    case, journal = assert_closed(engine, case.case_id, end=end_id, outcome=outcome, end_reason=end_reason,
                                  milestones=milestones, status=status)
    assert Counter(e.element_id for e in journal if e.kind == "timer_fired") == Counter(timers)
    # Timers only remind: each one that fired made a contact task ready, and the case was ended by a person.
    for fired in (e for e in journal if e.kind == "timer_fired"):
        assert any(e.kind == "task_ready" and e.element_id == "ima_monthly_contact" and e.at == fired.at
                   for e in journal)
    assert journal[-1].kind == "case_ended" and journal[-1].actor == ACTOR
    enrolled = next(e.at for e in journal if e.kind == "task_completed" and e.element_id == "ima_case_manager_assigned")
    assert case.milestones["enrolled"] == enrolled.isoformat(timespec="seconds")
    assert case.data["income_support"] == "SOCIAL_ASSISTANCE"
    lanes = {e.element_id: e.lane for e in journal if e.kind == "task_ready"}
    assert lanes["ima_partner_dialogue"] == "partners"
    if "employment_started" in milestones:
        assert lanes["ima_employer_matching"] == "employer"
        assert case.data["first_employer_contact_date"] == "2026-02-20"
    if route == "lasting_employment":
        assert (case.data["employment_type"], case.data["work_pct"]) == ("PERMANENT", 100)  # the lasting job's
        assert [e.data["employment_status"] for e in journal if e.kind == "task_completed"
                and e.element_id == "ima_employment_followup"] == ["NOT_YET", "JOB_LOST", "LASTING"]


def test_the_case_manager_does_not_let_go(store, definitions, clock):
    """In employment, a month without a recorded follow-up reminds the case manager, on time and never early, once
    per month without follow-up (reminders do not pile up); every follow-up starts the month again. No timer ends
    the follow-up or the case: only the case manager's judgement "lasting" closes it."""
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = engine.start_case(PID, "ima-0002", START, actor=ACTOR).case_id
    for element_id, choices in EMPLOYED:
        task = next(t for t in engine.list_tasks(case_id=case_id) if t.element_id == element_id)
        engine.complete_task(case_id, task.task_id, fill(task.form, choices), actor=ACTOR)
        clock.advance(days=1)

    def reminder_due():
        return [t.due_at for t in engine.due(within=timedelta(days=400), case_id=case_id) if t.kind == "timer"]

    def followup_ready():
        return max(e.at for e in engine.case_history(case_id)
                   if e.kind == "task_ready" and e.element_id == "ima_employment_followup")

    def ready(element_id):
        return [t for t in engine.list_tasks(case_id=case_id) if t.element_id == element_id]

    def days_pass(n):
        for _ in range(n):
            clock.advance(days=1)
            engine.tick()

    first = followup_ready()
    assert reminder_due() == [add_duration(first, "P1M")]
    clock.set(add_duration(first, "P1M") - timedelta(seconds=1))
    assert engine.tick().timers_fired == 0  # never early
    clock.set(add_duration(first, "P1M"))
    assert engine.tick().fired == {case_id: [REMINDER]}
    assert reminder_due() == [] and len(ready("ima_monthly_contact")) == 1

    # Two more months with nothing recorded: the one reminder waits in the queue; the case stays where it is.
    seen = len(engine.case_history(case_id))
    days_pass(61)
    assert engine.case_history(case_id)[seen:] == []
    case = engine.show_case(case_id)
    assert (case.status, case.stages) == ("active", ["followup", "support"])

    # "Not lasting yet": the follow-up starts again and so does its month; the contact already due stays.
    [task] = ready("ima_employment_followup")
    engine.complete_task(case_id, task.task_id, fill(task.form, {"employment_status": "NOT_YET"}), actor=ACTOR)
    second = followup_ready()
    assert second == clock.now() and reminder_due() == [add_duration(second, "P1M")]
    assert len(ready("ima_monthly_contact")) == 1
    days_pass(31)
    assert [e.at for e in engine.case_history(case_id) if e.kind == "timer_fired"] == [
        add_duration(first, "P1M"), add_duration(second, "P1M")]
    contacts = ready("ima_monthly_contact")
    assert len(contacts) == 2

    # A contact ends only its reminder branch.
    engine.complete_task(case_id, contacts[0].task_id, fill(contacts[0].form), actor=ACTOR)
    assert [e.element_id for e in engine.case_history(case_id) if e.kind == "event_reached"
            and e.element_id in REMINDER_ENDS] == ["ima_monthly_contact_done"]

    # Lasting employment and the closure end the case; the contact still open is cancelled with it.
    for element_id, choices in [("ima_employment_followup", {"employment_status": "LASTING"}), ("ima_closure", {})]:
        [task] = ready(element_id)
        case = engine.complete_task(case_id, task.task_id, fill(task.form, choices), actor=ACTOR)
    assert (case.status, case.outcome, case.end_reason) == ("completed", "EMPLOYMENT", "GOAL_ACHIEVED")
    journal = engine.case_history(case_id)
    assert [e.element_id for e in journal if e.kind == "task_cancelled"] == ["ima_monthly_contact"]
    assert engine.due(within=timedelta(days=3650), case_id=case_id) == []
    assert {e.actor for e in journal if e.kind == "task_completed"} == {ACTOR}


def test_start_form_takes_the_common_referral(store, definitions, clock):
    """The core referral fields are the common ones: REFERRAL alone starts a case."""
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    form = definitions.get(PID).start_form
    assert {"referral_source", "referral_unit", "referral_channel", "gender", "birth_year",
            "income_support"} <= {f.id for f in form.fields}
    case = engine.start_case(PID, "ima-0003", REFERRAL)
    assert case.status == "active" and case.milestones == {}
    [task] = engine.list_tasks(case_id=case.case_id)
    case = engine.complete_task(case.case_id, task.task_id, fill(task.form), actor=ACTOR)
    assert set(case.milestones) == {"enrolled"} and case.stages == ["vocational_profile"]
