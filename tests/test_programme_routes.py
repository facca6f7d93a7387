"""Every route reaches every end event: one test over the route tables of all five programmes (``routes.py``).

Each route is one participant driven through the real engine on the simulated clock, on each store backend;
what every programme must show is asserted here once, and the few checks that only one programme's diagram
calls for are in ``PROGRAMME_CHECKS``.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sedflow.clock import add_duration

from conftest import assert_closed, end_events
from routes import PROGRAMMES, run_route, start

ROUTES = [pytest.param(programme, name, id=f"{pid}-{name}")
          for pid, programme in PROGRAMMES.items() for name in programme.routes]


@pytest.mark.parametrize("programme", PROGRAMMES.values(), ids=PROGRAMMES)
def test_the_routes_reach_every_end_event_of_the_diagram(definitions, programme):
    """Every closing end event is a route's; every other end event is passed on a route, or reached elsewhere."""
    definition = definitions.get(programme.process_id)
    ends = {route.end for route in programme.routes.values()}
    assert ends == end_events(definition, closing=True)
    passed = {event for route in programme.routes.values() for event in route.passes}
    assert ends | (passed & end_events(definition)) | programme.elsewhere == end_events(definition)


def rows(journal, kind, element=None):
    return [e for e in journal if e.kind == kind and (element is None or e.element_id == element)]


@pytest.mark.parametrize(("programme", "name"), ROUTES)
def test_every_route_reaches_its_end_event(engine, programme, name):
    route = programme.routes[name]
    case_id = start(programme, engine, f"p-{name}", route.start)
    case = engine.show_case(case_id)
    assert case.stages == programme.stages and [(t.element_id, t.lane) for t in case.tasks] == programme.opens
    run_route(engine, case_id, route.steps, actor=programme.actor)

    case, journal = assert_closed(engine, case_id, end=route.end, outcome=route.outcome, end_reason=route.end_reason,
                                  milestones=set(route.milestones), status=route.status)
    # A person ended the case, last: by the closing task or the withdrawal.
    assert (journal[-1].kind, journal[-1].actor, journal[-1].data) == ("case_ended", programme.actor,
                                                                       {"status": route.status})
    # Each step's task was completed, in order, with the choices it made, and only by a person: timers only
    # remind, flag or hand a decision over.
    completed = rows(journal, "task_completed")
    assert [e.element_id for e in completed] == [element for element, _ in route.tasks]
    assert all(choices.items() <= e.data.items() for e, (_, choices) in zip(completed, route.tasks, strict=True))
    assert {e.actor for e in completed} == {programme.actor}
    reached = {e.element_id for e in rows(journal, "event_reached")}
    assert route.end in reached and route.passes <= reached

    fired = rows(journal, "timer_fired")
    expected = {timer: n if isinstance(n, int) else len(n) for timer, n in route.timers.items()}
    assert Counter(e.element_id for e in fired) == Counter(expected)
    for timer, days in route.timers.items():
        if not isinstance(days, int):  # on the tick of the due day (an AT step, 08:00), never before
            at = [e.at for e in fired if e.element_id == timer]
            assert [t.date().isoformat() for t in at] == list(days) and all(t.hour == 8 for t in at), timer
    # A reminder timer makes its task ready the moment it fires, and nothing else makes that task ready.
    for timer in fired:
        if timer.element_id in programme.reminders:
            assert any(e.element_id == programme.reminders[timer.element_id] and e.at == timer.at
                       for e in rows(journal, "task_ready")), timer
    assert Counter(e.element_id for e in rows(journal, "task_ready") if e.element_id in programme.reminders.values()) \
        == Counter(programme.reminders[e.element_id] for e in fired if e.element_id in programme.reminders)

    # A milestone is the moment the first task that records it was completed.
    definition = engine.definition(case.definition_version)
    for milestone, at in case.milestones.items():
        first = next(e.at for e in completed
                     if definition.element(e.process_id, e.element_id).properties.get("milestone") == milestone)
        assert at == first.isoformat(timespec="seconds"), milestone
    lanes = {e.element_id: e.lane for e in rows(journal, "task_ready")}
    wanted = {**programme.lanes, **route.lanes}
    assert {element: lanes.get(element) for element in wanted} == wanted
    data = {**programme.data, **route.data}
    assert {key: case.data.get(key) for key in data} == data
    if check := PROGRAMME_CHECKS.get(programme.process_id):
        check(name, case, journal)


def botkyrka(name, case, journal):
    """T7: from the enrolment a reminder comes due one calendar month after the previous follow-up (or the
    enrolment) and waits until it is answered; the one still open when the case ends is cancelled with it."""
    armed = [e.at for e in rows(journal, "task_completed", "sed_enrolment")] + \
        [e.at for e in rows(journal, "task_completed", "sed_monthly_followup")]
    waiting = rows(journal, "timer_waiting", "sed_followup_due")
    fired = rows(journal, "timer_fired", "sed_followup_due")
    assert [e.at for e in waiting] == armed
    assert [e.data["due"] for e in waiting] == [add_duration(t, "P1M").isoformat() for t in armed]
    assert all(add_duration(t, "P1M") <= f.at < add_duration(t, "P1M") + timedelta(days=8)
               for t, f in zip(armed, fired, strict=False))  # the last one armed may not have fired
    open_at_end = rows(journal, "task_cancelled", "sed_monthly_followup")
    assert len(open_at_end) <= 1  # reminders do not pile up
    assert len(rows(journal, "task_cancelled", "sed_followup_due")) == (name != "declines") - len(open_at_end)
    if name == "employment":
        # Switched IPS -> SEd -> IPS; the one reminder waits unanswered (no pile-up) until the closure.
        assert len(open_at_end) == 1
        assert case.milestones["employment_started"] > case.milestones["enrolled"]
    elif name == "withdrawn":
        cancelled = {e.element_id for e in rows(journal, "task_cancelled")}
        assert cancelled == {"sed_support_contact", "sed_monthly_followup", "sed_support_period"}
    elif name == "declines":
        assert waiting == [] and not rows(journal, "task_ready", "sed_enrolment")


#: The checks only one programme's diagram calls for, by process id.
PROGRAMME_CHECKS = {"botkyrka_sed": botkyrka}
