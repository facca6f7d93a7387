"""Routes through the five programme diagrams to every end event, as data, and the step language that runs them.

One ``Programme`` per diagram (Gävle, Håbo, Botkyrka, #jagmed, IMA): how a case starts there and a table of
``Route`` rows, each one participant from the start form to the end event the row names. The one parametrised
test over all of them is ``test_programme_routes.py``; the per-programme test files use the same step
fragments for what is not a route walk (timers, local rules).

A step is ``(task element id, choices)``: the longest-waiting ready task of that element is completed with its
form filled around the choices (``conftest.fill``; dates are the clock's day), then a week passes and the
scheduler ticks. ``(WAIT, n)`` lets n days pass with a tick each day, ``(AT, "YYYY-MM-DD")`` moves the clock
to 08:00 that day and ticks, ``(READY, element)`` / ``(NOT_READY, element)`` say what the queue holds now,
``(WITHDRAW, end reason)`` is the participant leaving (always the last step). No sleeping and no real time:
the clock is the ManualClock of the ``clock`` fixture.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conftest import REFERRAL, WAIT, WITHDRAW, run_steps

AT, READY, NOT_READY = "@at", "@ready", "@not_ready"
#: The steps that complete no task.
MARKERS = {WAIT, WITHDRAW, AT, READY, NOT_READY}

Step = tuple[str, Any]


@dataclass(frozen=True)
class Route:
    """One participant's way to ``end``, and what the case and its journal say when it got there.

    ``passes``: events the journal must show reached on the way (ends of sub-paths, boundary events);
    ``timers``: every timer that fired, with how often, or with the days it fired on (each on the 08:00
    tick of an ``AT`` step); ``lanes``: lanes tasks of this route were offered in, besides the programme's;
    ``data``: fields the case holds at the end; ``start``: start-form values over the programme's.
    """

    end: str
    steps: list[Step]
    outcome: str
    end_reason: str
    milestones: frozenset[str] = frozenset()
    passes: frozenset[str] = frozenset()
    timers: Mapping[str, int | tuple[str, ...]] = field(default_factory=dict)
    lanes: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    start: Mapping[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "withdrawn" if self.steps[-1][0] == WITHDRAW else "completed"

    @property
    def tasks(self) -> list[tuple[str, dict[str, Any]]]:
        """The (element id, choices) of the steps that complete a task, in order."""
        return [(kind, arg) for kind, arg in self.steps if kind not in MARKERS]


@dataclass(frozen=True)
class Programme:
    """A diagram, how its cases start, and its routes.

    ``opens``: the (task, lane) ready right after the start, in ``stages``; ``lanes``: lanes every route
    offers these tasks in; ``reminders``: timer -> the task it makes ready (a timer that only reminds);
    ``elsewhere``: end events that close no case and that another test of the programme reaches.
    """

    process_id: str
    start: Mapping[str, Any]
    actor: str
    routes: Mapping[str, Route]
    opens: list[tuple[str, str]]
    stages: list[str]
    lanes: Mapping[str, str] = field(default_factory=dict)
    reminders: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    elsewhere: frozenset[str] = frozenset()


def ready(engine, case_id) -> set[str]:
    """The element ids of the case's ready tasks."""
    return {t.element_id for t in engine.list_tasks(case_id=case_id)}


def run_route(engine, case_id, steps, *, actor):
    """Run ``steps`` (the step language above) on the case; returns the case after the last change."""
    case = None
    for kind, arg in steps:
        if kind == AT:
            engine.clock.set(f"{arg}T08:00:00+00:00")
            engine.tick()
        elif kind in (READY, NOT_READY):
            assert (arg in ready(engine, case_id)) == (kind == READY), (kind, arg, ready(engine, case_id))
        else:
            case = run_steps(engine, case_id, [(kind, arg)], actor=actor) or case
    return case


def start(programme: Programme, engine, participant: str, overrides: Mapping[str, Any] | None = None) -> str:
    """Start a case of the programme (start form: the programme's, then ``overrides``); returns its id."""
    data = {**programme.start, **(overrides or {})}
    return engine.start_case(programme.process_id, participant, data, actor=programme.actor).case_id


# --- Gävle SE-coach: from the FK signal, through activities, work or studies and a year of follow-up ----------

GV_ROUTE_IN = [("joint_mapping", {"referral_decision": "REFER"}), ("se_coach_referral", {})]
GV_TO_ACTIVITY = [*GV_ROUTE_IN, ("relationship_building", {"relationship_next": "FIND_ACTIVITY"})]
GV_WORK_TRIAL = [("choose_activity", {"activity_choice": "WORK_TRIAL"}),
                 ("st_agreement", {"st_assessment_end_date": "2026-12-31"}), ("st_competence_profile", {}),
                 ("st_workplace_profile", {}), ("st_activity_assessment", {}),
                 ("st_followup", {"recommended_direction": "JOB_SEARCH"})]
