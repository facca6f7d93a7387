"""#jagmed (Katrineholm): the reminders of the diagram and its start form, under a simulated clock.

The routes to every end event are rows of ``routes.JAGMED`` (run by ``test_programme_routes.py``). Here the
monthly follow-up of the student plan and the two-weekly check-in during a soft start: on time, never early,
once per period, never moving the case on. No sleeping and no real time: the clock is the ManualClock of the
``clock`` fixture.
"""

from __future__ import annotations

from datetime import timedelta

from sedflow.clock import add_duration

from conftest import REFERRAL, fill, run_steps
from routes import JAGMED, JM_FOLLOWUP, JM_PLANNED, JM_SOFT_START, start

ACTOR = JAGMED.actor


def test_reminders_only_remind(engine, clock):
    """The monthly plan follow-up and the soft-start check-in come due on time, never early, once per period, and
    never move the case on; a new soft-start step restarts the two weeks and the end of the soft start stops it."""
    case_id = start(JAGMED, engine, "jm-0002")
    # One working day per step: no timer is due yet.
    run_steps(engine, case_id, [*JM_PLANNED, ("jm_student_goals", {"soft_start_needed": True})], actor=ACTOR, days=1)

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
    assert timers() == {JM_FOLLOWUP: add_duration(enrolled_at, "P1M"),
                        JM_SOFT_START: soft_start_at + timedelta(days=14)}

    assert tick_at(soft_start_at + timedelta(days=14) - timedelta(seconds=1)) == []  # never early
    assert tick_at(soft_start_at + timedelta(days=14)) == [JM_SOFT_START]
    assert tick_at(add_duration(enrolled_at, "P1M")) == [JM_FOLLOWUP]
    assert tick_at(soft_start_at + timedelta(days=28)) == []  # one reminder per period: they do not pile up
    assert timers() == {} and len(ready("jm_soft_start_checkin")) == 1 and len(ready("jm_plan_followup")) == 1
    assert engine.show_case(case_id).stages == ["followup", "support"]  # still in the soft start

    # A new soft-start step starts the two weeks again; the check-in already due stays in the queue.
    [soft] = ready("jm_soft_start")
    engine.complete_task(case_id, soft.task_id, fill(soft.form, {"soft_start_result": "CONTINUE"}), actor=ACTOR)
    assert timers() == {JM_SOFT_START: clock.now() + timedelta(days=14)} and len(ready("jm_soft_start_checkin")) == 1
    # A check-in ends only its reminder branch; the monthly follow-up re-arms one month after it is answered.
    [checkin] = ready("jm_soft_start_checkin")
    engine.complete_task(case_id, checkin.task_id, fill(checkin.form), actor=ACTOR)
    assert [e.element_id for e in engine.case_history(case_id) if e.kind == "event_reached"
            and e.element_id in JAGMED.elsewhere] == ["jm_soft_start_checkin_done"]
    answered = clock.now() + timedelta(days=2)
    clock.set(answered)
    [followup] = ready("jm_plan_followup")
    engine.complete_task(case_id, followup.task_id, fill(followup.form), actor=ACTOR)
    assert timers()[JM_FOLLOWUP] == add_duration(answered, "P1M")

    # The soft start ends by the student's and coordinator's decision, not by a timer: its reminder stops.
    [soft] = ready("jm_soft_start")
    case = engine.complete_task(case_id, soft.task_id, fill(soft.form, {"soft_start_result": "READY"}), actor=ACTOR)
    assert set(timers()) == {JM_FOLLOWUP} and [t.element_id for t in case.tasks] == ["jm_return_to_school"]
    # A year passes with no work done: the monthly reminder fires once more and waits to be answered; nothing
    # else moves and the case stays open. Every task completion in the journal is a person's.
    seen = len(engine.case_history(case_id))
    for _ in range(365):
        clock.advance(days=1)
        engine.tick()
    later = engine.case_history(case_id)[seen:]
    assert [(e.kind, e.element_id) for e in later] == [("timer_fired", JM_FOLLOWUP), ("task_ready", "jm_plan_followup")]
    assert later[0].at == add_duration(answered, "P1M")  # the daily tick at 09:00 hits it
    case = engine.show_case(case_id)
    assert (case.status, case.outcome) == ("active", None)
    assert sorted(t.element_id for t in case.tasks) == ["jm_plan_followup", "jm_return_to_school"]
    assert {e.actor for e in engine.case_history(case_id) if e.kind == "task_completed"} == {ACTOR}


def test_start_form_takes_the_common_referral(engine, definitions):
    """The core referral fields are the common ones (REFERRAL fits); the school fields come on top."""
    form = definitions.get(JAGMED.process_id).start_form
    assert {"referral_source", "referral_unit", "referral_channel", "gender", "birth_year",
            "income_support"} <= {f.id for f in form.fields}
    case = engine.start_case(JAGMED.process_id, "jm-0003", {**REFERRAL, "absence_flagged_date": "2026-02-01",
                                              "school_form": "COMPULSORY_SCHOOL"})
    assert case.data["school_form"] == "COMPULSORY_SCHOOL" and case.milestones == {}
