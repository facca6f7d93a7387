"""``sedflow tasks``: the work queue, ready tasks across all cases."""

from __future__ import annotations

from typing import Any

import click

from .. import render
from ..context import Settings, pass_settings
from ..params import json_option


@click.command()
@click.option("--lane", help="Only tasks in this lane (e.g. coach).")
@click.option("--task", help="Only this task (element id).")
@click.option("--stage", help="Only tasks of this stage.")
@click.option("--process", "process_id", help="Only tasks of this process.")
@json_option
@pass_settings
def tasks(settings: Settings, /, as_json: bool, **filters: Any) -> None:
    """The work queue: ready tasks across all cases."""
    ready = settings.engine().list_tasks(**filters)
    render.emit([t.to_dict() for t in ready], as_json, lambda: render.tasks(ready))
