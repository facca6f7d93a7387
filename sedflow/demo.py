"""Synthetic participants driven through the real engine: the demo, and the seed-report scenarios.

Every step goes through the public API (start_case, complete_task, withdraw_case) under a simulated
clock, so the journal is exactly what real use would leave. One driver moves all participants forward
in time order. The *demo* draws each decision at random; a *scenario* plans each participant's route so
that the reports reproduce the figures of a source report (``shared/domain/report_fixtures.json``):
``natkraft`` (Nätkraft, Umeå 2006–2013) and ``gavle`` (SE-coach, Gävle 2017–2019). Form fields the
plan does not set are filled from the form's own definition. No real people: keys are pseudonyms.
Stores written by the demo are flagged synthetic, and the demo refuses a store with real data.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .clock import ManualClock
from .definitions import Form
from .errors import SedflowError
from .runtime import Engine, TaskView

SE_PROCESS = "supported_employment"

# Per process, the decision fields the random demo steers: {task: {field: [(value, weight), ...]}}. Other
# fields are filled at random from the form's own definition.
DEMO_DECISIONS: dict[str, dict[str, dict[str, list[tuple[Any, float]]]]] = {
    SE_PROCESS: {
        "information_dialogue": {"needs_more_information": [(True, 0.25), (False, 0.75)]},
        "participant_decision": {"chooses_se": [(True, 0.88), (False, 0.12)]},
        "vocational_profile": {"profile_sufficient": [(True, 0.6), (False, 0.4)],
                               "complement": [("PRAKTIK", 0.5), ("SUPPORTED_TRAINING", 0.5)]},
        "job_search": {"search_result": [("JOB_OFFER", 0.35), ("STUDIES", 0.15), ("CONTINUE", 0.3),
                                         ("BACK_TO_PROFILE", 0.07), ("OTHER_PLAN", 0.13)]},
        "study_application": {"admitted": [(True, 0.75), (False, 0.25)]},
        "support_followup": {"support_status": [("CONTINUE", 0.72), ("STABLE", 0.2), ("JOB_LOST", 0.08)]},
        "planned_closure": {"outcome": [("EMPLOYMENT", 1), ("STUDIES", 1), ("OTHER_PLAN", 1),
                                        ("CONTINUED_AF_SUPPORT", 1)]},
    },
    "gavle_se_coach": {
        "joint_mapping": {"referral_decision": [("REFER", 0.86), ("DECLINED", 0.07), ("NOT_NOW", 0.07)]},
        "relationship_building": {"relationship_next": [("FIND_ACTIVITY", 0.6), ("CONTINUE", 0.3), ("CLOSE", 0.1)]},
        "choose_activity": {"activity_choice": [("WORK_TRIAL", 0.35), ("STUDY_PREP", 0.15), ("OTHER_ACTIVITY", 0.5)]},
        "activity_review": {"activity_result": [("JOB_SEARCH", 0.6), ("STUDIES", 0.12), ("NEW_ACTIVITY", 0.12),
                                                ("CLOSE", 0.16)]},
        "gv_job_search": {"search_result": [("JOB_OFFER", 0.45), ("CONTINUE", 0.3), ("STUDIES", 0.05),
                                            ("NEW_ACTIVITY", 0.08), ("CLOSE", 0.12)]},
        "employment_start": {"employment_type": [("PERMANENT", 0.7), ("FIXED_TERM", 0.15), ("SEASONAL", 0.12),
                                                 ("HOURLY", 0.03)]},
        "employment_support": {"employment_status": [("CONTINUE", 0.85), ("FOLLOWUP_DONE", 0.09), ("JOB_LOST", 0.06)]},
        "employment_year_review": {"followup_decision": [("CLOSE", 0.85), ("CONTINUE", 0.15)]},
        "gv_study_application": {"admitted": [(True, 0.8), (False, 0.2)]},
        "study_support": {"study_status": [("CONTINUE", 0.85), ("FOLLOWUP_DONE", 0.09), ("STUDIES_ENDED", 0.06)]},
        "study_year_review": {"followup_decision": [("CLOSE", 0.85), ("CONTINUE", 0.15)]},
        "gv_closure": {"outcome": [("OTHER_PLAN", 0.6), ("CONTINUED_AF_SUPPORT", 0.4)],
                       "project_ended": [(True, 0.4), (False, 0.6)], "forward_plan": [(True, 0.75), (False, 0.25)]},
        "ae_forward_planning": {"ae_decision_extended": [(True, 0.3), (False, 0.7)],
                                "ae_decision_end": [("2027-12-31", 1)]},
    },
    "habo_ips": {
        "bistand_decision": {"bistand_granted": [(True, 0.93), (False, 0.07)]},
        "mapping": {"more_mapping_needed": [(True, 0.25), (False, 0.75)]},
        "individual_plan": {"goal_type": [("WORK", 0.8), ("STUDIES", 0.2)]},
        "employer_contact": {"contact_result": [("JOB_OFFER", 0.35), ("PLACEMENT", 0.12), ("STUDIES", 0.08),
                                                ("CONTINUE", 0.3), ("OTHER_PLAN", 0.15)]},
        "study_application": {"admitted": [(True, 0.75), (False, 0.25)]},
        "followup_meeting": {"followup_status": [("CONTINUE", 0.82), ("SUPPORT_NOT_NEEDED", 0.08), ("LEAVES", 0.04),
                                                 ("JOB_LOST", 0.06)]},
        "closure": {"outcome": [("EMPLOYMENT", 0.6), ("STUDIES", 0.2), ("OTHER_PLAN", 0.2)]},
    },
    "botkyrka_sed": {
        "sed_participant_choice": {"chooses_sed": [(True, 0.9), (False, 0.1)]},
        "sed_financial_counselling": {"keeps_social_assistance": [(True, 0.6), (False, 0.4)]},
        "sed_track_decision": {"chosen_track": [("STUDIES", 0.55), ("WORK", 0.27), ("PLACEMENT", 0.1),
                                                ("OTHER_PLAN", 0.08)]},
        "sed_job_search": {"search_result": [("JOB_OFFER", 0.4), ("CONTINUE", 0.35), ("SWITCH_TO_STUDIES", 0.1),
                                             ("OTHER_PLAN", 0.15)]},
        "sed_admission_result": {"admitted": [(True, 0.75), (False, 0.25)],
                                 "if_not_admitted": [("CHOOSE_AGAIN", 0.7), ("SWITCH_TO_WORK", 0.3)]},
        "sed_support_contact": {"support_status": [("CONTINUE", 0.66), ("NEW_COURSES", 0.05), ("SWITCH", 0.04),
                                                   ("CLOSE", 0.25)]},
        "sed_closure": {"outcome": [("STUDIES", 0.5), ("EMPLOYMENT", 0.3), ("OTHER_PLAN", 0.2)]},
    },
    "jagmed": {
        "jm_school_measures": {"measures_result": [("RESOLVED", 0.3), ("CONTINUE", 0.15), ("ESCALATE", 0.55)]},
        "jm_participation_decision": {"wants_to_participate": [(True, 0.65), (False, 0.35)]},  # JM-K1: 65 of 100
        "jm_student_goals": {"soft_start_needed": [(True, 0.35), (False, 0.65)]},
        "jm_soft_start": {"soft_start_result": [("CONTINUE", 0.5), ("READY", 0.4), ("OTHER_PLAN", 0.1)]},
        "jm_school_followup": {"school_status": [("CONTINUE", 0.45), ("STABLE", 0.35), ("SETBACK", 0.08),
                                                 ("OTHER_PLAN", 0.12)]},
    },
    "ima": {
        "ima_partner_dialogue": {"dialogue_result": [("JOB_SEARCH", 0.85), ("STUDIES", 0.08), ("OTHER_PLAN", 0.07)]},
        "ima_job_search": {"search_result": [("JOB_OFFER", 0.35), ("CONTINUE", 0.5), ("STUDIES", 0.05),
                                             ("OTHER_PLAN", 0.1)]},
        "ima_employment_followup": {"employment_status": [("LASTING", 0.25), ("NOT_YET", 0.63), ("JOB_LOST", 0.12)]},
    },
}
_WITHDRAWAL_REASONS = ["PARTICIPANT_CHOICE", "HEALTH", "MOVED", "NO_CONTACT"]

#: A decision: the task to complete and the fields to set, ("withdraw", reason), ("stop", "") to leave the
#: case as it is (still in the programme), or None to look again later.
Decision = tuple[TaskView, dict[str, Any]] | tuple[str, str] | None
MAX_VISITS = 500  # a participant whose plan never moves again is left alone after this many looks
TODAY = object()  # a planned date field: the simulated day the step is done


@dataclass
class Participant:
    key: str
    start: datetime
    data: dict[str, Any]
    decide: Callable[[list[TaskView], random.Random], Decision]
    gap_days: tuple[int, int] = (3, 30)
    process_id: str = SE_PROCESS


@dataclass
class DemoResult:
    cases: list[str]
    by_status: Counter
    by_outcome: Counter
    steps: int
    scenario: str | None = None
    rule: str = "natkraft"
    period: tuple[date, date] | None = None
    notes: list[str] = field(default_factory=list)


def run_demo(engine: Engine, *, process_id: str = SE_PROCESS, participants: int = 50, seed: int = 1,
             start: str = "2025-01-06T08:00:00+00:00", withdrawal_rate: float = 0.015) -> DemoResult:
    """``participants`` synthetic cases of a process, decisions drawn at random, run to their end."""
    rng = random.Random(seed)
    begin = datetime.fromisoformat(start)
    form = engine.current_definition(process_id).start_form
    decisions = DEMO_DECISIONS.get(process_id, {})

    def decide(ready: list[TaskView], rng: random.Random) -> Decision:
        if not ready:
            return None  # only a timer is pending
        if rng.random() < withdrawal_rate:
            return "withdraw", rng.choice(_WITHDRAWAL_REASONS)
        task = rng.choice(ready)
        return task, {k: _pick(rng, v) for k, v in decisions.get(task.element_id, {}).items()}

    people = [Participant(f"demo-{seed}-{n:05d}", begin + timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 8)),
                          _fill(form, {}, rng, begin.date()) if form else {}, decide, process_id=process_id)
              for n in range(participants)]
    return _drive(engine, people, rng)


def run_scenario(engine: Engine, name: str, *, seed: int = 1) -> DemoResult:
    """Synthetic participants whose reports reproduce a source report's stated figures exactly."""
    try:
        build = {"natkraft": _natkraft, "gavle": _gavle}[name]
    except KeyError:
        raise SedflowError(f"unknown scenario '{name}' (scenarios: natkraft, gavle)") from None
    rng = random.Random(seed)
    people, rule, period, notes = build(rng)
    result = _drive(engine, people, rng)
    result.scenario, result.rule, result.period, result.notes = name, rule, period, notes
    return result


