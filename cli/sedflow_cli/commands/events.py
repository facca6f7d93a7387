"""``sedflow events``: the journal as an event feed, by cursor or for a named consumer.

``Engine.events`` after ``--after`` (a cursor: the seq of the last event seen), or with ``--consumer``
``Engine.consumer(NAME).poll()``, each printed batch acknowledged once printed (a consumer never sees an
event twice, and after a crash between print and ack sees the last batch again). ``--follow`` keeps
polling until interrupted. ``--json`` prints JSON Lines: one event per line.
"""

from __future__ import annotations

import json
import time

import click
from sedflow import JournalEntry, JournalKind

from .. import render
from ..context import Settings, pass_settings
from ..params import json_option


@click.command("events")
@click.option("--after", type=click.IntRange(min=0), default=0, show_default=True,
              help="Cursor: events after it (the seq of the last event seen; ignored with --consumer).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice([k.value for k in JournalKind]),
              help="Only events of this kind (repeatable).")
@click.option("--consumer", metavar="NAME", help="Read as consumer NAME: from its stored cursor, acknowledging "
              "what is printed.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many events (per poll with --follow).")
@click.option("--follow", is_flag=True, help="Keep polling for new events until interrupted.")
@click.option("--interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between polls with --follow.")
@json_option
@pass_settings
def events(settings: Settings, after: int, kinds: tuple[str, ...], consumer: str | None, limit: int | None,
           follow: bool, interval: float, as_json: bool) -> None:
    """The journal as an event feed, by cursor or for a named consumer (acknowledged as printed).

    Events print in feed order (JSON Lines with --json)."""
    engine = settings.engine()
    reader = engine.consumer(consumer) if consumer else None
    cursor = after
    try:
        while True:
            batch = (reader.poll(limit, kinds or None) if reader is not None
                     else engine.events(after=cursor, kinds=kinds or None, limit=limit))
            _print(batch, as_json)
            if batch and batch[-1].seq is not None:
                cursor = batch[-1].seq
                if reader is not None:
                    reader.ack(cursor)
            if not follow:
                return
            if not batch or (limit is not None and len(batch) < limit):
                time.sleep(interval)
    except KeyboardInterrupt:
        return


def _print(batch: list[JournalEntry], as_json: bool) -> None:
    if as_json:
        for e in batch:
            click.echo(json.dumps(e.to_dict(), ensure_ascii=False, default=str))
    else:
        render.history(batch)