GV_OTHER_ACTIVITY = [("choose_activity", {"activity_choice": "OTHER_ACTIVITY"}),
                     ("other_activity", {"placement_type": "SOCIAL_ENTERPRISE"})]
GV_TO_JOB_SEARCH = [*GV_TO_ACTIVITY, *GV_OTHER_ACTIVITY, ("activity_review", {"activity_result": "JOB_SEARCH"})]


def gv_job(employment_type, start_day):
    return [("gv_job_search", {"search_result": "JOB_OFFER", "first_employer_contact_date": "2026-03-01"}),
            ("employment_start", {"employment_type": employment_type, "employment_start_date": start_day,
                                  "work_pct": 50})]


def gv_studies(start_day):
    return [("gv_study_application", {"admitted": True}), ("study_start", {"study_start_date": start_day})]


ENROLLED, EMPLOYED, STUDYING = (frozenset({"enrolled"}), frozenset({"enrolled", "employment_started"}),
                                frozenset({"enrolled", "study_started"}))
#: Only a permanent job closes a Gävle case as work: what the Gävle counting rule reads.
GV_PERMANENT = {"employment_type": "PERMANENT"}
#: The monthly status meeting of FK, AF and the SE-coach comes due a month after the referral, once.
GV_MEETING = {"status_meeting_due": 1}