# ------------------------------------------------------------------------------------------ driver

def _drive(engine: Engine, people: list[Participant], rng: random.Random) -> DemoResult:
    if not isinstance(engine.clock, ManualClock):
        raise TypeError("the demo needs an engine with a ManualClock")
    store = engine.store
    if not (store.is_synthetic() or store.is_empty()):
        raise SedflowError(f"{store.url} holds real cases; the demo writes synthetic data only to an empty "
                           "or synthetic store")
    store.set_meta("synthetic", "true")
    clock = engine.clock
    queue = [(p.start, n, None) for n, p in enumerate(people)]
    heapq.heapify(queue)
    cases, steps, visits = [], 0, Counter()
    while queue:
        when, n, case_id = heapq.heappop(queue)
        person = people[n]
        clock.set(max(when, clock.now()))
        engine.tick()  # timers (monthly follow-ups, reminders) come due as simulated time passes
        if case_id is None:
            case = engine.start_case(person.process_id, person.key, person.data, actor="demo")
            cases.append(case.case_id)
            steps += 1
        else:
            decision = person.decide(engine.list_tasks(case_id=case_id), rng)
            visits[n] += 1
            if decision is None or decision[0] == "stop":
                case = engine.show_case(case_id)
                if decision is not None or visits[n] > MAX_VISITS:
                    continue  # left in the programme as it is
            elif decision[0] == "withdraw":
                case = engine.withdraw_case(case_id, decision[1], actor="demo")
                steps += 1
            else:
                task, choices = decision
                data = _fill(task.form, choices, rng, clock.now().date()) if task.form else {}
                case = engine.complete_task(case_id, task.task_id, data, actor=f"coach-{n % 4 + 1}")
                steps += 1
        if case.status == "active":
            heapq.heappush(queue, (clock.now() + timedelta(days=rng.randint(*person.gap_days)), n, case.case_id))
    records = [engine.show_case(c) for c in cases]
    return DemoResult(cases=cases, by_status=Counter(r.status for r in records),
                      by_outcome=Counter(r.outcome for r in records if r.outcome), steps=steps)


