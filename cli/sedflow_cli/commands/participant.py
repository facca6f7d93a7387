"""``sedflow participant erase``: a participant's personal data removed on request, the counts kept."""

from __future__ import annotations

import click

from .. import render
from ..context import Settings, pass_settings
from ..params import actor_option, json_option


@click.group()
def participant() -> None:
    """A participant's data across their cases."""


@participant.command("erase")
@click.argument("key")
@click.option("--reason", required=True, help="Why (recorded with who and when; must not name the participant).")
@actor_option
@json_option
@pass_settings
def participant_erase(settings: Settings, key: str, reason: str, actor: str | None, as_json: bool) -> None:
    """Anonymise every case of participant KEY now: key, free text, state and journal data go, what the
    reports count stays. Running cases are refused: withdraw or cancel them first."""
    result = settings.engine().erase_participant(key, reason, actor=actor)
    render.emit({"cases": list(result.cases)}, as_json,
                lambda: click.echo(f"{len(result.cases)} case(s) anonymised"))
