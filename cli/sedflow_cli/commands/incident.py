"""``sedflow incidents`` and ``sedflow incident retry|resolve``: the cases that cannot advance on their own
(``Engine.incidents``, ``retry_incident``, ``resolve_incident``). An incident is named by its case's id."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .. import render
from ..context import Settings, pass_settings
from ..params import actor_option, json_option, now_option

if TYPE_CHECKING:
    from sedflow import ManualClock


@click.command()
@click.option("--process", "process_id", help="Only incidents of this process's cases.")
@click.option("--case", "case_id", help="Only this case's incident.")
@json_option
@pass_settings
def incidents(settings: Settings, process_id: str | None, case_id: str | None, as_json: bool) -> None:
    """Open incidents: cases that cannot advance on their own, where and why.

    The oldest first, each with the attempts made; an incident is named by its case's id."""
    found = settings.engine().incidents(process_id=process_id, case_id=case_id)
    render.emit([i.to_dict() for i in found], as_json, lambda: render.incidents(found))


@click.group()
def incident() -> None:
    """Retry or resolve a case's incident.

    Retry runs its failing step again now; resolve records that its cause was dealt with."""


@incident.command("retry")
@click.argument("case_id", metavar="ID")
@now_option
@actor_option
@json_option
@pass_settings
def incident_retry(settings: Settings, case_id: str, clock: ManualClock | None, actor: str | None,
                   as_json: bool) -> None:
    """Run case ID's failing step again now (a stalled case: once more); exit 9 if it fails again."""
    c = settings.engine(clock=clock).retry_incident(case_id, actor=actor)
    render.emit(c.to_dict(), as_json, lambda: render.case(c, note=f"incident of case {case_id} resolved by the retry"))


@incident.command("resolve")
@click.argument("case_id", metavar="ID")
@click.option("--note", required=True, help="What was done about it (journaled).")
@actor_option
@json_option
@pass_settings
def incident_resolve(settings: Settings, case_id: str, note: str, actor: str | None, as_json: bool) -> None:
    """Close case ID's incident by hand: the next tick tries the case again, with fresh attempts."""
    c = settings.engine().resolve_incident(case_id, note, actor=actor)
    render.emit(c.to_dict(), as_json, lambda: render.case(c, note=f"incident of case {case_id} resolved"))