def _route(plan: dict[str, dict[str, Any]], *, stop_at: str | None = None,
           withdraw_at: str | None = None) -> Callable[[list[TaskView], random.Random], Decision]:
    """Follow a planned route: complete the stage task ready (never the monthly follow-up), with the plan's
    choices for it; wait from ``stop_at`` on (still in the programme); withdraw at ``withdraw_at``."""
    def decide(ready: list[TaskView], rng: random.Random) -> Decision:
        stage_work = [t for t in ready if t.element_id in plan or t.element_id in _ROUTE_DEFAULTS]
        if not stage_work:
            return None
        task = stage_work[0]
        if task.element_id == withdraw_at:
            return "withdraw", "PARTICIPANT_CHOICE"
        if task.element_id == stop_at:
            return "stop", ""
        return task, {**_ROUTE_DEFAULTS.get(task.element_id, {}), **plan.get(task.element_id, {})}
    return decide


_ROUTE_DEFAULTS: dict[str, dict[str, Any]] = {
    "first_contact": {}, "information_dialogue": {"needs_more_information": False},
    "participant_decision": {"chooses_se": True}, "agreement": {}, "network_mapping": {},
    "vocational_profile": {"profile_sufficient": True}, "employer_engagement": {},
    "study_application": {"admitted": True}, "study_start": {},
    "support_followup": {"support_status": "STABLE", "work_pct": None},  # hours unchanged since the start
    "taper_off": {}, "planned_closure": {"forward_plan": True},
}
_OUTCOME_ROUTES: dict[str, dict[str, dict[str, Any]]] = {
    "EMPLOYMENT": {"job_search": {"search_result": "JOB_OFFER"},
                   "employment_start": {"employment_type": "PERMANENT", "subsidy": "NONE"},
                   "planned_closure": {"outcome": "EMPLOYMENT"}},
    "EMPLOYMENT_SUPPORTED": {"job_search": {"search_result": "JOB_OFFER"},
                             "employment_start": {"employment_type": "PERMANENT", "subsidy": "LB_EMPLOYMENT"},
                             "planned_closure": {"outcome": "EMPLOYMENT"}},
    "STUDIES": {"job_search": {"search_result": "STUDIES"}, "planned_closure": {"outcome": "STUDIES"}},
    "OTHER_PLAN": {"job_search": {"search_result": "OTHER_PLAN"}, "planned_closure": {"outcome": "OTHER_PLAN"}},
    "CONTINUED_AF_SUPPORT": {"job_search": {"search_result": "OTHER_PLAN"},
                             "planned_closure": {"outcome": "CONTINUED_AF_SUPPORT"}},
}


