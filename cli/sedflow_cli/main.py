"""``sedflow``: start, inspect and advance cases from a terminal.

Each command maps onto one library call of the same name (``case start`` → ``Engine.start_case``,
``case tasks`` → ``Engine.list_tasks`` …). The library is imported inside the commands so that
``sedflow --help`` stays fast. Errors print one line to stderr and exit with the error's code
(see ``sedflow --help``); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

EXIT_CODES = """Exit codes: 0 ok, 1 other error, 2 usage, 3 invalid diagram or expression, 4 unknown
process/case/task, 5 invalid task data, 6 case has ended, 7 conflict (someone else changed the case
first: reload and retry), 8 store problem, 9 engine failure."""


class _Group(click.Group):
    """Turns SedflowError into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from sedflow.errors import DefinitionError, SedflowError
        try:
            return super().invoke(ctx)
        except SedflowError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            if isinstance(exc, DefinitionError) and len(exc.problems) > 1:
                for problem in exc.problems:
                    click.echo(f"error: {problem}", err=True)
            else:
                click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


class _Settings:
    def __init__(self, store: str | None, processes: str | None):
        self.store_url = store
        self.processes = processes

    def engine(self, *, create: bool = False, clock: Any = None) -> Any:
        from sedflow import Engine, load_directory, open_store
        from sedflow.programmes.se import PROFILE
        return Engine(open_store(self.store_url, create=create), load_directory(self.processes_dir()), clock=clock,
                      profile=PROFILE)

    def processes_dir(self) -> Path:
        from sedflow import PROCESSES_DIR
        return Path(self.processes) if self.processes else PROCESSES_DIR


pass_settings = click.make_pass_decorator(_Settings)


def _out(value: Any, as_json: bool, render: Any) -> None:
    if as_json:
        click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    else:
        render()


