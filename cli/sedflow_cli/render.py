"""The text the commands print: one function per kind of result (``--json`` prints ``to_dict()`` instead).

Each takes the library's own objects (or, for listings built for JSON, the rows themselves) and only
echoes: nothing here reads the store or decides anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sedflow import (
        Case,
        DefinitionChanges,
        Deployment,
        ElementInfo,
        IncidentView,
        JournalEntry,
        MigrationPlan,
        ProcessDefinition,
        SignalResult,
        TaskView,
        TickResult,
    )


def emit(value: Any, as_json: bool, render: Callable[[], None]) -> None:
    """Print ``value`` as JSON, or call ``render`` for the text."""
    if as_json:
        click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    else:
        render()


def when(moment: datetime) -> str:
    """A time as people read it: in the zone of the context's ``Settings`` (see ``Settings.zone``; UTC
    outside a command), with its offset, e.g. ``2026-02-03 10:00 +01:00``."""
    from .context import Settings
    ctx = click.get_current_context(silent=True)
    settings = ctx.find_object(Settings) if ctx is not None else None
    local = moment.astimezone(settings.zone if settings is not None else UTC)
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M") + f" {offset[:3]}:{offset[3:]}"


def short(version: str | None) -> str:
    """A version hash as people read it: its first 12 characters."""
    return version[:12] if version else "-"


def case(c: Case, *, with_data: bool = False, note: str | None = None) -> None:
    if note:
        click.echo(note)
    click.echo(f"case {c.case_id}  participant {c.participant}  {c.process_id}@{c.definition_version}")
    click.echo(f"  status {c.status}  revision {c.revision}  stages {', '.join(c.stages) or '-'}")
    if c.outcome and c.ended_at:
        click.echo(f"  outcome {c.outcome}  end reason {c.end_reason}  ended {when(c.ended_at)}")
    if c.incident:
        where = "stuck" if c.incident.kind == "stalled" else "failing"
        click.echo(f"  INCIDENT since {when(c.incident.since)} ({c.incident.kind}): {where} at "
                   f"{c.incident.element_id or '-'} ({c.incident.process_id}): {c.incident.reason}"
                   f"  [sedflow incident retry {c.case_id}]")
    for t in c.tasks:
        click.echo(f"  ready: {t.element_id} ({t.name}) [{t.lane or '-'}] task id {t.task_id}")
    if with_data:
        mapping(c.data, indent="  ")


def incidents(found: Sequence[IncidentView]) -> None:
    if not found:
        click.echo("no open incidents")
    for i in found:
        click.echo(f"{i.case_id}  {i.kind:<7}  {i.process_id}:{i.element_id or '-'}"
                   + (f" ({i.element_name})" if i.element_name else "")
                   + f"  since {when(i.since)}  attempts {i.retries}  participant {i.participant}")
        click.echo(f"  {i.reason}")


def mapping(values: Mapping[str, Any], *, indent: str = "") -> None:
    """``key = value`` lines, sorted by key (a value as JSON, as ``--var`` takes it)."""
    for key, value in sorted(values.items()):
        click.echo(f"{indent}{key} = {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}")


def case_list(cases: Sequence[Case]) -> None:
    for c in cases:
        click.echo(f"{c.case_id}  {c.participant:<16} {c.process_id:<22} {c.status:<9} "
                   f"{','.join(c.stages) or (c.outcome or '-')}"
                   + (f"  INCIDENT at {c.incident.element_id or '-'} since {when(c.incident.since)}: "
                      f"{c.incident.reason}" if c.incident else ""))
    click.echo(f"{len(cases)} case(s)")


def tasks(items: Sequence[TaskView]) -> None:
    if not items:
        click.echo("no tasks ready")
    for t in items:
        click.echo(f"{t.case_id}  {t.element_id:<26} {t.name}  [{t.lane or '-'} / {t.stage or '-'}]  "
                   f"since {when(t.since)}  participant {t.participant}")
        for f in t.form.fields if t.form else ():
            click.echo(f"    - {f.id}: {f.describe()}")


def due(items: Sequence[TaskView]) -> None:
    if not items:
        click.echo("nothing due")
    for t in items:
        if t.kind == "incident":
            click.echo(f"{t.case_id}  INCIDENT {t.element_id or '-':<23} since {when(t.since)}  {t.reason}")
            continue
        at = f"fires {when(t.due_at)}" if t.kind == "timer" and t.due_at else f"ready since {when(t.since)}"
        click.echo(f"{t.case_id}  {t.kind:<5} {t.element_id:<26} {at}  [{t.lane or '-'}]  {t.name}")


def history(entries: Iterable[JournalEntry]) -> None:
    for e in entries:
        extra = f" {e.outcome}/{e.end_reason}" if e.outcome else ""
        fields = " " + json.dumps(e.data, ensure_ascii=False) if e.data else ""
        click.echo(f"{e.seq:>6} {when(e.at)} {e.kind:<18} {e.element_id or '-':<26} "
                   f"{e.actor or ''}{extra}{fields}")


def migration_plans(plans: Sequence[MigrationPlan]) -> None:
    if not plans:
        click.echo("no active cases to migrate")
    for plan in plans:
        click.echo(f"{plan.case_id}  {plan.action:<8} {short(plan.from_version)} -> {short(plan.to_version)}")
        for line in plan.reasons + plan.changes:
            click.echo(f"    {line}")


def tick(result: TickResult, *, quiet: bool = False) -> None:
    """The run's summary line (``quiet``: only when something fired, failed or was left to another worker,
    so that cron mails nothing for a run that did nothing), its errors and incidents."""
    line = f"{when(result.now)} {result.timers_fired} timer(s) fired in {len(result.fired)} case(s)"
    if result.conflicts:
        line += f"; {len(result.conflicts)} case(s) changed by another worker, left to it"
    if result.signals:
        line += f"; {result.signals} signal delivery(ies) done"
    if not quiet or result.timers_fired or result.conflicts or result.failed or result.signals:
        click.echo(line)
    for error in result.failed.values():  # each error names its case
        click.echo(f"error: {error}", err=True)
    for case_id in result.stalled:
        click.echo(f"incident: case {case_id} is in incident after this run (sedflow case show {case_id})", err=True)
    if result.incidents:
        click.echo(f"warning: {result.incidents} case(s) in incident: they cannot advance on their own "
                   "(sedflow incidents)", err=True)


def signal(result: SignalResult) -> None:
    click.echo(f"signal '{result.name}' (#{result.signal_id}): delivered to {len(result.delivered)} case(s), "
               f"started {len(result.started)}")
    for case_id in (*result.delivered, *result.started):
        click.echo(f"  {case_id}")
    for receiver, reason in result.skipped.items():
        click.echo(f"skipped: {receiver}: {reason}")
    for receiver in result.pending:
        click.echo(f"pending: {receiver} was changed meanwhile; the next 'sedflow tick' delivers it")
    for receiver, error in result.failed.items():
        click.echo(f"error: {receiver}: {error}", err=True)
    if result.not_started:
        click.echo(f"not started: {', '.join(result.not_started)} (they start on this signal; name the participant "
                   "with --participant to start one)", err=True)


def changes(diff: DefinitionChanges, indent: str = "  ") -> None:
    for sign, items in (("+", diff.added), ("-", diff.removed), ("~", diff.changed)):
        for change in items:
            click.echo(f"{indent}{sign} {change.process_id}:{change.describe()}")


def deployments(results: Sequence[Deployment]) -> None:
    for r in results:
        if not r.deployed:
            click.echo(f"{r.process_id:<24} unchanged {short(r.version)}")
            continue
        was = f"was {short(r.previous)}" if r.previous else "first version"
        click.echo(f"{r.process_id:<24} deployed  {short(r.version)} ({was})")
        changes(r.changes)


def deployment_history(rows: Sequence[Mapping[str, Any]]) -> None:
    for r in rows:
        mark = "*" if r["current"] else " "
        summary = f"+{r['added']} -{r['removed']} ~{r['changed']}" if r["previous"] else "first version"
        click.echo(f"{mark} {r['process_id']:<24} {r['version']}  {r['deployed_at'][:19]}  "
                   f"{r['actor'] or '-':<12} {summary}")


def process_list(rows: Sequence[Mapping[str, Any]]) -> None:
    for r in rows:
        click.echo(f"{r['process_id']:<24} {r['version']}  {r['name']} "
                   f"({r['user_tasks']} user tasks; {', '.join(r['files'])})")


def validated(definitions: Iterable[ProcessDefinition]) -> None:
    for d in definitions:
        click.echo(f"ok  {d.process_id} {d.version}")


def process(d: ProcessDefinition, elements: Sequence[ElementInfo]) -> None:
    click.echo(f"{d.process_id}  {d.name}  version {d.version}")
    for e in elements:
        extra = f" [{e.lane}]" if e.lane else ""
        extra += f" stage={e.stage}" if e.stage else ""
        click.echo(f"  {e.kind:<22} {e.process_id}:{e.id:<28} {e.name}{extra}")
        for f in e.form.fields if e.form else ():
            click.echo(f"      - {f.id}: {f.describe()}")
