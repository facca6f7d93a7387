"""``sedflow signal NAME``: throw a signal from outside any case (``Engine.broadcast_signal``)."""

from __future__ import annotations

import click

from .. import render
from ..context import Settings, pass_settings
from ..params import actor_option, data_option, form_data, json_option, json_or_text, set_option


@click.command()
@click.argument("name")
@click.option("--participant", help="Start a case for this participant in each process whose start event catches "
                                    "the signal (without it, none starts).")
@set_option
@data_option
@actor_option
@json_option
@pass_settings
def signal(settings: Settings, name: str, participant: str | None, sets: tuple[str, ...], data_file: str | None,
           actor: str | None, as_json: bool) -> None:
    """Throw a signal to every case waiting for it.

    NAME is the signal's name; --set/--data become its variables (JSON values). Each waiting case receives it
    in its own transaction; what a concurrent change held up is delivered by the next 'sedflow tick'.
    """
    data = {k: json_or_text(v) for k, v in form_data(sets, data_file).items()}
    result = settings.engine().broadcast_signal(name, data, participant=participant, actor=actor)
    render.emit(result.to_dict(), as_json, lambda: render.signal(result))

