"""``sedflow init`` and ``sedflow store info|upgrade``: where the store is and its schema version."""

from __future__ import annotations

import click

from .. import render
from ..context import Settings, pass_settings
from ..params import json_option


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
    """The store: schema version, upgrades and checks."""


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
