"""Botkyrka Supported Education (SPEC §1.7): the local rule and the time-unlimited follow-up, on the simulated clock.

The routes to every end event are rows of ``routes.BOTKYRKA`` (run by ``test_programme_routes.py``): both
financing plans of the local rule (keep social assistance while trying courses, or CSN directly), the optional
placement, switching between the IPS work branch and the SEd study branch in both directions, an application
that was not admitted. Here the rule as configuration, and the monthly follow-up (T7) that only reminds.
"""

from __future__ import annotations

from datetime import timedelta

from conftest import REFERRAL, run_steps
from routes import BK_ENROL, BK_FOLLOWUP, BK_KEEP_ASSISTANCE, BOTKYRKA, bk_closure, bk_studies, bk_support, start


def test_the_local_rule_is_configuration_and_a_recorded_field(definitions):
    definition = definitions.get(BOTKYRKA.process_id)
    assert definition.name == "Supported Education Botkyrka"
    assert definition.properties["programme"] == "SED"
    assert definition.properties["keep_assistance_while_trying_courses"] == "true"
    counselling = definition.element(BOTKYRKA.process_id, "sed_financial_counselling")
    assert counselling.lane == "financing" and counselling.form.field("keeps_social_assistance").required
    assert "keep_assistance_while_trying_courses" in counselling.documentation
    assert definition.start_form.field("entry_route") is not None
    assert {f.id for f in definition.start_form.fields} >= set(REFERRAL)


def test_follow_up_is_time_unlimited_and_only_reminds(engine, clock):
    """T7: two years in studies, a follow-up answered every month; nothing closes until the participant does."""
    case_id = start(BOTKYRKA, engine, "p-unlimited")
    run_steps(engine, case_id, [*BK_ENROL, *BK_KEEP_ASSISTANCE, *bk_studies("KOMVUX")])
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
    assert timer.element_id == BK_FOLLOWUP
    fired = [e for e in engine.case_history(case_id) if e.kind == "timer_fired" and e.element_id == BK_FOLLOWUP]
    assert len(fired) == 24 and fired[-1].at - fired[0].at > timedelta(days=690)
    run_steps(engine, case_id, [bk_support("CLOSE"), bk_closure("STUDIES")])
    case = engine.show_case(case_id)
    assert (case.status, case.outcome, case.tasks) == ("completed", "STUDIES", [])
    assert case.ended_at - case.started_at > timedelta(days=730)
