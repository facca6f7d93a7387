"""The exact journals (kind element [-> gateway targets]) of the routes in paths.py.

A journal is one line a transition; the pieces every route shares (the enrolment, a round of job search, the
start of a support period, the planned closure) are written once below and the routes are put together from
them in the order the engine writes them.
"""

from __future__ import annotations


def journal(*parts: str) -> str:
    """One journal from its pieces, one transition a line."""
    return "\n".join(part.strip() for part in parts)


def task(element_id: str) -> str:
    return f"task_ready {element_id}\ntask_completed {element_id}"


def via(gateway_id: str, element_id: str) -> str:
    """A gateway leading to a task, and the task done."""
    return f"gateway_taken {gateway_id} ->{element_id}\n{task(element_id)}"


FIRST_DIALOGUE = journal("case_started", "event_reached referral_received", task("first_contact"),
                         via("gw_info_merge", "information_dialogue"))
DECISION = via("gw_more_information", "participant_decision")
PROFILE = via("gw_profile_merge", "vocational_profile")
#: Two information dialogues, the choice of SE, the agreement and the first vocational profile.
ENROLMENT = journal(FIRST_DIALOGUE, "gateway_taken gw_more_information ->gw_info_merge",
                    via("gw_info_merge", "information_dialogue"), DECISION, via("gw_chooses_se", "agreement"), """
    gateway_taken gw_followup_fork ->gw_followup_merge,network_mapping
    task_ready network_mapping
    gateway_taken gw_followup_merge ->followup_due
    timer_waiting followup_due
    task_completed network_mapping
""", PROFILE)
SEARCH = via("gw_search_merge", "job_search")
TO_SEARCH = journal("gateway_taken gw_basis_sufficient ->gw_search_merge", SEARCH)
STUDY_APPLICATION = via("gw_search_result", "study_application")
JOB = journal(via("gw_search_result", "employer_engagement"), task("employment_start"))
#: The monthly follow-up reminder, armed at the agreement, coming due.
MONTHLY = "timer_fired followup_due\ntask_ready monthly_followup"
#: Into the support stage; the monthly reminder that came due in the same step fires after the fork.
SUPPORT_FORK = "gateway_taken gw_support_merge ->followup_year_over,support_period"
SUPPORT_STARTED = journal("""
    timer_waiting followup_year_over
    activity_started support_period
    event_reached support_start
""", via("gw_support_loop", "support_followup"))
SUPPORT = journal(SUPPORT_FORK, SUPPORT_STARTED)


def support_end(event_id: str) -> str:
    return f"""
        gateway_taken gw_stability ->{event_id}
        event_reached {event_id}
        activity_completed support_period
        task_cancelled followup_year_over
    """


def closure(end: str) -> str:
    return journal(via("gw_closure_merge", "planned_closure"), f"""
        gateway_taken gw_outcome ->{end}
        event_reached {end}
        task_cancelled monthly_followup
        case_ended {end}
    """)


JOURNALS = {
    "end_not_enrolled": journal(FIRST_DIALOGUE, DECISION, """
        gateway_taken gw_chooses_se ->end_not_enrolled
        event_reached end_not_enrolled
        case_ended end_not_enrolled
    """),
    "end_employment": journal(ENROLMENT, via("gw_basis_sufficient", "work_placement"), PROFILE, f"""
        gateway_taken gw_basis_sufficient ->supported_training_period
        activity_started supported_training_period
        event_reached st_start
        {task("st_agreement")}
        task_ready st_competence_profile
    """, MONTHLY, f"""
        task_completed st_competence_profile
        {task("st_workplace_profile")}
        task_ready st_activity_assessment
        timer_fired st_assessment_reminder
        task_ready st_assessment_check
        task_completed st_activity_assessment
        {task("st_followup")}
        event_reached st_end
        task_cancelled st_assessment_check
        activity_completed supported_training_period
    """, PROFILE, TO_SEARCH, "gateway_taken gw_search_result ->gw_search_merge", SEARCH, JOB, SUPPORT,
        "gateway_taken gw_stability ->gw_support_loop", via("gw_support_loop", "support_followup"),
        support_end("support_stable"), via("gw_support_result", "taper_off"), closure("end_employment")),
    "end_studies": journal(ENROLMENT, TO_SEARCH, STUDY_APPLICATION, "gateway_taken gw_admitted ->gw_search_merge",
                           SEARCH, "gateway_taken gw_search_result ->study_application\ntask_ready study_application",
                           MONTHLY, "task_completed study_application", via("gw_admitted", "study_start"), SUPPORT,
                           support_end("support_stable"), via("gw_support_result", "taper_off"),
                           closure("end_studies")),
    "end_continued_af": journal(ENROLMENT, TO_SEARCH, JOB, SUPPORT_FORK, MONTHLY, SUPPORT_STARTED,
                                support_end("support_job_lost"),
                                "gateway_taken gw_support_result ->gw_search_merge", SEARCH,
                                "gateway_taken gw_search_result ->gw_closure_merge", closure("end_continued_af")),
    "end_other_plan": journal(ENROLMENT, TO_SEARCH, "gateway_taken gw_search_result ->gw_profile_merge", PROFILE,
                              TO_SEARCH, "gateway_taken gw_search_result ->gw_closure_merge", MONTHLY,
                              closure("end_other_plan")),
}
