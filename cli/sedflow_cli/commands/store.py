"""``sedflow init`` and ``sedflow store info|upgrade``: where the store is and its schema version."""

from __future__ import annotations

import click

from ..context import Settings, pass_settings


def _describe(settings: Settings, *, create: bool = False, migrate: bool = False) -> None:
    from sedflow import SCHEMA_VERSION
    opened = settings.store(create=create, migrate=migrate)
    click.echo(f"{opened.url}  schema version {opened.schema_version()} (this sedflow: {SCHEMA_VERSION})")


@click.command()
@pass_settings
def init(settings: Settings) -> None:
    """Create the store (default ./sedflow.db)."""
    _describe(settings, create=True)


@click.group()
def store() -> None:
    """The store: schema version and upgrades."""


@store.command("info")
@pass_settings
def store_info(settings: Settings) -> None:
    """Where the store is and its schema version."""
    _describe(settings)


@store.command("upgrade")
@pass_settings
def store_upgrade(settings: Settings) -> None:
    """Bring an older store's schema up to this sedflow's (refuses a newer one)."""
    _describe(settings, migrate=True)
