"""``sedflow init`` and ``sedflow store info|upgrade|check|purge|retention``: where the store is, its schema
version, its checks, and how long ended cases keep their personal data."""

from __future__ import annotations

import click
from sedflow import ManualClock

from .. import render
from ..context import Settings, pass_settings
from ..params import actor_option, json_option, now_option


def _describe(settings: Settings, *, create: bool = False, migrate: bool = False, as_json: bool = False) -> None:
    from sedflow import SCHEMA_VERSION
    opened = settings.store(create=create, migrate=migrate)
    about = {"url": opened.url, "schema_version": opened.schema_version(), "sedflow_schema_version": SCHEMA_VERSION,
             "synthetic": opened.is_synthetic()}
    render.emit(about, as_json, lambda: click.echo(
        f"{opened.url}  schema version {opened.schema_version()} (this sedflow: {SCHEMA_VERSION})"))


@click.command()
@pass_settings
def init(settings: Settings) -> None:
    """Create the store (default ./sedflow.db)."""
    _describe(settings, create=True)


@click.group()
def store() -> None:
    """The store: schema version, upgrades, checks and retention."""


@store.command("info")
@json_option
@pass_settings
def store_info(settings: Settings, as_json: bool) -> None:
    """Where the store is and its schema version."""
    _describe(settings, as_json=as_json)


@store.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_settings
def store_check(settings: Settings, as_json: bool) -> None:
    """Check the store: the database's own page check (SQLite integrity_check), then sedflow's: each case
    started once, its status against its journal, its open tasks against the journal and against its
    stored state, every row readable. Exits 8 when anything is wrong."""
    import json

    from sedflow import StoreError, printable
    opened = settings.store()
    found = {"integrity": opened.integrity_problems()}
    found["consistency"] = opened.consistency_problems() if not found["integrity"] else []
    found["cases"] = settings.engine().check_cases() if not found["integrity"] else []
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        for part, problems in found.items():
            click.echo(f"{part}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
            for problem in problems[:50]:
                click.echo(f"  {printable(problem)}")
    total = sum(len(p) for p in found.values())
    if total:
        raise StoreError(f"{opened.url}: {total} problem(s) found (listed above)")


@store.command("upgrade")
@pass_settings
def store_upgrade(settings: Settings) -> None:
    """Bring an older store's schema up to this sedflow's (refuses a newer one)."""
    _describe(settings, migrate=True)


@store.command("purge")
@click.option("--dry-run", is_flag=True, help="Only list the cases past their retention; change nothing.")
@now_option
@actor_option
@json_option
@pass_settings
def store_purge(settings: Settings, dry_run: bool, clock: ManualClock | None, actor: str | None, as_json: bool) -> None:
    """Anonymise every ended case past its retention (the process's historyTimeToLive, else the store's
    default): its participant key, free text, state and journal data go; what the reports count stays."""
    result = settings.engine(clock=clock).purge(dry_run=dry_run, actor=actor)
    verb = "would be anonymised" if dry_run else "anonymised"
    render.emit({"cases": list(result.cases), "dry_run": dry_run}, as_json, lambda: click.echo(
        "\n".join([*result.cases, f"{len(result.cases)} case(s) {verb}"])))


@store.command("retention")
@click.argument("days", required=False)
@click.option("--clear", is_flag=True, help="Keep the personal data of ended cases for ever (the default).")
@json_option
@pass_settings
def store_retention(settings: Settings, days: str | None, clear: bool, as_json: bool) -> None:
    """Show, or set to DAYS (180 or P180D), how long an ended case of a process without historyTimeToLive
    keeps its personal data."""
    engine = settings.engine()
    if days is not None or clear:
        engine.set_default_retention(None if clear else days)
    kept = engine.default_retention()
    render.emit({"retention_days": kept}, as_json, lambda: click.echo(
        "kept for ever" if kept is None else f"{kept} days after a case ends"))
