"""What every command shares: the root options, and the store and engine built from them.

The store is a resource of the root click context: opened at most once per invocation, on first use,
and closed when the context closes, however the command ends (output, error, ``ctx.exit``). The library
is imported only when a command needs it, so ``sedflow --help`` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

if TYPE_CHECKING:
    from sedflow import Clock, Definitions, Engine, Store


class Settings:
    """The root options (``--store``, ``--processes``) and the one store they name."""

    def __init__(self, ctx: click.Context, store_url: str | None, processes: str | None) -> None:
        self._ctx = ctx
        self.store_url = store_url
        self.processes = processes
        self._store: Store | None = None

    def store(self, *, create: bool = False, migrate: bool = False) -> Store:
        """The store, opened on first use (``create`` makes it, ``migrate`` upgrades its schema)."""
        if self._store is None:
            from sedflow import open_store
            self._store = self._ctx.with_resource(open_store(self.store_url, create=create, migrate=migrate))
        return self._store

    @cached_property
    def zone(self) -> ZoneInfo:
        """The time zone times are shown in: ``$SEDFLOW_TZ``, else ``$TZ`` when it names an IANA zone, else the
        programme's (Europe/Stockholm). The store and ``--json`` keep UTC."""
        from sedflow.programmes.se import PROFILE
        for name in (os.environ.get("SEDFLOW_TZ"), os.environ.get("TZ"), PROFILE.zone):
            try:
                if name:
                    return ZoneInfo(name.removeprefix(":"))
            except (ZoneInfoNotFoundError, ValueError):
                if name == os.environ.get("SEDFLOW_TZ"):
                    raise click.UsageError(f"SEDFLOW_TZ '{name}' is not a time zone (e.g. Europe/Stockholm)") \
                        from None
        return ZoneInfo("UTC")

    def processes_dir(self) -> Path:
        from sedflow import PROCESSES_DIR
        return Path(self.processes) if self.processes else PROCESSES_DIR

    def definitions(self, files: Sequence[str] = ()) -> Definitions:
        """The diagrams in ``files``, or (none named) every diagram in the processes directory."""
        from sedflow import load_directory, load_files
        from sedflow.programmes.se import PROFILE
        return load_files(files, profile=PROFILE) if files else load_directory(self.processes_dir(), profile=PROFILE)

    def engine(self, *, create: bool = False, clock: Clock | None = None,
               definitions: Definitions | None = None) -> Engine:
        """An engine on the store and ``definitions`` (default: the processes directory's), with the
        Supported Employment profile."""
        from sedflow import Engine
        from sedflow.programmes.se import PROFILE
        return Engine(self.store(create=create), definitions or self.definitions(), clock=clock, profile=PROFILE)


#: Hands a command the ``Settings`` the root group put on the context.
pass_settings = click.make_pass_decorator(Settings)
