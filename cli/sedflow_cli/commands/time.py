"""``sedflow tick`` and ``sedflow due``: timers firing, and what is coming up."""

from __future__ import annotations

import sys
from datetime import timedelta

import click
from sedflow import EngineError, ManualClock

from .. import render
from ..context import Settings, pass_settings
from ..params import json_option, now_option, parse_duration


@click.command()
@now_option
@click.option("--limit", type=int, help="At most this many cases in this run.")
@click.option("--quiet", is_flag=True, help="No line per case; the summary only when something fired or failed.")
@click.option("--progress", is_flag=True, help="A progress bar on stderr instead of a line per case.")
@pass_settings
def tick(settings: Settings, clock: ManualClock | None, limit: int | None, quiet: bool, progress: bool) -> None:
    """Fire every timer that is due, across all cases (run it from cron or a scheduler).

    Each case is its own step: a case that fails is reported (exit 9) and the others go on.
    """
    engine = settings.engine(clock=clock)
    if progress:
        due = engine.store.count_due(engine.clock.now())
        with click.progressbar(length=min(due, limit or due), label="tick", file=sys.stderr) as bar:
            result = engine.tick(limit=limit, on_case=lambda case_id, fired: bar.update(1))
    else:
        def report(case_id: str, fired: int) -> None:
            if fired and not quiet:
                click.echo(f"{case_id}: {fired} timer(s) fired")
        result = engine.tick(limit=limit, on_case=report)
    render.tick(result, quiet=quiet)
    if result.failed:
        raise EngineError(f"{len(result.failed)} case(s) failed (the errors above); the other cases were ticked")


@click.command()
@click.option("--within", callback=parse_duration, default="0d", show_default=True,
              help="Also timers firing within this span: 14d, 2w, P1M.")
@click.option("--lane", help="Only this lane (e.g. coach).")
@click.option("--case", "case_id", help="Only this case.")
@now_option
@json_option
@pass_settings
def due(settings: Settings, within: timedelta, lane: str | None, case_id: str | None, clock: ManualClock | None,
        as_json: bool) -> None:
    """What is due per case: tasks ready now and timers coming up (the coach's work queue)."""
    items = settings.engine(clock=clock).due(within=within, lane=lane, case_id=case_id)
    render.emit([t.to_dict() for t in items], as_json, lambda: render.due(items))
