"""Case and task ids on the command line: a unique prefix of a case id names the case (as a version
prefix names a version), and the shell completes both (``eval "$(_SEDFLOW_COMPLETE=bash_source
sedflow)"``, see the README): case ids from the store, task ids from the case's ready tasks."""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

from .context import Settings


def _settings(ctx: click.Context) -> Settings | None:
    """The command's settings; while the shell completes, the root's callback has not run, so they are made
    from the root options parsed so far."""
    settings = ctx.find_object(Settings)
    if settings is None and ctx.resilient_parsing:
        root = ctx.find_root()
        settings = Settings(root, root.params.get("store"), root.params.get("processes"))
    return settings


class CaseId(click.ParamType[str]):
    """A case id, or a unique prefix of one (``Engine.resolve_case``)."""

    name = "case"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        settings = _settings(ctx) if ctx is not None else None
        if settings is None or not isinstance(value, str):
            return str(value)
        return settings.engine().resolve_case(value)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        settings = _settings(ctx)
        if settings is None:
            return []
        from sedflow import SedflowError
        try:
            return [CompletionItem(i) for i in settings.store().case_ids(incomplete, 50)]
        except SedflowError:  # completing must never print an error into the shell
            return []


class TaskRef(click.ParamType[str]):
    """A ready task of the case named before it (element id or task id); completes the element ids."""

    name = "task"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        settings, case_id = _settings(ctx), ctx.params.get("case_id")
        if settings is None or not case_id:
            return []
        from sedflow import SedflowError
        try:
            ready = settings.engine().list_tasks(case_id=case_id)
        except SedflowError:  # as above
            return []
        return [CompletionItem(t.element_id, help=t.name) for t in ready if t.element_id.startswith(incomplete)]


CASE_ID = CaseId()
TASK = TaskRef()
