"""Synthetic participants driven through the real engine: the demo, and scenarios that reproduce a report.

Every step goes through the public API (start_case, complete_task, withdraw_case) under a simulated
clock, so the journal is exactly what real use would leave. One driver moves all participants forward
in time order. The *demo* draws each decision at random, with the weights of the engine's
:class:`SimulationProfile`; a *scenario* (named in the profile) plans each participant's route so that the
reports reproduce the figures of a source report. Form fields the plan does not set are filled from the
form's own definition, free text from the profile's vocabularies, so that a report that groups by a text
field (a referring unit) reads like a real programme's. This module knows no programme: what a
programme's simulation decides, and its scenario data, come with its profile (``sedflow.programmes``).

No real people: keys are pseudonyms. Stores written here are flagged synthetic, and the driver refuses a
store that holds real cases.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING

from .clock import ManualClock
from .errors import SedflowError

if TYPE_CHECKING:
    from .definitions import Form, FormField
    from .runtime import Engine, TaskView

#: A value a simulated person types into a form field.
FieldValue = str | int | float | bool
#: Choices with their relative weights, drawn by :func:`pick`.
Weights = tuple[tuple[FieldValue, float], ...]

MAX_VISITS = 500  # a participant whose plan never moves again is left alone after this many looks


class Planned(Enum):
    """A planned field value that is not a literal."""

    TODAY = "today"  # the simulated day the step is done (a date field)
    EMPTY = "empty"  # left empty on purpose (not filled at random either)


#: What a plan sets in a form field.
PlanValue = FieldValue | Planned
#: A participant's planned route: {element id of a task: {field: value}}.
Plan = Mapping[str, Mapping[str, PlanValue]]


@dataclass(frozen=True)
class Complete:
    """Decision: complete this ready task with these values (the other fields filled from the form)."""

    task: TaskView
    values: Mapping[str, PlanValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Withdraw:
    """Decision: the participant leaves the programme, for this reason (a code of the programme's)."""

    reason: str


@dataclass(frozen=True)
class Stay:
    """Decision: leave the case as it is, still in the programme (a scenario's still-active participant)."""


#: A participant's next step; None: nothing to do now (a timer is pending), look again later.
Decision = Complete | Withdraw | Stay | None
#: How a participant decides, given the tasks ready for them.
Decide = Callable[[Sequence["TaskView"], random.Random], Decision]


@dataclass(frozen=True)
class TextValues:
    """Plausible values of one free-text field, so that reports grouping by it read like real data.

    ``by``: another field of the same form whose value picks the list from ``by_value`` (the referring
    unit depends on the referral source); ``values`` serve when it picks none. Values may name
    ``{placeholders}`` that each process's :attr:`ProcessSimulation.places` fill in (the municipality).
    ``always``: fill the field even where the form leaves it optional (a field the reports group by).
    """

    values: tuple[str, ...] = ()
    by: str | None = None
    by_value: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    always: bool = False

    def choices(self, data: Mapping[str, object], places: Mapping[str, str]) -> tuple[str, ...]:
        """The values to draw from, given the form's other values and the process's places."""
        key = data.get(self.by) if self.by is not None else None
        raw = self.by_value.get(str(key), self.values) if key is not None else self.values
        try:
            return tuple(value.format_map(places) for value in raw)
        except KeyError as exc:
            raise SedflowError(f"a text value names the place {exc} that the process's simulation lacks "
                               f"(places: {', '.join(sorted(places)) or 'none'})") from exc


@dataclass(frozen=True)
class ProcessSimulation:
    """How the random demo runs one process."""

    #: The decision fields it steers, by task: {task element id: {field: weights}}. Other fields are drawn
    #: at random from the form's own definition.
    decisions: Mapping[str, Mapping[str, Weights]] = field(default_factory=dict)
    #: Weights for fields of the start form (e.g. where referrals come from).
    start: Mapping[str, Weights] = field(default_factory=dict)
    #: Values for the ``{placeholders}`` of text values (e.g. {"place": "Umeå"}).
    places: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Participant:
    """One synthetic person: a pseudonymous key, when and with what they start, and how they decide."""

    key: str
    process_id: str
    start: datetime
    data: dict[str, FieldValue]
    decide: Decide
    gap_days: tuple[int, int] = (3, 30)


@dataclass(frozen=True)
class Scenario:
    """Participants planned to reproduce a source report, and how to read the result."""

    #: Builds the participants (their plans) from the run's random generator.
    participants: Callable[[random.Random], list[Participant]]
    #: The counting rule the source report used, and the period it covers.
    rule: str
    period: tuple[date, date]
    #: Assumptions the plan makes where the source is silent.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SimulationProfile:
    """A programme's simulation: the demo's decisions per process, its vocabularies, its scenarios."""

    processes: Mapping[str, ProcessSimulation] = field(default_factory=dict)
    #: Free-text values by field id (fields without an entry get their own label).
    texts: Mapping[str, TextValues] = field(default_factory=dict)
    #: Reason codes a randomly withdrawing participant gives, and how often one withdraws at a step.
    withdrawal_reasons: tuple[str, ...] = ()
    withdrawal_rate: float = 0.015
    #: Actors that complete tasks (the staff of the programme), taken in turn by participant.
    staff: tuple[str, ...] = ("staff-1", "staff-2")
    scenarios: Mapping[str, Scenario] = field(default_factory=dict)


@dataclass
class DemoResult:
    """What a run left in the store."""

    cases: list[str]
    by_status: Counter[str]
    by_outcome: Counter[str]
    steps: int
    scenario: str | None = None
    rule: str | None = None
    period: tuple[date, date] | None = None
    notes: tuple[str, ...] = ()


def simulation_of(engine: Engine) -> SimulationProfile:
    """The engine's profile's simulation; a profile without one cannot run a demo."""
    simulation = engine.profile.simulation
    if simulation is None:
        raise SedflowError(f"the profile '{engine.profile.name}' defines no simulation; hand the engine a "
                           "programme's profile (e.g. sedflow.programmes.se.PROFILE) to run a demo")
    return simulation


def run_demo(engine: Engine, *, process_id: str, participants: int = 50, seed: int = 1,
             start: str = "2025-01-06T08:00:00+00:00", withdrawal_rate: float | None = None) -> DemoResult:
    """``participants`` synthetic cases of a process, decisions drawn at random, run to their end.

    ``withdrawal_rate``: the chance a participant withdraws at a step (default: the profile's).
    """
    simulation = simulation_of(engine)
    process = simulation.processes.get(process_id, ProcessSimulation())
    rate = simulation.withdrawal_rate if withdrawal_rate is None else withdrawal_rate
    rng = random.Random(seed)
    begin = datetime.fromisoformat(start)
    form = engine.current_definition(process_id).start_form

    def decide(ready: Sequence[TaskView], rng: random.Random) -> Decision:
        if not ready:
            return None  # only a timer is pending
        if simulation.withdrawal_reasons and rng.random() < rate:
            return Withdraw(rng.choice(simulation.withdrawal_reasons))
        task = rng.choice(ready)
        return Complete(task, {k: _pick(rng, v) for k, v in process.decisions.get(task.element_id, {}).items()})

    people = []
    for n in range(participants):
        when = begin + timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 8))
        values = {k: _pick(rng, v) for k, v in process.start.items()}
        data = _fill(form, values, rng, begin.date(), simulation.texts, process.places) if form else {}
        people.append(Participant(f"demo-{seed}-{n:05d}", process_id, when, data, decide))
    return _drive(engine, simulation, people, rng)