GAVLE = Programme(
    process_id="gavle_se_coach", actor="coach-1",
    start={**REFERRAL, "referral_channel": "JOINT_MAPPING", "fk_signal_source": "PERSON",
           "ae_decision_end": "2029-06-30"},
    opens=[("joint_mapping", "fk")], stages=["referral"],
    reminders={"status_meeting_due": "status_meeting", "ae_warning_due": "ae_forward_planning",
               "st_assessment_reminder": "st_assessment_check"},
    routes={
        "declined": Route(
            "end_declined", [("joint_mapping", {"referral_decision": "DECLINED"})],
            "NO_OUTCOME", "PARTICIPANT_CHOICE"),
        "not_referred": Route(
            "end_not_referred", [("joint_mapping", {"referral_decision": "NOT_NOW"})], "NO_OUTCOME", "OTHER"),
        # Work trial (Supported Training), a summer job that does not count, a permanent job lost during the
        # follow-up, then a permanent job whose follow-up the participant closes early.
        "work_closed_early": Route(
            "end_employment",
            [*GV_ROUTE_IN, ("relationship_building", {"relationship_next": "CONTINUE"}),
             ("relationship_building", {"relationship_next": "FIND_ACTIVITY"}), *GV_WORK_TRIAL,
             ("activity_review", {"activity_result": "JOB_SEARCH"}), *gv_job("FIXED_TERM", "2026-06-01"),
             (READY, "gv_job_search"), (NOT_READY, "employment_support"),
             *gv_job("PERMANENT", "2026-08-01"), ("employment_support", {"employment_status": "JOB_LOST"}),
             (READY, "gv_job_search"), *gv_job("PERMANENT", "2026-10-01"),
             ("employment_support", {"employment_status": "CONTINUE"}),
             ("employment_support", {"employment_status": "FOLLOWUP_DONE"}),
             ("employment_closure", {"destination_after": "EMPLOYER_ONLY"})],
            "EMPLOYMENT", "GOAL_ACHIEVED", EMPLOYED, passes=frozenset({"emp_support_job_lost", "emp_support_done"}),
            timers=GV_MEETING, data=GV_PERMANENT),
        # One year after the start the timer hands the follow-up to the participant, who continues it once;
        # the follow-up asks again three months after that review.
        "work_after_the_year": Route(
            "end_employment",
            [*GV_TO_JOB_SEARCH, *gv_job("PERMANENT", "2026-04-01"),
             ("employment_support", {"employment_status": "CONTINUE"}),
             (AT, "2027-03-31"), (READY, "employment_support"), (AT, "2027-04-01"),
             (READY, "employment_year_review"), (NOT_READY, "employment_support"),
             ("employment_year_review", {"followup_decision": "CONTINUE", "followup_review_date": "2027-04-01"}),
             (READY, "employment_support"), (AT, "2027-07-01"),
             ("employment_year_review", {"followup_decision": "CLOSE", "followup_review_date": "2027-07-01"}),
             ("employment_closure", {})],
            "EMPLOYMENT", "GOAL_ACHIEVED", EMPLOYED,
            timers={**GV_MEETING, "employment_year_over": ("2027-04-01", "2027-07-01")}, data=GV_PERMANENT),
        # Study preparation, an application that was not admitted, studies from job search, one year of follow-up.
        "studies_after_the_year": Route(
            "end_studies",
            [*GV_TO_ACTIVITY, ("choose_activity", {"activity_choice": "STUDY_PREP"}), ("study_preparation", {}),
             ("activity_review", {"activity_result": "STUDIES"}), ("gv_study_application", {"admitted": False}),
             (READY, "choose_activity"), *GV_OTHER_ACTIVITY, ("activity_review", {"activity_result": "JOB_SEARCH"}),
             ("gv_job_search", {"search_result": "STUDIES"}), *gv_studies("2026-08-17"),
             ("study_support", {"study_status": "CONTINUE"}), (AT, "2027-08-17"),
             ("study_year_review", {"followup_decision": "CLOSE", "followup_review_date": "2027-08-17"}),
             ("study_closure", {"destination_after": "SCHOOL"})],
            "STUDIES", "GOAL_ACHIEVED", STUDYING, timers={**GV_MEETING, "study_year_over": ("2027-08-17",)}),
        "studies_closed_early": Route(
            "end_studies",
            [*GV_TO_ACTIVITY, *GV_WORK_TRIAL, ("activity_review", {"activity_result": "STUDIES"}),
             *gv_studies("2026-06-15"), ("study_support", {"study_status": "STUDIES_ENDED"}),
             (READY, "choose_activity"), *GV_OTHER_ACTIVITY, ("activity_review", {"activity_result": "STUDIES"}),
             *gv_studies("2026-08-24"), ("study_support", {"study_status": "FOLLOWUP_DONE"}), ("study_closure", {})],
            "STUDIES", "GOAL_ACHIEVED", STUDYING, passes=frozenset({"study_support_ended", "study_support_done"}),
            timers=GV_MEETING),
        # The AE decision ends 2026-09-30: FK is asked to plan on 2026-03-30; a new decision to 2027-12-31
        # re-arms the watch for 2027-06-30; then the person closes towards another plan.
        "other_plan_after_ae_warning": Route(
            "end_other_plan",
            [*GV_ROUTE_IN, ("relationship_building", {"relationship_next": "CONTINUE"}), (AT, "2026-03-30"),
             (READY, "ae_forward_planning"),
             ("ae_forward_planning", {"ae_plan": "NEW_AE_DECISION", "ae_decision_extended": True,
                                      "ae_decision_end": "2027-12-31"}),
             (AT, "2027-06-30"),
             ("ae_forward_planning", {"ae_plan": "SICKNESS_COMP", "ae_decision_extended": False}),
             ("relationship_building", {"relationship_next": "CLOSE"}),
             ("gv_closure", {"outcome": "OTHER_PLAN", "destination_after": "FK_BENEFIT_APPLICATION"})],
            "OTHER_PLAN", "TRANSFERRED", ENROLLED, passes=frozenset({"ae_planning_done"}),
            timers={**GV_MEETING, "ae_warning_due": ("2026-03-30", "2027-06-30")},
            start={"ae_decision_end": "2026-09-30"}),
        "no_forward_plan": Route(
            "end_no_forward_plan",
            [*GV_TO_ACTIVITY, *GV_OTHER_ACTIVITY, ("activity_review", {"activity_result": "CLOSE"}),
             ("gv_closure", {"outcome": "OTHER_PLAN", "forward_plan": False, "destination_after": "NONE"})],
            "OTHER_PLAN", "NO_FORWARD_PLAN", ENROLLED, timers=GV_MEETING),
        # New activities from the review and from job search, then AF takes over (SIUS).
        "continued_af": Route(
            "end_continued_af",
            [*GV_TO_ACTIVITY, *GV_OTHER_ACTIVITY, ("activity_review", {"activity_result": "NEW_ACTIVITY"}),
             *GV_WORK_TRIAL, ("activity_review", {"activity_result": "JOB_SEARCH"}),
             ("gv_job_search", {"search_result": "CONTINUE"}), ("gv_job_search", {"search_result": "NEW_ACTIVITY"}),
             *GV_OTHER_ACTIVITY, ("activity_review", {"activity_result": "JOB_SEARCH"}),
             ("gv_job_search", {"search_result": "CLOSE"}),
             ("gv_closure", {"outcome": "CONTINUED_AF_SUPPORT", "destination_after": "SIUS"})],
            "CONTINUED_AF_SUPPORT", "TRANSFERRED", ENROLLED, timers=GV_MEETING),
        # The seed's rule: a summer job leaves the person "letar jobb"; at the end of the project they move to SIUS.
        "project_ended_after_summer_job": Route(
            "end_project_ended",
            [*GV_TO_JOB_SEARCH, *gv_job("SEASONAL", "2026-06-15"), (READY, "gv_job_search"),
             ("gv_job_search", {"search_result": "CLOSE"}),
             ("gv_closure", {"outcome": "CONTINUED_AF_SUPPORT", "project_ended": True, "destination_after": "SIUS"})],
            "CONTINUED_AF_SUPPORT", "PROJECT_ENDED", EMPLOYED, timers=GV_MEETING),
        # Withdrawal in the middle of a called Supported Training period ends everything, timers included.
        "withdrawn": Route(
            "end_withdrawn",
            [*GV_TO_ACTIVITY, *GV_WORK_TRIAL[:2], (READY, "st_competence_profile"), (WITHDRAW, "PARTICIPANT_CHOICE")],
            "NO_OUTCOME", "PARTICIPANT_CHOICE", ENROLLED, timers=GV_MEETING),
    },
)

