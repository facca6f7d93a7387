"""A participant from referral to planned closure over ~19 months, driven by the clock alone.

Every simulated day at 08:00 the scheduler ticks; the coach acts on planned days, answers each
monthly follow-up two days after it appears, and records support follow-ups monthly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sedflow import Engine, ManualClock
from sedflow.expressions.evaluator import FUNCTIONS
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import REFERRAL, fill

SE = "supported_employment"
add_months = FUNCTIONS["add_months"]
PLAN = {
    "2026-01-07": ("first_contact", {}),
    "2026-01-14": ("information_dialogue", {"needs_more_information": False}),
    "2026-01-21": ("participant_decision", {"chooses_se": True}),
    "2026-02-02": ("agreement", {}),
    "2026-02-09": ("network_mapping", {}),
    "2026-02-16": ("vocational_profile", {"profile_sufficient": False, "complement": "SUPPORTED_TRAINING"}),
    "2026-02-23": ("st_agreement", {"st_period_start": "2026-03-01", "st_assessment_end_date": "2026-05-29"}),
    "2026-03-02": ("st_competence_profile", {}),
    "2026-03-16": ("st_workplace_profile", {}),
    "2026-05-23": ("st_assessment_check", {}),
    "2026-05-29": ("st_activity_assessment", {}),
    "2026-06-05": ("st_followup", {"recommended_direction": "JOB_SEARCH"}),
    "2026-06-12": ("vocational_profile", {"profile_sufficient": True}),
    "2026-07-01": ("job_search", {"search_result": "JOB_OFFER", "first_employer_contact_date": "2026-06-20"}),
    "2026-07-15": ("employer_engagement", {}),
    "2026-08-03": ("employment_start", {"employment_start_date": "2026-08-03", "employment_type": "PERMANENT",
                                        "work_pct": 50}),
    "2027-08-04": ("followup_year_review", {"continue_support": False}),
    "2027-08-10": ("support_followup", {"support_status": "STABLE"}),
    "2027-08-17": ("taper_off", {}),
    "2027-08-24": ("planned_closure", {"outcome": "EMPLOYMENT"}),
}


def test_a_whole_programme_on_the_clock(store, definitions):
    clock = ManualClock("2026-01-05T08:00:00+00:00")
    engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
    case_id = engine.start_case(SE, "p-clock", REFERRAL, actor="coach-1").case_id
    day = date(2026, 1, 5)
    while engine.show_case(case_id).status == "active":
        day += timedelta(days=1)
        assert day < date(2027, 9, 1), "the programme did not close"
        clock.set(datetime(day.year, day.month, day.day, 8, tzinfo=UTC))
        engine.tick()
        ready = {t.element_id: t for t in engine.list_tasks(case_id=case_id)}
        todo = []
        if day.isoformat() in PLAN:
            todo.append(PLAN[day.isoformat()])
        followup = ready.get("monthly_followup")
        if followup and (clock.now() - followup.since).days == 2:
            todo.append(("monthly_followup", {"followup_date": day.isoformat()}))
        if "support_followup" in ready and day.day == 10 and day < date(2027, 8, 10):
            todo.append(("support_followup", {"support_status": "CONTINUE"}))
        for element_id, choices in todo:
            task = ready[element_id]
            engine.complete_task(case_id, task.task_id, fill(task.form, choices, today=day.isoformat()),
                                 actor="coach-1")

    case = engine.show_case(case_id)
    assert (case.outcome, case.end_reason, case.ended_at.date()) == ("EMPLOYMENT", "GOAL_ACHIEVED", date(2027, 8, 24))
    assert engine.due(within=timedelta(days=3650), case_id=case_id) == []
    journal = engine.case_history(case_id)

    def rows(kind, element):
        return [e for e in journal if e.kind == kind and e.element_id == element]

    # Monthly follow-up: armed when the agreement is signed, due monthly from the recorded agreement date (the
    # agreement date plus 1, 2, 3 ... months, however late the previous one was answered), fired on that
    # day's tick and never early, once per month, for the whole programme.
    fired = rows("timer_fired", "followup_due")
    answered = rows("task_completed", "monthly_followup")
    agreed = date.fromisoformat(rows("task_completed", "agreement")[0].data["agreement_date"])
    monthly = [date.fromisoformat(add_months(agreed, k)) for k in range(1, 40)]
    expected = [datetime(d.year, d.month, d.day, 8, tzinfo=UTC) for d in monthly if d < case.ended_at.date()]
    assert [e.at for e in fired] == expected
    assert len(fired) == len(rows("task_ready", "monthly_followup")) == len(answered) == 18
    assert all(e.actor == "coach-1" for e in answered)
    assert rows("task_cancelled", "monthly_followup") == [] and len(rows("task_cancelled", "followup_due")) == 1

    # Supported Training: the reminder fires 7 days before the planned end of the assessment.
    [reminder] = rows("timer_fired", "st_assessment_reminder")
    assert reminder.at == datetime(2026, 5, 22, 8, tzinfo=UTC)
    assert [e.data["due"] for e in rows("timer_waiting", "st_assessment_reminder")] == ["2026-05-22T00:00:00+00:00"]
    assert rows("task_ready", "st_assessment_check")[0].at == reminder.at

    # Follow-up period: one year after the employment start, the review comes due (and only once).
    [year] = rows("timer_fired", "followup_year_over")
    assert year.at == datetime(2027, 8, 3, 8, tzinfo=UTC)
    assert len(rows("task_completed", "followup_year_review")) == 1
    assert len(rows("task_completed", "support_followup")) == 13  # 10 Aug 2026 .. 10 Jul 2027, then STABLE
    # No timer closed anything on its own: every task completion was a person's.
    assert {e.actor for e in journal if e.kind == "task_completed"} == {"coach-1"}
    assert [e.element_id for e in journal if e.kind == "case_ended"] == ["end_employment"]
