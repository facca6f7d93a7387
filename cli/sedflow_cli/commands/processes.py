"""``sedflow processes ...``: the process definitions (diagrams), their checks, deployments and versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sedflow import Definitions, ElementInfo, ProcessDefinition

from .. import render
from ..context import Settings, pass_settings
from ..params import json_option

_files_argument = click.argument("files", nargs=-1, type=click.Path(dir_okay=False))


@click.group()
def processes() -> None:
    """The process definitions (diagrams)."""


@processes.command("list")
@json_option
@pass_settings
def processes_list(settings: Settings, as_json: bool) -> None:
    """List the loaded processes with their version hashes."""
    rows = [{"process_id": d.process_id, "name": d.name, "version": d.version, "user_tasks": len(d.user_tasks()),
             "files": sorted(Path(f).name for f in d.sources)} for d in settings.definitions()]
    render.emit(rows, as_json, lambda: render.process_list(rows))


def _in_order(d: ProcessDefinition) -> list[ElementInfo]:
    """The process's own elements first, then those of the processes it calls, each in diagram order."""
    return sorted(d.elements.values(), key=lambda e: (e.process_id != d.process_id, e.line))


def _process_to_dict(d: ProcessDefinition) -> dict[str, Any]:
    """The process for a program: every element with its form fields as ``FormField.to_dict()`` gives them
    (as ``case tasks --json`` does), and the start form, enough to start a case from this alone."""
    start = d.start_event
    return {
        "process_id": d.process_id, "name": d.name, "version": d.version,
        "start_form": None if start is None or start.form is None else {
            "element_id": start.id, "name": start.name, "fields": [f.to_dict() for f in start.form.fields]},
        "elements": [{"process_id": e.process_id, "id": e.id, "name": e.name, "kind": e.kind, "lane": e.lane,
                      "stage": e.stage, "properties": dict(e.properties),
                      "fields": [f.to_dict() for f in e.form.fields] if e.form else []} for e in _in_order(d)],
    }


@processes.command("show")
@click.argument("process_id")
@json_option
@pass_settings
def processes_show(settings: Settings, process_id: str, as_json: bool) -> None:
    """Show a process's elements: tasks with lanes, stages and form fields."""
    d = settings.definitions().get(process_id)
    render.emit(_process_to_dict(d), as_json, lambda: render.process(d, _in_order(d)))


def _checked(settings: Settings, files: tuple[str, ...]) -> Definitions:
    """The diagrams named (or the directory's), with the loader's warnings on stderr."""
    defs = settings.definitions(files)
    for warning in defs.warnings:
        click.echo(f"warning: {warning}", err=True)
    return defs


@processes.command("validate")
@_files_argument
@json_option
@pass_settings
def processes_validate(settings: Settings, files: tuple[str, ...], as_json: bool) -> None:
    """Check diagrams: XML safety, XSD, SpiffWorkflow semantics, expression safety, layout.

    Without FILES, checks every diagram in the processes directory. A refusal exits 3, each problem on a
    line of its own naming file, element and line (also with --json).
    """
    defs = _checked(settings, files)
    rows = [{"process_id": d.process_id, "version": d.version, "files": sorted(d.sources)} for d in defs]
    render.emit({"ok": rows, "warnings": list(defs.warnings)}, as_json, lambda: render.validated(defs))


@processes.command("deploy")
@_files_argument
@click.option("--actor", help="Who deploys (recorded with the deployment).")
@json_option
@pass_settings
def processes_deploy(settings: Settings, files: tuple[str, ...], actor: str | None, as_json: bool) -> None:
    """Make diagrams the versions new cases start on; print what changed.

    Without FILES, deploys every diagram in the processes directory; FILES must include the processes
    they call. A process whose content did not change keeps its version. Earlier versions stay in the
    store: running cases stay on theirs until 'sedflow case migrate'.
    """
    results = settings.engine(create=True, definitions=_checked(settings, files)).deploy(actor=actor)
    render.emit([r.to_dict() for r in results], as_json, lambda: render.deployments(results))


@processes.command("versions")
@click.argument("process_id", required=False)
@json_option
@pass_settings
def processes_versions(settings: Settings, process_id: str | None, as_json: bool) -> None:
    """The deployment history (of one process): which version new cases start on, and since when."""
    records = settings.engine().deployments(process_id)
    current = {r.process_id: r.seq for r in records}
    rows = [{"seq": r.seq, "process_id": r.process_id, "version": r.version, "deployed_at": r.deployed_at.isoformat(),
             "actor": r.actor, "previous": r.changes.get("previous"), "current": current[r.process_id] == r.seq,
             "added": len(r.changes.get("added", ())), "removed": len(r.changes.get("removed", ())),
             "changed": len(r.changes.get("changed", ()))} for r in records]
    render.emit(rows, as_json, lambda: render.deployment_history(rows))
