"""A case with 1,000 follow-up periods (83 years of monthly follow-ups) on the real SE diagram.

Step cost is measured by bench/long_running.py, not here.
"""

from __future__ import annotations

from sedflow.spiff.environment import CaseEnvironment
from sedflow.spiff.workflow import CaseWorkflow

from conftest import REFERRAL, walk
from paths import ENROL


def test_a_thousand_follow_up_periods(engine, store):
    case_id = engine.start_case("supported_employment", "p-long", REFERRAL).case_id
    walk(engine, case_id, ENROL)
    sizes = {}
    for period in range(1, 1001):
        engine.clock.advance(days=31)
        assert engine.tick().fired == {case_id: ["followup_due"]}
        [task] = [t for t in engine.list_tasks(case_id=case_id) if t.element_id == "monthly_followup"]
        engine.complete_task(case_id, task.task_id, {"followup_date": engine.clock.now().date().isoformat()})
        if period in (1, 10, 100, 1000):
            record = store.get_case(case_id)
            workflow, _ = CaseWorkflow.restore(record.state, engine.definition(record.definition_version),
                                               CaseEnvironment(engine.clock))
            assert not workflow.is_completed  # the depth-1000 stall would make this lie
            assert {t.element_id for t in engine.list_tasks(case_id=case_id)} == {"vocational_profile"}
            sizes[period] = (len(record.state), workflow.task_count)
    assert sizes[1000][0] <= sizes[10][0] + 100 and sizes[1000][0] < 4_000, sizes
    assert sizes[1000][1] == sizes[10][1], sizes  # the task tree does not grow
    assert sum(e.kind == "timer_fired" for e in engine.case_history(case_id)) == 1000  # once per period
    # the case still runs normally afterwards
    case = walk(engine, case_id, [("vocational_profile", {"profile_sufficient": True}),
                                  ("job_search", {"search_result": "OTHER_PLAN"}),
                                  ("planned_closure", {"outcome": "OTHER_PLAN"})])
    assert (case.status, case.outcome) == ("completed", "OTHER_PLAN")