# --- Håbo IPS (Arbetsstödet): social services grant the support, then work or studies with a follow-up ---------

HB_GRANTED = [
    ("bistand_decision", {"bistand_granted": True}),
    ("arrival", {}),
    ("mapping", {"more_mapping_needed": True}),   # the client sets the pace: a second conversation
    ("mapping", {"more_mapping_needed": False}),
]
HB_WORK_PLAN = [("individual_plan", {"goal_type": "WORK"}), ("bistand_dialogue", {})]
HB_JOB = [("job_agreement", {"tasks_agreed": True}),
          ("employment_start", {"employment_type": "PERMANENT", "work_pct": 50, "subsidy": "NONE"})]
HB_LANES = {"bistand_decision": "social_services", "arrival": "coach"}

HABO = Programme(
    process_id="habo_ips", actor="coach-1", start=REFERRAL,
    opens=[("bistand_decision", "social_services")], stages=["agreement"],
    reminders={"weekly_contact_due": "weekly_contact", "monthly_contact_due": "monthly_contact"},
    routes={
        "end_not_granted": Route(
            "end_not_granted", [("bistand_decision", {"bistand_granted": False, "refusal_reason": "noterat"})],
            "NO_OUTCOME", "OTHER"),
        "end_open_labour_market": Route(
            "end_open_labour_market",
            [*HB_GRANTED, *HB_WORK_PLAN,
             ("employer_contact", {"contact_result": "CONTINUE", "contact_caller": "PARTICIPANT",
                                   "first_employer_contact_date": "2026-03-01", "employer_contacts": 3}),
             ("employer_contact", {"contact_result": "PLACEMENT", "contact_caller": "COACH"}),
             ("work_placement", {}),
             ("employer_contact", {"contact_result": "JOB_OFFER"}),
             *HB_JOB,
             ("followup_meeting", {"followup_status": "CONTINUE"}),
             ("followup_meeting", {"followup_status": "SUPPORT_NOT_NEEDED"}),
             ("closure", {"outcome": "EMPLOYMENT", "wage_replaced_support": True, "forward_plan": True})],
            "EMPLOYMENT", "GOAL_ACHIEVED", EMPLOYED, passes=frozenset({"followup_support_ended"}),
            timers={"weekly_contact_due": 1}, lanes=HB_LANES,
            data={"first_employer_contact_date": "2026-03-01", "employment_type": "PERMANENT", "work_pct": 50,
                  "subsidy": "NONE", "contact_caller": "COACH", "forward_plan": True}),
        "end_studies": Route(
            "end_studies",
            [*HB_GRANTED,
             ("individual_plan", {"goal_type": "STUDIES"}), ("bistand_dialogue", {}),
             ("find_studies", {}),
             ("study_application", {"admitted": False}),
             ("employer_contact", {"contact_result": "STUDIES"}),
             ("find_studies", {}),
             ("study_application", {"admitted": True}),
             ("study_start", {"csn": True}),
             ("followup_meeting", {"followup_status": "LEAVES"}),
             ("closure", {"outcome": "STUDIES", "forward_plan": True})],
            "STUDIES", "GOAL_ACHIEVED", STUDYING, passes=frozenset({"followup_support_ended"}),
            timers={"weekly_contact_due": 1}, lanes=HB_LANES),
        "end_other_plan": Route(
            "end_other_plan",
            [*HB_GRANTED, *HB_WORK_PLAN,
             ("employer_contact", {"contact_result": "JOB_OFFER", "first_employer_contact_date": "2026-03-01"}),
             *HB_JOB,
             ("followup_meeting", {"followup_status": "JOB_LOST"}),   # back to employer contacts
             ("employer_contact", {"contact_result": "OTHER_PLAN"}),
             ("closure", {"outcome": "OTHER_PLAN", "destination_after": "HEALTHCARE", "forward_plan": True})],
            "OTHER_PLAN", "TRANSFERRED", EMPLOYED, passes=frozenset({"followup_job_lost"}),
            timers={"weekly_contact_due": 1}, lanes=HB_LANES),
        "end_withdrawn": Route(
            "end_withdrawn",
            [*HB_GRANTED, *HB_WORK_PLAN, ("employer_contact", {"contact_result": "JOB_OFFER"}), *HB_JOB,
             (WITHDRAW, "PARTICIPANT_CHOICE")],
            "NO_OUTCOME", "PARTICIPANT_CHOICE", EMPLOYED, timers={"weekly_contact_due": 1}, lanes=HB_LANES),
    },
)

