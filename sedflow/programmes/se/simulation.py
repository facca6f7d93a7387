"""The Supported Employment simulation: the demo of every programme, and the seed-report scenarios.

The numbers live in data files next to this module, so that they can be read and checked against their
sources without reading code: ``data/demo.toml`` (per process, the demo's decision weights, where
referrals come from, the places free text names; the withdrawal reasons), ``data/texts.toml`` (plausible
values of every free-text field; the referring units per referral source) and ``data/scenarios.toml``
(the planned routes through the Supported Employment diagram, and the figures of the two source reports:
``natkraft``, Nätkraft, Umeå 2006–2013, and ``gavle``, SE-coach, Gävle 2017–2019,
``shared/domain/report_fixtures.json``). What stays here is the logic: how a scenario turns those figures
into participants with planned routes.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

from ...simulation import (
    FieldValue,
    Participant,
    Plan,
    Planned,
    PlanValue,
    ProcessSimulation,
    Scenario,
    SimulationProfile,
    TextValues,
    Weights,
    planned_route,
)


def _load(name: str) -> dict[str, Any]:
    """One data file of this package (read through importlib.resources: works from a wheel too)."""
    return tomllib.loads(resources.files(__package__ or __name__).joinpath("data", name).read_text(encoding="utf-8"))


def _weights(raw: Sequence[Sequence[Any]]) -> Weights:
    return tuple((value, float(weight)) for value, weight in raw)


def _process(raw: Mapping[str, Any]) -> ProcessSimulation:
    return ProcessSimulation(
        decisions={task: {name: _weights(w) for name, w in fields.items()}
                   for task, fields in raw.get("decisions", {}).items()},
        start={name: _weights(w) for name, w in raw.get("start", {}).items()},
        places={key: str(value) for key, value in raw.get("places", {}).items()})


def _text(raw: Mapping[str, Any]) -> TextValues:
    return TextValues(values=tuple(raw.get("values", ())), by=raw.get("by"),
                      by_value={key: tuple(values) for key, values in raw.get("by_value", {}).items()},
                      always=bool(raw.get("always", False)))


def _plan(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, PlanValue]]:
    return {task: dict(values) for task, values in raw.items()}


def _window(raw: Sequence[date]) -> tuple[date, date]:
    first, last = raw
    return first, last


def _gap(raw: Sequence[int]) -> tuple[int, int]:
    low, high = raw
    return int(low), int(high)


_DEMO = _load("demo.toml")
_SCENARIOS = _load("scenarios.toml")
_ROUTES = _SCENARIOS["routes"]
#: Every stage task's route values; a field listed in ``left_empty`` stays empty on purpose.
_ROUTE_DEFAULTS: Plan = {
    task: {**values, **dict.fromkeys(_ROUTES["left_empty"].get(task, ()), Planned.EMPTY)}
    for task, values in _plan(_ROUTES["defaults"]).items()}


# ------------------------------------------------------------------------------------------ routes

def _at(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, 8 + rng.randint(0, 8), tzinfo=UTC)


def _spread(rng: random.Random, window: tuple[date, date]) -> date:
    first, last = window
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _outcome_plan(outcome: str, *, forward_plan: bool) -> Plan:
    """The route to one outcome, dated fields set on the day, with or without a forward plan at closure."""
    plan = _plan(_ROUTES["outcomes"][outcome])
    for task, fields in _ROUTES["dated"].items():
        plan.setdefault(task, {}).update(dict.fromkeys(fields, Planned.TODAY))
    plan.setdefault("planned_closure", {})["forward_plan"] = forward_plan
    return plan


def _person(rng: random.Random, key: str, start: date, data: dict[str, FieldValue], outcome: str, *,
            forward_plan: bool = True, gap: tuple[int, int]) -> Participant:
    """A participant planned to end in ``outcome``: one of the outcome routes, or WITHDRAWN (leaves at the
    vocational profile) or ACTIVE (still searching for a job when the period ends)."""
    when = _at(start, rng)
    if outcome == "WITHDRAWN":
        decide = planned_route({}, defaults=_ROUTE_DEFAULTS, withdraw_at=_ROUTES["withdrawn_at"],
                               withdrawal_reason=_ROUTES["withdrawal_reason"])
    elif outcome == "ACTIVE":
        decide = planned_route({}, defaults=_ROUTE_DEFAULTS, stop_at=_ROUTES["active_until"])
    else:
        decide = planned_route(_outcome_plan(outcome, forward_plan=forward_plan), defaults=_ROUTE_DEFAULTS)
    return Participant(key, _ROUTES["process"], when, data, decide, gap)


def _planned_outcomes(counts: Mapping[str, int]) -> list[str]:
    return [outcome for outcome, n in counts.items() for _ in range(n)]


# ------------------------------------------------------------------------------------------ scenarios

def _natkraft(rng: random.Random) -> list[Participant]:
    """NK-T1..T3: the clients with their planned outcomes (the rest drawn from ``others``), and the
    inquiries of NK-T2 by referring unit, ``enrolled_inquiries`` of whom enrol."""
    nk = _SCENARIOS["natkraft"]
    outcomes = {gender: _planned_outcomes(counts) for gender, counts in nk["outcomes"].items()}
    clients = [(gender, outcome) for gender, n in nk["clients"].items()
               for outcome in outcomes[gender] + [rng.choice(nk["others"]) for _ in range(n - len(outcomes[gender]))]]
    rng.shuffle(clients)
    units = [(str(r["unit"]), str(r["source"])) for r in nk["referrals"]]
    inquiries = [unit for unit, r in zip(units, nk["referrals"], strict=True) for _ in range(r["n"])]
    rng.shuffle(inquiries)

    def referral(gender: str, unit: str, source: str) -> dict[str, FieldValue]:
        return {"referral_source": source, "referral_unit": unit, "referral_channel": nk["channel"],
                "gender": gender, "birth_year": rng.randint(*nk["birth_years"]),
                "income_support": rng.choice(nk["income_support"])}

    people = []
    declined = planned_route(_plan(nk["declined"]), defaults=_ROUTE_DEFAULTS)
    for n, (unit, source) in enumerate(inquiries):
        start = _spread(rng, _window(nk["inquiry_window"]))
        if n < nk["enrolled_inquiries"]:
            gender, outcome = clients.pop()
            people.append(_person(rng, f"nk-{n:03d}", start, referral(gender, unit, source), outcome,
                                  gap=_gap(nk["inquiry_gap_days"])))
        else:
            people.append(Participant(f"nk-{n:03d}", _ROUTES["process"], _at(start, rng),
                                      referral(rng.choice(list(nk["clients"])), unit, source), declined,
                                      _gap(nk["declined_gap_days"])))
    for n, (gender, outcome) in enumerate(clients, start=len(inquiries)):
        start = _spread(rng, _window(nk["earlier_clients_window"]))
        unit, source = rng.choice(units)
        people.append(_person(rng, f"nk-{n:03d}", start, referral(gender, unit, source), outcome,
                              gap=_gap(nk["client_gap_days"])))
    return people


def _gavle(rng: random.Random) -> list[Participant]:
    """GV-T1..T4, GV-F2/F3, GV-N1: the enrolled with their planned outcomes, intake per year, and the
    closures without a forward plan; everyone comes through the joint Af/FK mapping."""
    gv = _SCENARIOS["gavle"]
    plan = [(gender, outcome) for gender, counts in gv["outcomes"].items() for outcome in _planned_outcomes(counts)]
    rng.shuffle(plan)
    years = [year for year, intake in gv["intake"].items() for _ in range(intake["n"])]
    no_plan = gv["without_forward_plan"]
    without = set(sorted(i for i, (_, outcome) in enumerate(plan) if outcome == no_plan["outcome"])[:no_plan["n"]])
    people = []
    for n, ((gender, outcome), year) in enumerate(zip(plan, years, strict=True)):
        start = _spread(rng, _window(gv["intake"][year]["window"]))
        data: dict[str, FieldValue] = {**gv["referral"], "gender": gender,
                                       "birth_year": rng.randint(*gv["birth_years"])}
        people.append(_person(rng, f"gv-{n:03d}", start, data, outcome, forward_plan=n not in without,
                              gap=_gap(gv["gap_days"])))
    return people


def _scenario(name: str, build: Callable[[random.Random], list[Participant]]) -> Scenario:
    raw = _SCENARIOS[name]
    return Scenario(participants=build, rule=str(raw["rule"]), period=_window(raw["period"]),
                    notes=tuple(raw.get("notes", ())))


SIMULATION = SimulationProfile(
    processes={process_id: _process(raw) for process_id, raw in _DEMO["processes"].items()},
    texts={field_id: _text(raw) for field_id, raw in _load("texts.toml").items()},
    withdrawal_reasons=tuple(_DEMO["withdrawal_reasons"]),
    withdrawal_rate=float(_DEMO["withdrawal_rate"]),
    staff=tuple(_DEMO["staff"]),
    scenarios={"natkraft": _scenario("natkraft", _natkraft), "gavle": _scenario("gavle", _gavle)},
)