def run_scenario(engine: Engine, name: str, *, seed: int = 1) -> DemoResult:
    """Synthetic participants whose reports reproduce a source report's stated figures exactly."""
    simulation = simulation_of(engine)
    try:
        scenario = simulation.scenarios[name]
    except KeyError:
        raise SedflowError(f"unknown scenario '{name}' (scenarios: {', '.join(simulation.scenarios) or 'none'})"
                           ) from None
    rng = random.Random(seed)
    result = _drive(engine, simulation, scenario.participants(rng), rng)
    result.scenario, result.rule, result.period, result.notes = name, scenario.rule, scenario.period, scenario.notes
    return result


def planned_route(plan: Plan, *, defaults: Plan | None = None, stop_at: str | None = None,
                  withdraw_at: str | None = None, withdrawal_reason: str = "") -> Decide:
    """Follow a planned route: complete the first ready task the plan (or ``defaults``) names, never another
    (a monthly follow-up), with the plan's values over the defaults'; stay from ``stop_at`` on (still in the
    programme); withdraw for ``withdrawal_reason`` when ``withdraw_at`` is ready."""
    fallback: Plan = defaults or {}

    def decide(ready: Sequence[TaskView], rng: random.Random) -> Decision:
        stage_work = [t for t in ready if t.element_id in plan or t.element_id in fallback]
        if not stage_work:
            return None
        task = stage_work[0]
        if task.element_id == withdraw_at:
            return Withdraw(withdrawal_reason)
        if task.element_id == stop_at:
            return Stay()
        return Complete(task, {**fallback.get(task.element_id, {}), **plan.get(task.element_id, {})})
    return decide