# --- Botkyrka Supported Education: both financing plans of the local rule, IPS and SEd tracks, monthly T7 -----

BK_FOLLOWUP = "sed_followup_due"
BK_ENROL = [("sed_first_contact", {}), ("sed_participant_choice", {"chooses_sed": True}),
            ("sed_enrolment", {"goal_type": "STUDIES", "coach_role": "COMBINED_IPS_SED"}),
            ("sed_mapping_study_plan", {})]
BK_KEEP_ASSISTANCE = [("sed_financial_counselling", {"keeps_social_assistance": True}),
                      ("sed_assistance_plan", {"courses_to_try": 2, "then_apply_csn": True})]
BK_CSN_DIRECTLY = [("sed_financial_counselling", {"keeps_social_assistance": False, "csn_debt": True,
                                                  "csn_debt_band": "FROM_100K_TO_200K"}),
                   ("sed_csn_plan", {"csn_write_off_applied": True, "csn_debt_written_off": True})]
BK_ADMITTED = [("sed_admission_result", {"admitted": True}), ("sed_care_contacts", {"aids_prescribed": True}),
               ("sed_school_adaptations", {"school_leader_involved": True}), ("sed_study_start", {})]
BK_JOB = [("sed_job_search", {"search_result": "JOB_OFFER"}),
          ("sed_employer_engagement", {}),
          ("sed_employment_start", {"employment_type": "PERMANENT", "work_pct": 50, "subsidy": "NONE"})]


def bk_studies(study_form):
    return [("sed_track_decision", {"chosen_track": "STUDIES"}),
            ("sed_choose_education", {"study_form": study_form}), *BK_ADMITTED]


def bk_support(status):
    return ("sed_support_contact", {"support_status": status})


def bk_closure(outcome, forward_plan=True):
    return ("sed_closure", {"outcome": outcome, "forward_plan": forward_plan})


