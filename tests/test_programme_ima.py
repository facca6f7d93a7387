"""IMA (Strängnäs/Eskilstuna): the case manager's monthly reminder and the start form, under a simulated clock.

The routes to every end event are rows of ``routes.IMA`` (run by ``test_programme_routes.py``). Here the
monthly reminder during the employment follow-up: on time, never early, never piling up, never closing. No
sleeping and no real time: the clock is the ManualClock of the ``clock`` fixture.
"""

from __future__ import annotations

from datetime import timedelta

from sedflow.clock import add_duration

from conftest import REFERRAL, fill, run_steps
from routes import IMA, IMA_EMPLOYED, IMA_REMINDER, start

ACTOR = IMA.actor


def test_the_case_manager_does_not_let_go(engine, clock):
    """In employment, a month without a recorded follow-up reminds the case manager, on time and never early, once
    per month without follow-up (reminders do not pile up); every follow-up starts the month again. No timer ends
    the follow-up or the case: only the case manager's judgement "lasting" closes it."""
    case_id = start(IMA, engine, "ima-0002")
    run_steps(engine, case_id, IMA_EMPLOYED, actor=ACTOR, days=1)  # one working day per step

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
    assert engine.tick().fired == {case_id: [IMA_REMINDER]}
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
            and e.element_id in IMA.elsewhere] == ["ima_monthly_contact_done"]

    # Lasting employment and the closure end the case; the contact still open is cancelled with it.
    for element_id, choices in [("ima_employment_followup", {"employment_status": "LASTING"}), ("ima_closure", {})]:
        [task] = ready(element_id)
        case = engine.complete_task(case_id, task.task_id, fill(task.form, choices), actor=ACTOR)
    assert (case.status, case.outcome, case.end_reason) == ("completed", "EMPLOYMENT", "GOAL_ACHIEVED")
    journal = engine.case_history(case_id)
    assert [e.element_id for e in journal if e.kind == "task_cancelled"] == ["ima_monthly_contact"]
    assert engine.due(within=timedelta(days=3650), case_id=case_id) == []
    assert {e.actor for e in journal if e.kind == "task_completed"} == {ACTOR}


def test_start_form_takes_the_common_referral(engine, definitions):
    """The core referral fields are the common ones: REFERRAL alone starts a case."""
    form = definitions.get(IMA.process_id).start_form
    assert {"referral_source", "referral_unit", "referral_channel", "gender", "birth_year",
            "income_support"} <= {f.id for f in form.fields}
    case = engine.start_case(IMA.process_id, "ima-0003", REFERRAL)
    assert case.status == "active" and case.milestones == {}
    [task] = engine.list_tasks(case_id=case.case_id)
    case = engine.complete_task(case.case_id, task.task_id, fill(task.form), actor=ACTOR)
    assert set(case.milestones) == {"enrolled"} and case.stages == ["vocational_profile"]
