"""click's documented lazy-loading group, with the short help of each command kept beside its import path.

The pattern is click's own ("Complex Applications", "Lazily Loading Subcommands"): the group maps command
names to ``module.attr`` import paths and imports a command only when it is asked for. click's default
help listing asks for every command (to read its short help), which would import them all; this group
lists them from its own table instead, so ``sedflow --help`` imports nothing but click.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, NamedTuple

import click


class LazyCommand(NamedTuple):
    """Where a command lives (``package.module.attr``) and the short help ``--help`` lists for it."""

    import_path: str
    short_help: str


class LazyGroup(click.Group):
    """A group whose subcommands are imported on demand (and listed in ``--help`` without importing)."""

    def __init__(self, *args: Any, lazy_subcommands: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_subcommands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            return self._lazy_load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _lazy_load(self, cmd_name: str) -> click.Command:
        module_name, attr = self.lazy_subcommands[cmd_name].import_path.rsplit(".", 1)
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"lazy command '{cmd_name}' ({module_name}.{attr}) is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(map(len, names))
        rows = []
        for name in names:
            if name in self.lazy_subcommands:
                # A stand-in command shortens the text the way click shortens a command's own help.
                command: click.Command | None = click.Command(name, help=self.lazy_subcommands[name].short_help)
            else:
                command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