BOTKYRKA = Programme(
    process_id="botkyrka_sed", actor="coach-1",
    start={**REFERRAL, "referral_source": "MUNI_YOUTH", "entry_route": "YOUTH_NO_ACTIVITY"},
    opens=[("sed_first_contact", "coach")], stages=["agreement"],
    lanes={"sed_first_contact": "coach", "sed_participant_choice": "participant"},
    reminders={BK_FOLLOWUP: "sed_monthly_followup"},
    routes={
        "declines": Route(
            "end_sed_not_enrolled",
            [("sed_first_contact", {}),
             ("sed_participant_choice", {"chooses_sed": False, "decline_reason": "PARTICIPANT_CHOICE"})],
            "NO_OUTCOME", "PARTICIPANT_CHOICE"),
        # Frida's route: praktik, two single courses on social assistance, then a YH programme with CSN.
        "studies": Route(
            "end_sed_studies",
            [*BK_ENROL, *BK_KEEP_ASSISTANCE, ("sed_track_decision", {"chosen_track": "PLACEMENT"}),
             ("sed_placement", {}), ("sed_monthly_followup", {"current_activity": "PAUSED"}),
             ("sed_track_decision", {"chosen_track": "STUDIES"}),
             ("sed_choose_education", {"study_form": "KOMVUX"}), ("sed_admission_result", {"admitted": False}),
             ("sed_choose_education", {"study_form": "SINGLE_COURSES", "single_courses_first": True}), *BK_ADMITTED,
             bk_support("CONTINUE"), (WAIT, 14), ("sed_monthly_followup", {"current_activity": "STUDYING"}),
             bk_support("NEW_COURSES"), *BK_CSN_DIRECTLY, *bk_studies("YH"), bk_support("CONTINUE"),
             bk_support("CLOSE"), bk_closure("STUDIES")],
            "STUDIES", "GOAL_ACHIEVED", STUDYING, passes=frozenset({"sed_support_end"}), timers={BK_FOLLOWUP: 3},
            lanes={"sed_placement": "employer", "sed_csn_plan": "financing", "sed_care_contacts": "healthcare",
                   "sed_school_adaptations": "school"},
            # Both financing plans: first single courses on social assistance, then CSN for the YH programme.
            data={"study_form": "YH", "keeps_social_assistance": False, "csn_debt_written_off": True,
                  "csn_debt_band": "FROM_100K_TO_200K"}),
        # IPS -> SEd -> IPS: job search, switch to studies, not admitted, switch back to work, a job.
        "employment": Route(
            "end_sed_employment",
            [*BK_ENROL, *BK_CSN_DIRECTLY, ("sed_track_decision", {"chosen_track": "WORK"}),
             ("sed_job_search", {"search_result": "CONTINUE", "first_employer_contact_date": "2026-03-20"}),
             ("sed_job_search", {"search_result": "SWITCH_TO_STUDIES"}),
             ("sed_choose_education", {"study_form": "UNIVERSITY"}),
             ("sed_admission_result", {"admitted": False, "if_not_admitted": "SWITCH_TO_WORK"}),
             *BK_JOB, bk_support("CONTINUE"), bk_support("CLOSE"), bk_closure("EMPLOYMENT")],
            "EMPLOYMENT", "GOAL_ACHIEVED", EMPLOYED, timers={BK_FOLLOWUP: 1},
            data={"first_employer_contact_date": "2026-03-20", "employment_type": "PERMANENT", "work_pct": 50}),
        # In studies, the participant asks for a new choice and another actor takes over.
        "other_plan_after_studies": Route(
            "end_sed_other_plan",
            [*BK_ENROL, *BK_KEEP_ASSISTANCE, *bk_studies("SINGLE_COURSES"), bk_support("SWITCH"),
             ("sed_track_decision", {"chosen_track": "OTHER_PLAN"}), bk_closure("OTHER_PLAN")],
            "OTHER_PLAN", "TRANSFERRED", STUDYING, timers={BK_FOLLOWUP: 1}),
        "other_plan_from_job_search": Route(
            "end_sed_other_plan",
            [*BK_ENROL, *BK_CSN_DIRECTLY, ("sed_track_decision", {"chosen_track": "WORK"}),
             ("sed_job_search", {"search_result": "OTHER_PLAN"}), bk_closure("OTHER_PLAN", forward_plan=False)],
            "OTHER_PLAN", "TRANSFERRED", ENROLLED, timers={BK_FOLLOWUP: 1}, data={"forward_plan": False}),
        # Withdrawal while in studies, with the monthly follow-up reminder open.
        "withdrawn": Route(
            "end_sed_withdrawn",
            [*BK_ENROL, *BK_KEEP_ASSISTANCE, *bk_studies("KOMVUX"), bk_support("CONTINUE"), (WITHDRAW, "HEALTH")],
            "NO_OUTCOME", "HEALTH", STUDYING, passes=frozenset({"sed_withdrawal_received"}),
            timers={BK_FOLLOWUP: 1}),
    },
)

# --- #jagmed (Katrineholm): school absence, a student plan, a soft start back to school -----------------------

JM_FOLLOWUP, JM_SOFT_START = "jm_plan_followup_due", "jm_soft_start_reminder"
JM_SCHOOL = [("jm_raise_absence", {}), ("jm_school_measures", {"measures_result": "CONTINUE"})]
JM_ESCALATED = [*JM_SCHOOL, ("jm_school_measures", {"measures_result": "ESCALATE"}), ("jm_first_contact", {})]
JM_ENROLLED = [*JM_ESCALATED, ("jm_participation_decision", {"wants_to_participate": True}),
               ("jm_application_received", {"signed_application_date": "2026-03-09"})]
JM_PLANNED = [*JM_ENROLLED,
              ("jm_mapping_student_plan", {"plan_school_actions": "anpassat schema",
                                           "plan_project_actions": "koordinator varje vecka",
                                           "plan_student_actions": "kommer till första lektionen"}),
              ("jm_coordinator_assigned", {}), ("jm_partner_coordination", {"bup_involved": True})]
JM_IN_SCHOOL = [("jm_return_to_school", {"study_form": "UPPER_SECONDARY"})]
#: What every route past the student plan shows: the plan's lanes and the signed application.
JM_PLAN_LANES = {"jm_partner_coordination": "partners", "jm_student_goals": "participant",
                 "jm_mapping_student_plan": "coach"}
JM_SIGNED = {"signed_application_date": "2026-03-09"}


def jm_planned(end, steps, outcome, end_reason, milestones, timers):
    """A route past the student plan: enrolled, with the plan's lanes and the signed application."""
    return Route(end, [*JM_PLANNED, *steps], outcome, end_reason, milestones, timers=timers, lanes=JM_PLAN_LANES,
                 data=JM_SIGNED)