def _parse_sets(pairs: tuple[str, ...], data_file: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if data_file:
        try:
            data.update(json.loads(Path(data_file).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise click.BadParameter(f"cannot read JSON from {data_file}: {exc}", param_hint="--data") from None
        if not isinstance(data, dict):
            raise click.BadParameter("the JSON must be an object of field: value", param_hint="--data")
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{pair}' is not key=value", param_hint="--set")
        data[key.strip()] = value
    return data


@click.group(cls=_Group, epilog=EXIT_CODES)
@click.option("--store", envvar="SEDFLOW_STORE", metavar="PATH|URL",
              help="Store path or sqlite:/// URL [env SEDFLOW_STORE; default ./sedflow.db].")
@click.option("--processes", envvar="SEDFLOW_PROCESSES", metavar="DIR",
              help="Directory of .bpmn diagrams [env SEDFLOW_PROCESSES; default: the shipped ones].")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="sedflow")
@click.pass_context
def main(ctx: click.Context, store: str | None, processes: str | None, debug: bool) -> None:
    """Supported Employment programmes as BPMN processes: one case per participant."""
    ctx.obj = _Settings(store, processes)


def _open_store(settings: _Settings, **how: bool) -> None:
    from sedflow import open_store
    from sedflow.store import SCHEMA_VERSION
    store = open_store(settings.store_url, **how)
    click.echo(f"{store.url}  schema version {store.schema_version()} (this sedflow: {SCHEMA_VERSION})")
    store.close()


@main.command()
@pass_settings
def init(settings: _Settings) -> None:
    """Create the store (default ./sedflow.db)."""
    _open_store(settings, create=True)


@main.group()
def store() -> None:
    """The store: schema version and upgrades."""


@store.command("info")
@pass_settings
def store_info(settings: _Settings) -> None:
    """Where the store is and its schema version."""
    _open_store(settings)


@store.command("upgrade")
@pass_settings
def store_upgrade(settings: _Settings) -> None:
    """Bring an older store's schema up to this sedflow's (refuses a newer one)."""
    _open_store(settings, migrate=True)


# ------------------------------------------------------------------------------------------ processes

@main.group()
def processes() -> None:
    """The process definitions (diagrams)."""


@processes.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def processes_list(settings: _Settings, as_json: bool) -> None:
    """List the loaded processes with their version hashes."""
    from sedflow import load_directory
    defs = load_directory(settings.processes_dir())
    rows = [{"process_id": d.process_id, "name": d.name, "version": d.version, "user_tasks": len(d.user_tasks()),
             "files": sorted(Path(f).name for f in d.sources)} for d in defs]
    _out(rows, as_json, lambda: [click.echo(f"{r['process_id']:<24} {r['version']}  {r['name']} "
                                            f"({r['user_tasks']} user tasks; {', '.join(r['files'])})") for r in rows])


@processes.command("show")
@click.argument("process_id")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def processes_show(settings: _Settings, process_id: str, as_json: bool) -> None:
    """Show a process's elements: tasks with lanes, stages and form fields."""
    from sedflow import load_directory
    d = load_directory(settings.processes_dir()).get(process_id)
    elements = [{"process_id": e.process_id, "id": e.id, "name": e.name, "kind": e.kind, "lane": e.lane,
                 "stage": e.stage, "properties": dict(e.properties),
                 "fields": [f.describe() for f in e.form.fields] if e.form else []}
                for e in sorted(d.elements.values(), key=lambda e: (e.process_id != d.process_id, e.line))]

    def render() -> None:
        click.echo(f"{d.process_id}  {d.name}  version {d.version}")
        for e in elements:
            extra = f" [{e['lane']}]" if e["lane"] else ""
            extra += f" stage={e['stage']}" if e["stage"] else ""
            click.echo(f"  {e['kind']:<22} {e['process_id']}:{e['id']:<28} {e['name']}{extra}")
            for f in e["fields"]:
                click.echo(f"      - {f}")
    _out({"process_id": d.process_id, "name": d.name, "version": d.version, "elements": elements}, as_json, render)


@processes.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@pass_settings
def processes_validate(settings: _Settings, files: tuple[str, ...]) -> None:
    """Check diagrams: XML safety, XSD, SpiffWorkflow semantics, expression safety, layout.

    Without FILES, checks every diagram in the processes directory.
    """
    from sedflow import load_directory, load_files
    defs = load_files(files) if files else load_directory(settings.processes_dir())
    for warning in defs.warnings:
        click.echo(f"warning: {warning}", err=True)
    for d in defs:
        click.echo(f"ok  {d.process_id} {d.version}")


def _short(version: str | None) -> str:
    return version[:12] if version else "-"


def _render_changes(changes: Any, indent: str = "  ") -> None:
    for sign, items in (("+", changes.added), ("-", changes.removed), ("~", changes.changed)):
        for change in items:
            click.echo(f"{indent}{sign} {change.process_id}:{change.describe()}")


@processes.command("deploy")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--actor", help="Who deploys (recorded with the deployment).")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def processes_deploy(settings: _Settings, files: tuple[str, ...], actor: str | None, as_json: bool) -> None:
    """Make diagrams the versions new cases start on; print what changed.

    Without FILES, deploys every diagram in the processes directory; FILES must include the processes
    they call. A process whose content did not change keeps its version. Earlier versions stay in the
    store: running cases stay on theirs until 'sedflow case migrate'.
    """
    from sedflow import load_directory, load_files
    defs = load_files(files) if files else load_directory(settings.processes_dir())
    for warning in defs.warnings:
        click.echo(f"warning: {warning}", err=True)
    results = settings.engine(create=True).deploy(defs, actor=actor)

    def render() -> None:
        for r in results:
            if not r.deployed:
                click.echo(f"{r.process_id:<24} unchanged {_short(r.version)}")
                continue
            was = f"was {_short(r.previous)}" if r.previous else "first version"
            click.echo(f"{r.process_id:<24} deployed  {_short(r.version)} ({was})")
            _render_changes(r.changes)
    _out([r.to_dict() for r in results], as_json, render)


@processes.command("versions")
@click.argument("process_id", required=False)
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def processes_versions(settings: _Settings, process_id: str | None, as_json: bool) -> None:
    """The deployment history (of one process): which version new cases start on, and since when."""
    engine = settings.engine()
    rows = engine.deployments(process_id)
    current = {r.process_id: r.seq for r in rows}
    out = [{"seq": r.seq, "process_id": r.process_id, "version": r.version, "deployed_at": r.deployed_at.isoformat(),
            "actor": r.actor, "previous": r.changes.get("previous"), "current": current[r.process_id] == r.seq,
            "added": len(r.changes.get("added", ())), "removed": len(r.changes.get("removed", ())),
            "changed": len(r.changes.get("changed", ()))} for r in rows]

    def render() -> None:
        for r in out:
            mark = "*" if r["current"] else " "
            summary = f"+{r['added']} -{r['removed']} ~{r['changed']}" if r["previous"] else "first version"
            click.echo(f"{mark} {r['process_id']:<24} {r['version']}  {r['deployed_at'][:19]}  "
                       f"{r['actor'] or '-':<12} {summary}")
    _out(out, as_json, render)


# ---------------------------------------------------------------------------------------------- cases

@main.group()
def case() -> None:
    """Start, inspect and advance cases."""


def _render_case(c: Any) -> None:
    click.echo(f"case {c.case_id}  participant {c.participant}  {c.process_id}@{c.definition_version}")
    click.echo(f"  status {c.status}  revision {c.revision}  stages {', '.join(c.stages) or '-'}")
    if c.outcome:
        click.echo(f"  outcome {c.outcome}  end reason {c.end_reason}  ended {c.ended_at:%Y-%m-%d}")
    for t in c.tasks:
        click.echo(f"  ready: {t.element_id} ({t.name}) [{t.lane or '-'}] task id {t.task_id}")


def _render_tasks(tasks: list[Any]) -> None:
    if not tasks:
        click.echo("no tasks ready")
    for t in tasks:
        click.echo(f"{t.case_id}  {t.element_id:<26} {t.name}  [{t.lane or '-'} / {t.stage or '-'}]  "
                   f"since {t.since:%Y-%m-%d}  participant {t.participant}")
        for f in (t.form.fields if t.form else ()):
            click.echo(f"    - {f.id}: {f.describe()}")


@case.command("start")
@click.argument("process_id")
@click.option("--participant", required=True, help="Pseudonymous participant key (never a personnummer).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Start form field (repeatable).")
@click.option("--data", "data_file", type=click.Path(exists=True, dir_okay=False), help="JSON object of fields.")
@click.option("--actor", help="Who does this (recorded in the journal).")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def case_start(settings: _Settings, process_id: str, participant: str, sets: tuple[str, ...], data_file: str | None,
               actor: str | None, as_json: bool) -> None:
    """Start a case of PROCESS_ID for a participant."""
    c = settings.engine().start_case(process_id, participant, _parse_sets(sets, data_file), actor=actor)
    _out(c.to_dict(), as_json, lambda: _render_case(c))


@case.command("list")
@click.option("--status", type=click.Choice(["active", "completed", "withdrawn", "cancelled"]))
@click.option("--stage")
@click.option("--task", help="Cases with this task (element id) ready.")
@click.option("--lane", help="Cases with a task ready in this lane.")
@click.option("--process", "process_id")
@click.option("--participant")
@click.option("--limit", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def case_list(settings: _Settings, as_json: bool, **filters: Any) -> None:
    """List cases."""
    cases = settings.engine().list_cases(**filters)

    def render() -> None:
        for c in cases:
            click.echo(f"{c.case_id}  {c.participant:<16} {c.process_id:<22} {c.status:<9} "
                       f"{','.join(c.stages) or (c.outcome or '-')}")
        click.echo(f"{len(cases)} case(s)")
    _out([c.to_dict() for c in cases], as_json, render)


@case.command("show")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def case_show(settings: _Settings, case_id: str, as_json: bool) -> None:
    """Show a case: status, stages, data, outcome and ready tasks."""
    c = settings.engine().show_case(case_id)

    def render() -> None:
        _render_case(c)
        for key, value in sorted(c.data.items()):
            click.echo(f"  {key} = {value}")
    _out(c.to_dict(), as_json, render)


@case.command("tasks")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def case_tasks(settings: _Settings, case_id: str, as_json: bool) -> None:
    """The tasks ready in a case, with their form fields."""
    tasks = settings.engine().list_tasks(case_id=case_id)
    _out([t.to_dict() for t in tasks], as_json, lambda: _render_tasks(tasks))


@main.command("tasks")
@click.option("--lane")
@click.option("--task")
@click.option("--stage")
@click.option("--process", "process_id")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def tasks_queue(settings: _Settings, as_json: bool, **filters: Any) -> None:
    """The work queue: ready tasks across all cases."""
    tasks = settings.engine().list_tasks(**filters)
    _out([t.to_dict() for t in tasks], as_json, lambda: _render_tasks(tasks))


def _prompt_form(form: Any, element: str) -> dict[str, Any]:
    """Ask for each field with its label, type and choices; re-ask until the value fits the field."""
    from sedflow import TaskDataError
    data: dict[str, Any] = {}
    for f in form.fields:
        if f.readonly:
            continue
        for code, label in f.options:
            click.echo(f"    {code}: {label}")
        suffix = "" if f.required else ", optional: Enter to skip"
        while True:
            raw = click.prompt(f"{f.label} [{f.id}: {f.type}{suffix}]", default="" if not f.required else None,
                               show_default=False)
            if raw == "" and not f.required:
                break
            try:
                data[f.id] = f.coerce(raw, element)
                break
            except TaskDataError as exc:
                click.echo(f"  {exc}", err=True)
    return data


@case.command("complete")
@click.argument("case_id")
@click.argument("task")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Form field (repeatable).")
@click.option("--data", "data_file", type=click.Path(exists=True, dir_okay=False), help="JSON object of fields.")
@click.option("--actor", help="Who does this (recorded in the journal).")
@click.option("--expect-revision", type=int, help="Fail with a conflict (exit 7) if the case moved past this revision.")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def case_complete(settings: _Settings, case_id: str, task: str, sets: tuple[str, ...], data_file: str | None,
                  actor: str | None, expect_revision: int | None, as_json: bool) -> None:
    """Complete TASK (element id or task id) of a case. In a terminal without data, prompts for the form."""
    engine = settings.engine()
    data = _parse_sets(sets, data_file)
    if not data and sys.stdin.isatty():
        match = [t for t in engine.list_tasks(case_id=case_id) if task in (t.task_id, t.element_id)]
        if len(match) == 1 and match[0].form is not None:
            click.echo(f"{match[0].name}: {match[0].documentation}".rstrip(": "))
            data = _prompt_form(match[0].form, match[0].element_id)
    c = engine.complete_task(case_id, task, data, actor=actor or os.environ.get("USER"),
                             expected_revision=expect_revision)
    _out(c.to_dict(), as_json, lambda: _render_case(c))


def _read_rows(path: str) -> list[dict[str, Any]]:
    import csv
    text = Path(path).read_text(encoding="utf-8-sig")
    if path.endswith(".csv"):
        return list(csv.DictReader(text.splitlines()))
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise click.BadParameter(f"line {number} is not JSON: {exc}", param_hint="FILE") from None
            if not isinstance(rows[-1], dict):
                raise click.BadParameter(f"line {number} is not a JSON object", param_hint="FILE")
    return rows


@case.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--process", "process_id", help="Process for rows without a 'process' column.")
@click.option("--batch", default=500, show_default=True, help="Cases per transaction.")
@click.option("--actor")
@pass_settings
def case_import(settings: _Settings, file: str, process_id: str | None, batch: int, actor: str | None) -> None:
    """Start many cases from FILE.csv or FILE.jsonl: a 'participant' column, optional 'process' and
    'case_id', and the start form's fields. Every row is checked before anything is written."""
    rows = _read_rows(file)
    engine = settings.engine()
    with click.progressbar(length=len(rows), label="importing", file=sys.stderr) as bar:
        started = engine.import_cases(rows, process_id=process_id, actor=actor, batch=batch, on_batch=bar.update)
    click.echo(f"{len(started)} case(s) started from {file}")


@case.command("withdraw")
@click.argument("case_id")
@click.option("--reason", required=True, help="End reason code, e.g. PARTICIPANT_CHOICE, HEALTH, MOVED.")
@click.option("--actor")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def case_withdraw(settings: _Settings, case_id: str, reason: str, actor: str | None, as_json: bool) -> None:
    """The participant leaves the programme (from any stage)."""
    c = settings.engine().withdraw_case(case_id, reason, actor=actor)
    _out(c.to_dict(), as_json, lambda: _render_case(c))


@case.command("cancel")
@click.argument("case_id")
@click.option("--reason", required=True, help="End reason code, e.g. REGISTRATION_ERROR.")
@click.option("--actor")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def case_cancel(settings: _Settings, case_id: str, reason: str, actor: str | None, as_json: bool) -> None:
    """Administrative stop of a case (e.g. registered by mistake)."""
    c = settings.engine().cancel_case(case_id, reason, actor=actor)
    _out(c.to_dict(), as_json, lambda: _render_case(c))


@case.command("migrate")
@click.argument("case_id", required=False)
@click.option("--all", "all_cases", is_flag=True, help="Every active case of the version's process.")
@click.option("--to", "to_version", required=True, metavar="VERSION",
              help="Version (or a unique prefix), or 'latest': the deployed one.")
@click.option("--process", "process_id", help="The process, for --all --to latest.")
@click.option("--dry-run", is_flag=True, help="Only report, per case, migrate or refuse and why.")
@click.option("--actor", help="Who does this (recorded in the journal).")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def case_migrate(settings: _Settings, case_id: str | None, all_cases: bool, to_version: str, process_id: str | None,
                 dry_run: bool, actor: str | None, as_json: bool) -> None:
    """Move running cases to another version of their process.

    Refused (per case, with the reason) when a task the case has completed or is working on was changed
    or removed in that version; exits 6 when any case was refused (a dry run exits 0).
    """
    if bool(case_id) == all_cases:
        raise click.UsageError("name one CASE_ID or use --all")
    engine = settings.engine()
    if case_id:
        process_id = engine.show_case(case_id).process_id
    plans = engine.migrate_cases(to_version, case_ids=[case_id] if case_id else None, process_id=process_id,
                                 dry_run=dry_run, actor=actor)

    def render() -> None:
        if not plans:
            click.echo("no active cases to migrate")
        for plan in plans:
            click.echo(f"{plan.case_id}  {plan.action:<8} {_short(plan.from_version)} -> {_short(plan.to_version)}")
            for line in plan.reasons + plan.changes:
                click.echo(f"    {line}")
    _out([p.to_dict() for p in plans], as_json, render)
    if not dry_run and any(not p.allowed for p in plans):
        raise SystemExit(6)


@case.command("history")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def case_history(settings: _Settings, case_id: str, as_json: bool) -> None:
    """The case's journal: every transition, oldest first."""
    entries = settings.engine().case_history(case_id)

    def render() -> None:
        for e in entries:
            extra = f" {e.outcome}/{e.end_reason}" if e.outcome else ""
            fields = " " + json.dumps(e.data, ensure_ascii=False) if e.data else ""
            click.echo(f"{e.seq:>6} {e.at:%Y-%m-%d %H:%M} {e.kind:<18} {e.element_id or '-':<26} "
                       f"{e.actor or ''}{extra}{fields}")
    _out([e.to_dict() for e in entries], as_json, render)


# ----------------------------------------------------------------------------------------------- time

def _parse_within(text: str) -> Any:
    """'14d', '2w', '12h', '30m' or an ISO 8601 duration such as 'P14D'."""
    from datetime import timedelta
    units = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
    text = text.strip()
    if text[:-1].isdigit() and text[-1:].lower() in units:
        return timedelta(**{units[text[-1].lower()]: int(text[:-1])})
    if text.upper().startswith("P"):
        from datetime import datetime, timezone

        from sedflow.clock import add_duration
        start = datetime.now(timezone.utc)
        try:
            return add_duration(start, text.upper()) - start
        except Exception:  # SpiffWorkflow's parser raises plain Exception
            pass
    raise click.BadParameter(f"'{text}' is not a duration like 14d, 2w, 12h or P14D", param_hint="--within")


def _clock(now: str | None) -> Any:
    from sedflow import ManualClock
    if now is None:
        return None
    try:
        return ManualClock(now)
    except ValueError:
        raise click.BadParameter(f"'{now}' is not an ISO 8601 date/time", param_hint="--now") from None


@main.command()
@click.option("--now", help="Act as if it were this ISO 8601 time (default: the system clock).")
@click.option("--limit", type=int, help="At most this many cases in this run.")
@click.option("--quiet", is_flag=True, help="Only the summary line.")
@click.option("--progress", is_flag=True, help="A progress bar on stderr instead of a line per case.")
@pass_settings
def tick(settings: _Settings, now: str | None, limit: int | None, quiet: bool, progress: bool) -> None:
    """Fire every timer that is due, across all cases (run it from cron or a scheduler)."""
    engine = settings.engine(clock=_clock(now))
    if progress:
        due = engine.store.count_due(engine.clock.now())
        with click.progressbar(length=min(due, limit or due), label="tick", file=sys.stderr) as bar:
            result = engine.tick(limit=limit, on_case=lambda case_id, fired: bar.update(1))
    else:
        def report(case_id: str, fired: int) -> None:
            if fired and not quiet:
                click.echo(f"{case_id}: {fired} timer(s) fired")
        result = engine.tick(limit=limit, on_case=report)
    line = f"{result.now:%Y-%m-%d %H:%M} {result.timers_fired} timer(s) fired in {len(result.fired)} case(s)"
    if result.conflicts:
        line += f"; {len(result.conflicts)} case(s) changed by another worker, left to it"
    click.echo(line)
    for error in result.failed.values():  # each error names its case
        click.echo(f"error: {error}", err=True)
    if result.failed:
        raise SystemExit(9)


@main.command()
@click.option("--within", default="0d", show_default=True, help="Also timers firing within this span: 14d, 2w, P1M.")
@click.option("--lane", help="Only this lane (e.g. coach).")
@click.option("--case", "case_id", help="Only this case.")
@click.option("--now", help="Act as if it were this ISO 8601 time.")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def due(settings: _Settings, within: str, lane: str | None, case_id: str | None, now: str | None,
        as_json: bool) -> None:
    """What is due per case: tasks ready now and timers coming up (the coach's work queue)."""
    items = settings.engine(clock=_clock(now)).due(within=_parse_within(within), lane=lane, case_id=case_id)

    def render() -> None:
        if not items:
            click.echo("nothing due")
        for t in items:
            when = f"fires {t.due_at:%Y-%m-%d}" if t.kind == "timer" else f"ready since {t.since:%Y-%m-%d}"
            click.echo(f"{t.case_id}  {t.kind:<5} {t.element_id:<26} {when}  [{t.lane or '-'}]  {t.name}")
    _out([t.to_dict() for t in items], as_json, render)


# -------------------------------------------------------------------------------------------- reports

@main.command()
@click.argument("name")
@click.argument("out_dir", required=False, type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "xlsx"]), default="table",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (xlsx needs one).")
@click.option("--rule", type=click.Choice(["natkraft", "gavle"]), default="natkraft", show_default=True,
              help="The programme's counting rule and target.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="Period start (enrolment date).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Period end.")
@click.option("--process", "process_id")
@click.option("--version", "definition_version")
@click.option("--gender", type=click.Choice(["F", "M", "X"]))
@click.option("--referral-source")
@click.option("--year", "enrolment_year", type=int)
@click.option("--coach")
@click.option("--k", default=5, show_default=True, help="Suppress counts below k (at least 3).")
@click.option("--unsuppressed", is_flag=True, help="No disclosure control (synthetic stores only).")
@pass_settings
def report(settings: _Settings, name: str, out_dir: str | None, fmt: str, output: str | None, rule: str,
           start: Any, end: Any, k: int, unsuppressed: bool, **filters: Any) -> None:
    """Run report NAME ('all' for every one), or 'html OUT_DIR' for the HTML report with charts and heatmap.

    Reports: outcomes_by_gender, outcome_rate, outcomes_by_year, intake_by_year, referral_sources,
    closure_split, closures, funnel, stage_durations, task_durations, caseload, first_employer_contact.
    """
    from sedflow.reports.engine import RULES, ReportFilter, Reports
    from sedflow.reports.output import to_csv, to_json, to_text, to_xlsx
    engine = settings.engine()
    if (start is None) != (end is None):
        raise click.BadParameter("give both --from and --to", param_hint="--from/--to")
    if filters["definition_version"]:
        filters["definition_version"] = engine.resolve_version(filters["definition_version"]).version
    where = ReportFilter(period=(start.date(), end.date()) if start else None, **filters)
    reports = Reports(engine.store, engine.known_definitions(), rule=RULES[rule], k=k, suppress=not unsuppressed)
    if name == "html":
        if not out_dir:
            raise click.BadParameter("report html needs OUT_DIR", param_hint="OUT_DIR")
        from sedflow.reports.bundle import write_html_report
        path = write_html_report(engine, reports, where, Path(out_dir))
        click.echo(f"wrote {path}")
        return
    tables = [reports.run(n, where) for n in (reports.catalogue() if name == "all" else [name])]
    if fmt == "xlsx":
        if not output:
            raise click.BadParameter("--format xlsx needs --output FILE.xlsx", param_hint="--output")
        to_xlsx(tables, Path(output))
        click.echo(f"wrote {output}")
        return
    text = to_json(tables) if fmt == "json" else "\n".join(
        to_csv(t) if fmt == "csv" else to_text(t) + "\n" for t in tables)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


@main.command("export")
@click.argument("fmt", metavar="xes|ocel", type=click.Choice(["xes", "ocel"]))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--process", "process_id")
@click.option("--include-personal", is_flag=True,
              help="Also gender, birth year, participant key (left out by default).")
@pass_settings
def export(settings: _Settings, fmt: str, file: str, process_id: str | None, include_personal: bool) -> None:
    """Export the journal as an event log: IEEE XES, or OCEL 2.0 (JSON), for process mining."""
    from sedflow import open_store
    from sedflow.reports.export import write_ocel, write_xes
    write = write_xes if fmt == "xes" else write_ocel
    with open_store(settings.store_url) as store:
        summary = write(store, file, process_id=process_id, include_personal=include_personal)
    click.echo(f"wrote {file}: " + ", ".join(f"{k} {v}" for k, v in summary.items() if not isinstance(v, dict)))


# ----------------------------------------------------------------------------------------------- demo

@main.command()
@click.option("--participants", default=50, show_default=True, help="How many synthetic participants.")
@click.option("--seed", default=1, show_default=True)
@click.option("--process", "process_id", default="supported_employment", show_default=True,
              help="The programme to run (see 'sedflow processes list').")
@click.option("--scenario", type=click.Choice(["natkraft", "gavle"]),
              help="Reproduce a source report's figures instead of drawing at random.")
@pass_settings
def demo(settings: _Settings, participants: int, seed: int, process_id: str, scenario: str | None) -> None:
    """Run synthetic participants through a programme into the store (created if missing; flagged synthetic)."""
    from sedflow import ManualClock
    from sedflow.demo import run_demo, run_scenario
    engine = settings.engine(create=True, clock=ManualClock("2000-01-03T08:00:00+00:00" if scenario
                                                            else "2025-01-06T08:00:00+00:00"))
    if scenario:
        result = run_scenario(engine, scenario, seed=seed)
        click.echo(f"scenario {scenario}: {len(result.cases)} participants, {result.steps} steps, store "
                   f"{engine.store.url}")
        click.echo(f"report with: sedflow report outcomes_by_gender --rule {result.rule} --from {result.period[0]} "
                   f"--to {result.period[1]}")
    else:
        result = run_demo(engine, process_id=process_id, participants=participants, seed=seed)
        click.echo(f"{process_id}: {participants} participants, {result.steps} steps, store {engine.store.url}")
    click.echo("cases by status:  " + ", ".join(f"{k} {v}" for k, v in sorted(result.by_status.items())))
    click.echo("cases by outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(result.by_outcome.items())))


if __name__ == "__main__":
    main()