def _planned(outcome: str, *, forward_plan: bool = True) -> dict[str, dict[str, Any]]:
    plan = {k: dict(v) for k, v in _OUTCOME_ROUTES[outcome].items()}
    plan.setdefault("planned_closure", {})["forward_plan"] = forward_plan
    return plan


def _at(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, 8 + rng.randint(0, 8), tzinfo=timezone.utc)


def _spread(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


# ------------------------------------------------------------------------------------------ scenarios

NK_REFERRALS = [  # NK-T2: (unit as printed, referral_source code), count
    (("Eget initiativ", "SELF"), 5), (("Anhörig", "RELATIVE"), 3),
    (("Västerbottens läns landsting/Psykiatriska Mottagningen", "PSYCHIATRY"), 8),
    (("Västerbottens läns landsting/Rehabenheten", "REHAB_UNIT"), 5),
    (("Västerbottens läns landsting/Beroendepsykiatri", "ADDICTION_CARE"), 2),
    (("Västerbottens läns landsting/Rättspsykiatri/Affektiva teamet", "FORENSIC_PSYCHIATRY"), 3),
    (("Västerbottens läns landsting/Bedömning inför Arbete/Sysselsättning (Bas)", "REHAB_UNIT"), 6),
    (("Hälsocentral/Ålidhem", "PRIMARY_CARE"), 1), (("Hälsocentral/Mariehem", "PRIMARY_CARE"), 1),
    (("Hälsocentral/Backen", "PRIMARY_CARE"), 1), (("Hälsocentral/Husläkarna", "PRIMARY_CARE"), 3),
    (("Ersboda/Tips", "TREATMENT_OTHER"), 7), (("Teg Behandlingscenter", "TREATMENT_OTHER"), 1),
    (("Umeå Kommun/Socialpsykiatri/Aros", "SOC_PSYCH"), 2),
    (("Umeå Kommun/Socialpsykiatri/Särskilt boende", "SOC_PSYCH"), 1),
    (("Umeå Kommun/Ungdomstorget", "MUNI_YOUTH"), 2), (("Umeå Kommun/IFO/boendestöd", "SOC_SERVICES"), 1),
    (("Steget vidare", "TREATMENT_OTHER"), 3),
]


def _referral(rng: random.Random, gender: str, source: str, unit: str, channel: str = "REFERRAL_LETTER") -> dict:
    return {"referral_source": source, "referral_unit": unit, "referral_channel": channel, "gender": gender,
            "birth_year": rng.randint(1975, 1992), "income_support": rng.choice(["SICKNESS_COMP", "AE_WORK_CAPACITY",
                                                                                  "SOCIAL_ASSISTANCE"])}


def _natkraft(rng: random.Random) -> tuple[list[Participant], str, tuple[date, date], list[str]]:
    """155 clients 2006-05-01 – 2013-12-31 (79 women, 76 men); 37 to employment (14/23), 21 to studies
    (14/7); 55 inquiries 2012-11-12 – 2013-12-31 by source (NK-T2). Outcomes are mutually exclusive
    (SPEC §4.1), so both counting rules give 58."""
    # NK-T3: of the 37 employments 20 are traditional (no subsidy, 25-100 %), 17 another form [split by
    # gender: assumption]
    outcomes = {"F": ["EMPLOYMENT"] * 8 + ["EMPLOYMENT_SUPPORTED"] * 6 + ["STUDIES"] * 14,
                "M": ["EMPLOYMENT"] * 12 + ["EMPLOYMENT_SUPPORTED"] * 11 + ["STUDIES"] * 7}
    others = ["OTHER_PLAN", "CONTINUED_AF_SUPPORT", "WITHDRAWN", "ACTIVE"]
    clients = [(g, o) for g, n in (("F", 79), ("M", 76)) for o in outcomes[g] + [rng.choice(others) for _ in
                                                                               range(n - len(outcomes[g]))]]
    rng.shuffle(clients)
    inquiries = [unit for unit, n in NK_REFERRALS for _ in range(n)]
    rng.shuffle(inquiries)
    people = []
    # [assumption] 20 of the 55 inquiries enrol in 2013 (among the 155 clients); the other 35 decline.
    for n, (unit, source) in enumerate(inquiries):
        start = _spread(rng, date(2012, 11, 12), date(2013, 5, 31))
        if n < 20:
            gender, outcome = clients.pop()
            people.append(_person(rng, f"nk-{n:03d}", start, _referral(rng, gender, source, unit), outcome,
                                  gap=(5, 12)))
        else:
            people.append(Participant(f"nk-{n:03d}", _at(start, rng), _referral(rng, rng.choice("FM"), source, unit),
                                      _route({"participant_decision": {"chooses_se": False,
                                                                      "decline_reason": "PARTICIPANT_CHOICE"}}),
                                      (5, 20)))
    for n, (gender, outcome) in enumerate(clients, start=len(inquiries)):
        start = _spread(rng, date(2006, 5, 1), date(2012, 9, 30))
        unit, source = rng.choice([u for u, _ in NK_REFERRALS])
        people.append(_person(rng, f"nk-{n:03d}", start, _referral(rng, gender, source, unit), outcome))
    return people, "natkraft", (date(2006, 5, 1), date(2013, 12, 31)), [
        "Nätkraft: 20 av 55 förfrågningar 2012–2013 skrivs in [antagande]; utfallen är ömsesidigt uteslutande."]


def _gavle(rng: random.Random) -> tuple[list[Participant], str, tuple[date, date], list[str]]:
    """38 enrolled 2017-09-01 – 2019-10-31 (17 women, 21 men); permanent jobs 8/12, studies 2/2; still with
    AF 2/2 and another plan 5/5 [assumption GV-F3]; 2 closures without a forward plan (GV-N1); intake
    per year 9/18/11 [assumption GV-T2]; everyone closed by 2019-10-31."""
    plan = {"F": ["EMPLOYMENT"] * 8 + ["STUDIES"] * 2 + ["CONTINUED_AF_SUPPORT"] * 2 + ["OTHER_PLAN"] * 5,
            "M": ["EMPLOYMENT"] * 12 + ["STUDIES"] * 2 + ["CONTINUED_AF_SUPPORT"] * 2 + ["OTHER_PLAN"] * 5}
    people_plan = [(g, o) for g in "FM" for o in plan[g]]
    rng.shuffle(people_plan)
    years = [2017] * 9 + [2018] * 18 + [2019] * 11
    windows = {2017: (date(2017, 9, 1), date(2017, 11, 30)), 2018: (date(2018, 1, 8), date(2018, 11, 30)),
               2019: (date(2019, 1, 7), date(2019, 5, 31))}
    no_plan = {i for i, (_, o) in enumerate(people_plan) if o == "OTHER_PLAN"}
    no_plan = set(sorted(no_plan)[:2])
    people = []
    for n, ((gender, outcome), year) in enumerate(zip(people_plan, years, strict=True)):
        start = _spread(rng, *windows[year])
        data = _referral(rng, gender, "FK", "Försäkringskassan/Af gemensam kartläggning", "JOINT_MAPPING")
        data["income_support"] = "AE_WORK_CAPACITY"
        people.append(_person(rng, f"gv-{n:03d}", start, data, outcome, forward_plan=n not in no_plan, gap=(3, 9)))
    return people, "gavle", (date(2017, 9, 1), date(2019, 10, 31)), [
        "Gävle: fördelning Mot annan plan / Kvar med insats AF och intag per år enligt antaganden i fixturerna."]


def _person(rng: random.Random, key: str, start: date, data: dict[str, Any], outcome: str, *,
            forward_plan: bool = True, gap: tuple[int, int] = (5, 25)) -> Participant:
    if outcome == "WITHDRAWN":
        return Participant(key, _at(start, rng), data, _route({}, withdraw_at="vocational_profile"), gap)
    if outcome == "ACTIVE":
        return Participant(key, _at(start, rng), data, _route({}, stop_at="job_search"), gap)
    plan = _planned(outcome, forward_plan=forward_plan)
    plan["job_search"]["first_employer_contact_date"] = TODAY
    return Participant(key, _at(start, rng), data, _route(plan), gap)


# ------------------------------------------------------------------------------------------ forms

def _pick(rng: random.Random, choices: list[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in choices], weights=[w for _, w in choices])[0]


def _fill(form: Form, fixed: dict[str, Any], rng: random.Random, today: date) -> dict[str, Any]:
    """Values for every required field (and some optional ones) that fit the form's own constraints."""
    data = {}
    for f in form.fields:
        if f.id in fixed:
            if fixed[f.id] is not None:
                data[f.id] = today.isoformat() if fixed[f.id] is TODAY else fixed[f.id]
            continue
        if not f.required and rng.random() < 0.5:
            continue
        if f.type == "enum":
            data[f.id] = rng.choice(f.options)[0]
        elif f.type == "boolean":
            data[f.id] = rng.random() < 0.8
        elif f.type == "date":
            data[f.id] = today.isoformat()
        elif f.type == "long":
            low = int(f.constraints.get("min") or 0)
            high = int(f.constraints.get("max") or low + 10)
            data[f.id] = rng.randint(low, high)
        else:
            data[f.id] = rng.choice(["enligt plan", "dokumenterat", "se handlingsplan"])
    return data