JAGMED = Programme(
    process_id="jagmed", actor="koordinator-1",
    start={**REFERRAL, "referral_source": "SCHOOL", "referral_unit": "Gymnasieskola i Katrineholm",
           "income_support": "NONE_OR_UNKNOWN", "birth_year": 2009, "absence_flagged_date": "2026-02-02",
           "school_form": "UPPER_SECONDARY", "school_year": 1, "absence_pct": 40},
    opens=[("jm_raise_absence", "school")], stages=["referral"],
    lanes={"jm_raise_absence": "school"},
    reminders={JM_FOLLOWUP: "jm_plan_followup", JM_SOFT_START: "jm_soft_start_checkin"},
    # A reminder branch ends there (reached in test_reminders_only_remind).
    elsewhere=frozenset({"jm_soft_start_checkin_done"}),
    routes={
        "resolved_in_school": Route(
            "end_jm_resolved_in_school", [*JM_SCHOOL, ("jm_school_measures", {"measures_result": "RESOLVED"})],
            "NO_OUTCOME", "GOAL_ACHIEVED"),
        "declined": Route(
            "end_jm_not_enrolled",
            [*JM_ESCALATED,
             ("jm_participation_decision", {"wants_to_participate": False, "decline_reason": "PARTICIPANT_CHOICE"})],
            "NO_OUTCOME", "PARTICIPANT_CHOICE"),
        "back_in_school": jm_planned(
            "end_jm_back_in_school",
            [("jm_student_goals", {"soft_start_needed": False}), *JM_IN_SCHOOL,
             ("jm_school_followup", {"school_status": "CONTINUE"}), ("jm_plan_followup", {}),
             ("jm_school_followup", {"school_status": "STABLE"}), ("jm_closure", {"forward_plan": True})],
            "STUDIES", "GOAL_ACHIEVED", STUDYING, {JM_FOLLOWUP: 1}),
        "soft_start_setback_back_in_school": jm_planned(
            "end_jm_back_in_school",
            [("jm_student_goals", {"soft_start_needed": True}), (WAIT, 14),
             ("jm_soft_start", {"soft_start_result": "CONTINUE", "hours_per_week": 4}), ("jm_soft_start_checkin", {}),
             ("jm_soft_start", {"soft_start_result": "READY", "hours_per_week": 12}), *JM_IN_SCHOOL,
             ("jm_school_followup", {"school_status": "SETBACK"}), ("jm_partner_coordination", {}),
             ("jm_student_goals", {"soft_start_needed": False}), *JM_IN_SCHOOL,
             ("jm_school_followup", {"school_status": "STABLE"}), ("jm_closure", {"forward_plan": True})],
            "STUDIES", "GOAL_ACHIEVED", STUDYING, {JM_FOLLOWUP: 1, JM_SOFT_START: 2}),
        "soft_start_other_plan": jm_planned(
            "end_jm_other_plan",
            [("jm_student_goals", {"soft_start_needed": True}), (WAIT, 14),
             ("jm_soft_start", {"soft_start_result": "CONTINUE"}), (WAIT, 14), ("jm_soft_start_checkin", {}),
             ("jm_soft_start_checkin", {}), ("jm_soft_start", {"soft_start_result": "OTHER_PLAN"}),
             ("jm_other_plan_handover", {"destination_after": "HEALTHCARE", "forward_plan": True})],
            "OTHER_PLAN", "TRANSFERRED", ENROLLED, {JM_FOLLOWUP: 1, JM_SOFT_START: 2}),
        "school_other_plan": jm_planned(
            "end_jm_other_plan",
            [("jm_student_goals", {"soft_start_needed": False}), *JM_IN_SCHOOL,
             ("jm_school_followup", {"school_status": "OTHER_PLAN"}),
             ("jm_other_plan_handover", {"destination_after": "SOCIAL_SERVICES", "forward_plan": False})],
            "OTHER_PLAN", "TRANSFERRED", STUDYING, {JM_FOLLOWUP: 1}),
        "withdrawn_during_soft_start": jm_planned(
            "end_jm_withdrawn",
            [("jm_student_goals", {"soft_start_needed": True}), (WAIT, 21), (WITHDRAW, "PARTICIPANT_CHOICE")],
            "NO_OUTCOME", "PARTICIPANT_CHOICE", ENROLLED, {JM_FOLLOWUP: 1, JM_SOFT_START: 1}),
    },
)

# --- IMA (Strängnäs/Eskilstuna): a case manager who does not let go, monthly reminders in employment ----------

