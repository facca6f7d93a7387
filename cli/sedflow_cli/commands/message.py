"""``sedflow message send``: deliver a BPMN message to the case waiting for it (``Engine.correlate_message``)."""

from __future__ import annotations

import click

from .. import render
from ..context import Settings, pass_settings
from ..params import actor_option, data_option, form_data, json_option, json_or_text, set_option


@click.group()
def message() -> None:
    """Deliver a message to the case waiting for it."""


@message.command("send")
@click.argument("name")
@click.option("--case", "case_id", help="The case to deliver it to.")
@click.option("--participant", help="Deliver it to this participant's one case waiting for it.")
@click.option("--process", "process_id", help="Only cases of this process.")
@set_option
@data_option
@actor_option
@json_option
@pass_settings
def message_send(settings: Settings, name: str, case_id: str | None, participant: str | None,
                 process_id: str | None, sets: tuple[str, ...], data_file: str | None, actor: str | None,
                 as_json: bool) -> None:
    """Send message NAME to the case waiting for it; --set/--data become its variables (JSON values)."""
    if (case_id is None) == (participant is None):
        raise click.UsageError("name the case (--case) or the participant (--participant), one of them")
    data = {k: json_or_text(v) for k, v in form_data(sets, data_file).items()}
    c = settings.engine().correlate_message(name, case_id=case_id, participant=participant, process_id=process_id,
                                            data=data, actor=actor)
    render.emit(c.to_dict(), as_json, lambda: render.case(c))