# ------------------------------------------------------------------------------------------ driver

def _drive(engine: Engine, simulation: SimulationProfile, people: list[Participant], rng: random.Random) -> DemoResult:
    clock = engine.clock
    if not isinstance(clock, ManualClock):
        raise TypeError("the demo needs an engine with a ManualClock")
    store = engine.store
    if not (store.is_synthetic() or store.is_empty()):
        raise SedflowError(f"{store.url} holds real cases; the demo writes synthetic data only to an empty "
                           "or synthetic store")
    store.set_meta("synthetic", "true")
    queue: list[tuple[datetime, int, str | None]] = [(p.start, n, None) for n, p in enumerate(people)]
    heapq.heapify(queue)
    cases: list[str] = []
    steps, visits = 0, Counter[int]()
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
            if decision is None or isinstance(decision, Stay):
                case = engine.show_case(case_id)
                if decision is not None or visits[n] > MAX_VISITS:
                    continue  # left in the programme as it is
            elif isinstance(decision, Withdraw):
                case = engine.withdraw_case(case_id, decision.reason, actor="demo")
                steps += 1
            else:
                task = decision.task
                places = simulation.processes.get(person.process_id, ProcessSimulation()).places
                data = _fill(task.form, decision.values, rng, clock.now().date(), simulation.texts,
                            places) if task.form else {}
                case = engine.complete_task(case_id, task.task_id, data,
                                            actor=simulation.staff[n % len(simulation.staff)])
                steps += 1
        if case.status == "active":
            heapq.heappush(queue, (clock.now() + timedelta(days=rng.randint(*person.gap_days)), n, case.case_id))
    records = [engine.show_case(c) for c in cases]
    return DemoResult(cases=cases, by_status=Counter(str(r.status) for r in records),
                      by_outcome=Counter(r.outcome for r in records if r.outcome), steps=steps)


# ------------------------------------------------------------------------------------------ forms

def _pick(rng: random.Random, choices: Weights) -> FieldValue:
    """One of the weighted choices."""
    return rng.choices([v for v, _ in choices], weights=[w for _, w in choices])[0]


def _fill(form: Form, fixed: Mapping[str, PlanValue], rng: random.Random, today: date,
         texts: Mapping[str, TextValues], places: Mapping[str, str]) -> dict[str, FieldValue]:
    """Values for every required field (and some optional ones) that fit the form's own constraints.

    ``fixed`` values win; free text comes from ``texts`` (a field whose values depend on another field is
    filled after the others).
    """
    data: dict[str, FieldValue] = {}
    for f in sorted(form.fields, key=lambda f: f.id in texts and texts[f.id].by is not None):
        if f.id in fixed:
            value = fixed[f.id]
            if value is Planned.TODAY:
                data[f.id] = today.isoformat()
            elif not isinstance(value, Planned):
                data[f.id] = value
            continue
        vocabulary = texts.get(f.id) if f.type == "string" else None
        if not f.required and not (vocabulary and vocabulary.always) and rng.random() < 0.5:
            continue
        data[f.id] = _draw(f, rng, today, vocabulary, data, places)
    return data


def _draw(f: FormField, rng: random.Random, today: date, vocabulary: TextValues | None,
          data: Mapping[str, FieldValue], places: Mapping[str, str]) -> FieldValue:
    if f.type == "enum":
        return rng.choice(f.options)[0]
    if f.type == "boolean":
        return rng.random() < 0.8
    if f.type == "date":
        return today.isoformat()
    if f.type == "long":
        low = int(f.constraints.get("min") or 0)
        high = int(f.constraints.get("max") or low + 10)
        return rng.randint(low, high)
    choices = vocabulary.choices(data, places) if vocabulary else ()
    return rng.choice(choices) if choices else f.label