IMA_REMINDER = "ima_followup_reminder"
IMA_MAPPED = [("ima_case_manager_assigned", {"assignment_date": "2026-02-02"}), ("ima_brief_mapping", {})]
IMA_SEARCHING = [*IMA_MAPPED, ("ima_partner_dialogue", {"dialogue_result": "JOB_SEARCH", "af_involved": True})]
IMA_EMPLOYED = [
    *IMA_SEARCHING,
    ("ima_job_search", {"search_result": "CONTINUE", "first_employer_contact_date": "2026-02-20"}),
    ("ima_job_search", {"search_result": "JOB_OFFER"}), ("ima_employer_matching", {}),
    ("ima_employment_start", {"employment_type": "FIXED_TERM", "work_pct": 75, "subsidy": "NONE"})]
IMA_JOB_LOST = [("ima_employment_followup", {"employment_status": "NOT_YET"}),
                ("ima_employment_followup", {"employment_status": "JOB_LOST"})]


def ima_employed(end, steps, outcome, end_reason, *, data=None):
    """A route through a job: the employer's lane, the first employer contact, one monthly reminder."""
    return Route(end, [*IMA_EMPLOYED, *steps], outcome, end_reason, EMPLOYED, timers={IMA_REMINDER: 1},
                 lanes={"ima_employer_matching": "employer"},
                 data={"first_employer_contact_date": "2026-02-20", **(data or {})})



def ima_studies(steps, study_form):
    """A route that ends when the studies start (the study start closes the case)."""
    return Route("end_ima_studies", [*steps, ("ima_study_start", {"study_form": study_form, "forward_plan": True})],
                 "STUDIES", "GOAL_ACHIEVED", STUDYING)


IMA = Programme(
    process_id="ima", actor="ams-1",
    start={**REFERRAL, "referral_source": "SOC_SERVICES", "referral_channel": "REFERRAL_LETTER",
           "income_support": "SOCIAL_ASSISTANCE", "birth_year": 1985, "social_assistance_since": "2024-05-01",
           "household_with_children": True},
    opens=[("ima_case_manager_assigned", "coach")], stages=["agreement"],
    lanes={"ima_partner_dialogue": "partners"}, data={"income_support": "SOCIAL_ASSISTANCE"},
    reminders={IMA_REMINDER: "ima_monthly_contact"},
    # A reminder branch ends there (reached in test_the_case_manager_does_not_let_go).
    elsewhere=frozenset({"ima_monthly_contact_done"}),
    routes={
        "lasting_employment": ima_employed(
            "end_ima_employment",
            [*IMA_JOB_LOST, ("ima_job_search", {"search_result": "JOB_OFFER"}), ("ima_employer_matching", {}),
             ("ima_employment_start", {"employment_type": "PERMANENT", "work_pct": 100}), (WAIT, 30),
             ("ima_monthly_contact", {}), ("ima_employment_followup", {"employment_status": "LASTING"}),
             ("ima_closure", {"income_support_at_end": "WAGE", "forward_plan": True})],
            "EMPLOYMENT", "GOAL_ACHIEVED", data={"employment_type": "PERMANENT", "work_pct": 100}),  # the lasting job's
        "studies_from_dialogue": ima_studies(
            [*IMA_MAPPED, ("ima_partner_dialogue", {"dialogue_result": "STUDIES", "adult_education_involved": True})],
            "KOMVUX"),
        "studies_from_job_search": ima_studies([*IMA_SEARCHING, ("ima_job_search", {"search_result": "STUDIES"})],
                                               "BASIC_PROGRAMME"),
        "other_plan_from_dialogue": Route(
            "end_ima_other_plan",
            [*IMA_MAPPED, ("ima_partner_dialogue", {"dialogue_result": "OTHER_PLAN", "psychiatry_involved": True}),
             ("ima_other_plan_handover", {"destination_after": "HEALTHCARE", "forward_plan": True})],
            "OTHER_PLAN", "TRANSFERRED", ENROLLED),
        "other_plan_after_job_lost": ima_employed(
            "end_ima_other_plan",
            [(WAIT, 31), *IMA_JOB_LOST, ("ima_job_search", {"search_result": "OTHER_PLAN"}),
             ("ima_other_plan_handover", {"destination_after": "FK_BENEFIT_APPLICATION", "forward_plan": True})],
            "OTHER_PLAN", "TRANSFERRED"),
        "withdrawn_in_employment": ima_employed(
            "end_ima_withdrawn", [(WAIT, 62), (WITHDRAW, "MOVED")], "NO_OUTCOME", "MOVED"),
    },
)

PROGRAMMES = {p.process_id: p for p in (GAVLE, HABO, BOTKYRKA, JAGMED, IMA)}
