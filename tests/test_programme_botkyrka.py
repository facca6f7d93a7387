"""Botkyrka Supported Education (SPEC §1.7): every end event of the diagram, on the simulated clock.

Each route is a table of steps: ``(task, choices)`` completes the oldest ready task of that element with
the form filled around the choices, ``(WAIT, days)`` lets simulated time pass day by day with the
scheduler ticking, ``(WITHDRAW, reason)`` is the participant leaving. After every task a week passes.
The routes cover both financing plans of the local rule (keep social assistance while trying courses, or
CSN directly), the optional placement, switching between the IPS work branch and the SEd study branch in
both directions, an application that was not admitted, and the time-unlimited monthly follow-up (T7)
that only reminds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import REFERRAL, WAIT, WITHDRAW, assert_closed, end_events, run_steps

from sedflow import Engine
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.definitions.timers import add_duration

PID = "botkyrka_sed"
START = {**REFERRAL, "referral_source": "MUNI_YOUTH", "entry_route": "YOUTH_NO_ACTIVITY"}

ENROL = [("sed_first_contact", {}), ("sed_participant_choice", {"chooses_sed": True}),
         ("sed_enrolment", {"goal_type": "STUDIES", "coach_role": "COMBINED_IPS_SED"}),
         ("sed_mapping_study_plan", {})]
KEEP_ASSISTANCE = [("sed_financial_counselling", {"keeps_social_assistance": True}),
                   ("sed_assistance_plan", {"courses_to_try": 2, "then_apply_csn": True})]
CSN_DIRECTLY = [("sed_financial_counselling", {"keeps_social_assistance": False, "csn_debt": True,
                                               "csn_debt_band": "FROM_100K_TO_200K"}),
                ("sed_csn_plan", {"csn_write_off_applied": True, "csn_debt_written_off": True})]
ADMITTED = [("sed_admission_result", {"admitted": True}), ("sed_care_contacts", {"aids_prescribed": True}),
            ("sed_school_adaptations", {"school_leader_involved": True}), ("sed_study_start", {})]


def studies(study_form):
    return [("sed_track_decision", {"chosen_track": "STUDIES"}),
            ("sed_choose_education", {"study_form": study_form}), *ADMITTED]


def support(status):
    return ("sed_support_contact", {"support_status": status})


JOB = [("sed_job_search", {"search_result": "JOB_OFFER"}),
       ("sed_employer_engagement", {}),
       ("sed_employment_start", {"employment_type": "PERMANENT", "work_pct": 50, "subsidy": "NONE"})]


def closure(outcome, forward_plan=True):
    return ("sed_closure", {"outcome": outcome, "forward_plan": forward_plan})


# route name -> (end event, steps, status, outcome, end reason, milestones)
ROUTES = {
    "declines": ("end_sed_not_enrolled", [("sed_first_contact", {}), ("sed_participant_choice", {
        "chooses_sed": False, "decline_reason": "PARTICIPANT_CHOICE"})],
        "completed", "NO_OUTCOME", "PARTICIPANT_CHOICE", set()),
    # Frida's route: praktik, two single courses on social assistance, then a YH programme with CSN.
    "studies": ("end_sed_studies", [
        *ENROL, *KEEP_ASSISTANCE, ("sed_track_decision", {"chosen_track": "PLACEMENT"}), ("sed_placement", {}),
        ("sed_monthly_followup", {"current_activity": "PAUSED"}),
        ("sed_track_decision", {"chosen_track": "STUDIES"}),
        ("sed_choose_education", {"study_form": "KOMVUX"}), ("sed_admission_result", {"admitted": False}),
        ("sed_choose_education", {"study_form": "SINGLE_COURSES", "single_courses_first": True}), *ADMITTED,
        support("CONTINUE"), (WAIT, 14), ("sed_monthly_followup", {"current_activity": "STUDYING"}),
        support("NEW_COURSES"), *CSN_DIRECTLY, *studies("YH"), support("CONTINUE"), support("CLOSE"),
        closure("STUDIES")],
        "completed", "STUDIES", "GOAL_ACHIEVED", {"enrolled", "study_started"}),
    # IPS -> SEd -> IPS: job search, switch to studies, not admitted, switch back to work, a job.
    "employment": ("end_sed_employment", [
        *ENROL, *CSN_DIRECTLY, ("sed_track_decision", {"chosen_track": "WORK"}),
        ("sed_job_search", {"search_result": "CONTINUE", "first_employer_contact_date": "2026-03-20"}),
        ("sed_job_search", {"search_result": "SWITCH_TO_STUDIES"}),
        ("sed_choose_education", {"study_form": "UNIVERSITY"}),
        ("sed_admission_result", {"admitted": False, "if_not_admitted": "SWITCH_TO_WORK"}),
        *JOB, support("CONTINUE"), support("CLOSE"), closure("EMPLOYMENT")],
        "completed", "EMPLOYMENT", "GOAL_ACHIEVED", {"enrolled", "employment_started"}),
    # In studies, the participant asks for a new choice and another actor takes over.
    "other_plan_after_studies": ("end_sed_other_plan", [
        *ENROL, *KEEP_ASSISTANCE, *studies("SINGLE_COURSES"), support("SWITCH"),
        ("sed_track_decision", {"chosen_track": "OTHER_PLAN"}), closure("OTHER_PLAN")],
        "completed", "OTHER_PLAN", "TRANSFERRED", {"enrolled", "study_started"}),
    "other_plan_from_job_search": ("end_sed_other_plan", [
        *ENROL, *CSN_DIRECTLY, ("sed_track_decision", {"chosen_track": "WORK"}),
        ("sed_job_search", {"search_result": "OTHER_PLAN"}), closure("OTHER_PLAN", forward_plan=False)],
        "completed", "OTHER_PLAN", "TRANSFERRED", {"enrolled"}),
    # Withdrawal while in studies, with the monthly follow-up reminder open.
    "withdrawn": ("end_sed_withdrawn", [
        *ENROL, *KEEP_ASSISTANCE, *studies("KOMVUX"), support("CONTINUE"), (WITHDRAW, "HEALTH")],
        "withdrawn", "NO_OUTCOME", "HEALTH", {"enrolled", "study_started"}),
}


def rows(journal, kind, element=None):
    return [e for e in journal if e.kind == kind and (element is None or e.element_id == element)]


def test_the_routes_reach_every_end_event_of_the_diagram(definitions):
    definition = definitions.get(PID)
    ends, closing = end_events(definition), end_events(definition, closing=True)
    assert closing == {end for end, *_ in ROUTES.values()}
    assert ends - closing == {"sed_support_end"}  # closes the support period only; the routes pass it


def test_the_local_rule_is_configuration_and_a_recorded_field(definitions):
    definition = definitions.get(PID)
    assert definition.name == "Supported Education Botkyrka"
    assert definition.properties["programme"] == "SED"
    assert definition.properties["keep_assistance_while_trying_courses"] == "true"
    counselling = definition.element(PID, "sed_financial_counselling")
    assert counselling.lane == "financing" and counselling.form.field("keeps_social_assistance").required
    assert "keep_assistance_while_trying_courses" in counselling.documentation
    assert definition.start_form.field("entry_route") is not None
    assert {f.id for f in definition.start_form.fields} >= set(REFERRAL)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route(store, definitions, clock, route):
    end, steps, status, outcome, end_reason, milestones = ROUTES[route]
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = engine.start_case(PID, f"p-{route}", START, actor="coach-1").case_id
    run_steps(engine, case_id, steps)
    case, journal = assert_closed(engine, case_id, end=end, outcome=outcome, end_reason=end_reason,
                                  milestones=milestones, status=status)
    [ended] = rows(journal, "case_ended")
    assert ended.data == {"status": status}
    assert {e.actor for e in rows(journal, "task_completed")} == {"coach-1"}  # no timer completed anything
    done = [e.element_id for e in rows(journal, "task_completed")]
    reached = {e.element_id for e in rows(journal, "event_reached")}
    lanes = {e.element_id: e.lane for e in rows(journal, "task_ready")}
    assert lanes["sed_first_contact"] == "coach" and lanes["sed_participant_choice"] == "participant"

    # T7: from the enrolment a reminder comes due one calendar month after the previous follow-up (or the
    # enrolment) and waits until it is answered; the one still open when the case ends is cancelled with it.
    armed = [e.at for e in rows(journal, "task_completed", "sed_enrolment")] + \
        [e.at for e in rows(journal, "task_completed", "sed_monthly_followup")]
    waiting = rows(journal, "timer_waiting", "sed_followup_due")
    fired = rows(journal, "timer_fired", "sed_followup_due")
    assert [e.at for e in waiting] == armed
    assert [e.data["due"] for e in waiting] == [add_duration(t, "P1M").isoformat() for t in armed]
    assert all(add_duration(t, "P1M") <= f.at < add_duration(t, "P1M") + timedelta(days=8)
               for t, f in zip(armed, fired, strict=False))  # the last one armed may not have fired
    reminders = len(rows(journal, "task_ready", "sed_monthly_followup"))
    answered = done.count("sed_monthly_followup")
    open_at_end = rows(journal, "task_cancelled", "sed_monthly_followup")
    assert reminders == len(fired) == answered + len(open_at_end) and len(open_at_end) <= 1
    assert len(rows(journal, "task_cancelled", "sed_followup_due")) == (route != "declines") - len(open_at_end)

    if route == "studies":
        # Both financing plans: first single courses on social assistance, then CSN for the YH programme.
        assert done.index("sed_assistance_plan") < done.index("sed_csn_plan")
        assert done.count("sed_choose_education") == 3 and done.count("sed_study_start") == 2
        assert lanes["sed_placement"] == "employer" and lanes["sed_csn_plan"] == "financing"
        assert lanes["sed_care_contacts"] == "healthcare" and lanes["sed_school_adaptations"] == "school"
        assert answered == 2 and "sed_support_end" in reached
        assert case.data["study_form"] == "YH" and case.data["keeps_social_assistance"] is False
        assert case.data["csn_debt_written_off"] is True and case.data["csn_debt_band"] == "FROM_100K_TO_200K"
    elif route == "employment":
        # Switched IPS -> SEd -> IPS; the one reminder waits unanswered (no pile-up) until the closure.
        assert done.index("sed_choose_education") < done.index("sed_employer_engagement")
        assert done.count("sed_job_search") == 3 and "sed_study_start" not in done
        assert (answered, len(open_at_end)) == (0, 1)
        assert case.data["first_employer_contact_date"] == "2026-03-20"
        assert case.data["employment_type"] == "PERMANENT" and case.data["work_pct"] == 50
        assert case.milestones["employment_started"] > case.milestones["enrolled"]
    elif route == "withdrawn":
        cancelled = {e.element_id for e in rows(journal, "task_cancelled")}
        assert cancelled == {"sed_support_contact", "sed_monthly_followup", "sed_support_period"}
        assert reached >= {"sed_withdrawal_received", "end_sed_withdrawn"}
    elif route == "other_plan_from_job_search":
        assert case.data["forward_plan"] is False and "sed_study_start" not in done
    elif route == "declines":
        assert waiting == [] and "sed_enrolment" not in lanes


def test_follow_up_is_time_unlimited_and_only_reminds(store, definitions, clock):
    """T7: two years in studies, a follow-up answered every month; nothing closes until the participant does."""
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = engine.start_case(PID, "p-unlimited", START, actor="coach-1").case_id
    run_steps(engine, case_id, [*ENROL, *KEEP_ASSISTANCE, *studies("KOMVUX")])
    for _ in range(24):
        while not any(t.element_id == "sed_monthly_followup" for t in engine.list_tasks(case_id=case_id)):
            clock.advance(days=1)
            engine.tick()
        clock.advance(days=3)
        run_steps(engine, case_id, [("sed_monthly_followup", {"current_activity": "STUDYING"})])
        assert engine.show_case(case_id).status == "active"
    case = engine.show_case(case_id)
    assert case.stages == ["support"] and [t.element_id for t in case.tasks] == ["sed_support_contact"]
    [timer] = [t for t in engine.due(within=timedelta(days=31), case_id=case_id) if t.kind == "timer"]
    assert timer.element_id == "sed_followup_due"
    journal = engine.case_history(case_id)
    fired = rows(journal, "timer_fired", "sed_followup_due")
    assert len(fired) == 24 and fired[-1].at - fired[0].at > timedelta(days=690)
    run_steps(engine, case_id, [support("CLOSE"), closure("STUDIES")])
    case = engine.show_case(case_id)
    assert (case.status, case.outcome, case.tasks) == ("completed", "STUDIES", [])
    assert case.ended_at - case.started_at > timedelta(days=730)
