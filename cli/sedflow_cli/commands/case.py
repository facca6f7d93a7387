"""``sedflow case ...``: start, inspect and advance cases, one library call per command.

``case start`` is ``Engine.start_case``, ``case complete`` is ``Engine.complete_task`` and so on; the
commands read the command line (``..params``), call the engine and print (``..render``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import click
from sedflow import Case, CaseStateError, CaseStatus, Engine, printable

from .. import render
from ..context import Settings, pass_settings
from ..ids import CASE_ID, TASK
from ..params import actor_option, data_option, form_data, json_option, read_rows, set_option, var_option, variables
from ..prompts import ask_form

#: ``--allow-concurrent``: start a case even if the participant has a running one of the process.
allow_concurrent_option = click.option("--allow-concurrent", is_flag=True,
                                       help="Start even if the participant already has a running case of the "
                                            "process (it would be counted twice).")

P = ParamSpec("P")
R = TypeVar("R")


@click.group()
def case() -> None:
    """Start, inspect and advance cases."""


def _reads_a_case(command: Callable[Concatenate[Settings, P], R]) -> Callable[P, R]:
    """What a command that reads one case takes: CASE_ID, ``--json``, and the settings."""
    return click.argument("case_id", type=CASE_ID)(json_option(pass_settings(command)))


@case.command("start")
@click.argument("process_id")
@click.option("--participant", required=True, help="Pseudonymous participant key (never a personnummer).")
@set_option
@data_option
@var_option
@actor_option
@allow_concurrent_option
@json_option
@pass_settings
def case_start(settings: Settings, process_id: str, participant: str, sets: tuple[str, ...], data_file: str | None,
               var_pairs: tuple[str, ...], actor: str | None, allow_concurrent: bool, as_json: bool) -> None:
    """Start a case of PROCESS_ID for a participant (refused if they already have a running case of it). In
    a terminal without data, asks for the start form."""
    engine = settings.engine()
    data = form_data(sets, data_file)
    extra = variables(var_pairs)
    if not data and not extra and sys.stdin.isatty():
        definition = engine.current_definition(process_id)
        start = definition.start_event
        if definition.start_form is not None and start is not None:
            data = ask_form(definition.start_form, start.id, engine.profile.rules,
                            title=f"{definition.name}: {start.label}")
    c = engine.start_case(process_id, participant, data, variables=extra, actor=actor,
                          allow_concurrent=allow_concurrent)
    render.emit(c.to_dict(), as_json, lambda: render.case(c))


@case.command("list")
@click.option("--status", type=click.Choice([s.value for s in CaseStatus]), help="Only cases with this status.")
@click.option("--stage", help="Only cases in this stage now (e.g. job_search).")
@click.option("--task", help="Cases with this task (element id) ready.")
@click.option("--lane", help="Cases with a task ready in this lane.")
@click.option("--process", "process_id", help="Only cases of this process.")
@click.option("--participant", help="Only this participant's cases.")
@click.option("--incidents", "incident", is_flag=True,
              help="Only cases in incident: active, and nothing can advance them (each needs mending).")
@click.option("--limit", type=int, help="At most this many cases, the oldest first.")
@json_option
@pass_settings
def case_list(settings: Settings, /, as_json: bool, **filters: Any) -> None:
    """List cases (with --incidents: those a step left stuck, with where and why)."""
    cases = settings.engine().list_cases(**filters)
    render.emit([c.to_dict() for c in cases], as_json, lambda: render.case_list(cases))


@case.command("show")
@_reads_a_case
def case_show(settings: Settings, case_id: str, as_json: bool) -> None:
    """Show a case: status, stages, data, outcome, ready tasks, and its incident if it is stuck."""
    c = settings.engine().show_case(case_id)
    render.emit(c.to_dict(), as_json, lambda: render.case(c, with_data=True))


@case.command("tasks")
@_reads_a_case
def case_tasks(settings: Settings, case_id: str, as_json: bool) -> None:
    """The tasks ready in a case, with their form fields."""
    tasks = settings.engine().list_tasks(case_id=case_id)
    render.emit([t.to_dict() for t in tasks], as_json, lambda: render.tasks(tasks))


@case.command("complete")
@click.argument("case_id", type=CASE_ID)
@click.argument("task", type=TASK)
@set_option
@data_option
@var_option
@actor_option
@click.option("--expect-revision", type=int, help="Fail with a conflict (exit 7) if the case moved past this revision.")
@json_option
@pass_settings
def case_complete(settings: Settings, case_id: str, task: str, sets: tuple[str, ...], data_file: str | None,
                  var_pairs: tuple[str, ...], actor: str | None, expect_revision: int | None, as_json: bool) -> None:
    """Complete TASK (element id or task id) of a case. In a terminal without data, prompts for the form."""
    engine = settings.engine()
    data = form_data(sets, data_file)
    extra = variables(var_pairs)
    if not data and not extra and sys.stdin.isatty():
        match = [t for t in engine.list_tasks(case_id=case_id) if task in (t.task_id, t.element_id)]
        if len(match) == 1 and match[0].form is not None:
            data = ask_form(match[0].form, match[0].element_id, engine.profile.rules,
                            title=f"{match[0].name}: {match[0].documentation}".rstrip(": "))
    c = engine.complete_task(case_id, task, data, variables=extra, actor=actor or os.environ.get("USER"),
                             expected_revision=expect_revision)
    render.emit(c.to_dict(), as_json, lambda: render.case(c))


@case.command("variables")
@click.option("--task", help="The data this ready task (element id or task id) sees.")
@_reads_a_case
def case_variables(settings: Settings, case_id: str, task: str | None, as_json: bool) -> None:
    """The process variables of a case (or what one of its ready tasks sees)."""
    values = settings.engine().variables(case_id, task)
    render.emit(values, as_json, lambda: render.mapping(values))


@case.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--process", "process_id", help="Process for rows without a 'process' column.")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(min=1), help="Cases per transaction.")
@click.option("--encoding", default="utf-8", show_default=True,
              help="The file's text encoding (a byte-order mark is read either way), e.g. cp1252 or latin-1.")
@actor_option
@allow_concurrent_option
@json_option
@pass_settings
def case_import(settings: Settings, file: str, process_id: str | None, batch: int, encoding: str, actor: str | None,
                allow_concurrent: bool, as_json: bool) -> None:
    """Start many cases from FILE.csv or FILE.jsonl: a 'participant' column, optional 'process', 'case_id' and
    'referral_date', and the start form's fields. Every row is checked before anything is written. Run it
    again after a crash: rows whose case is already in the store are skipped (by case id, else by
    participant, process and referral date), so exactly the missing rows start."""
    rows = read_rows(file, encoding)
    engine = settings.engine()
    with click.progressbar(length=len(rows), label="importing", file=sys.stderr) as bar:
        result = engine.import_cases(rows, process_id=process_id, actor=actor, batch=batch,
                                     allow_concurrent=allow_concurrent, on_batch=bar.update)
    render.emit(result.to_dict(), as_json,
                lambda: click.echo(f"{len(result.started)} case(s) started, {len(result.skipped)} skipped (already "
                                   f"in the store) from {printable(file)}"))


class _Ending(Protocol):
    """How a case ends early or is held: ``Engine.withdraw_case``, ``Engine.cancel_case``,
    ``Engine.suspend_case``, ``Engine.resume_case``."""

    def __call__(self, engine: Engine, case_id: str, reason: str, /, *, actor: str | None = None) -> Case: ...


def _ending_command(name: str, end: _Ending, help_text: str, reason_help: str) -> click.Command:
    """One command that ends a case with a reason, registered once per way of ending."""

    @case.command(name, help=help_text)
    @click.argument("case_id", type=CASE_ID)
    @click.option("--reason", required=True, help=reason_help)
    @actor_option
    @json_option
    @pass_settings
    def end_case(settings: Settings, case_id: str, reason: str, actor: str | None, as_json: bool) -> None:
        c = end(settings.engine(), case_id, reason, actor=actor)
        render.emit(c.to_dict(), as_json, lambda: render.case(c))
    return end_case


case_withdraw = _ending_command("withdraw", Engine.withdraw_case,
                                "The participant leaves the programme (from any stage).",
                                "End reason code, e.g. PARTICIPANT_CHOICE, HEALTH, MOVED.")
case_cancel = _ending_command("cancel", Engine.cancel_case,
                              "Administrative stop of a case (e.g. registered by mistake).",
                              "End reason code, e.g. REGISTRATION_ERROR.")
case_suspend = _ending_command("suspend", Engine.suspend_case,
                               "Hold a case: its timers do not fire and its tasks cannot be completed until "
                               "'case resume'. Its tasks leave the work queue and the due list meanwhile.",
                               "Why it is held, e.g. SICK_LEAVE.")
case_resume = _ending_command("resume", Engine.resume_case,
                              "Let a suspended case go on; a timer missed meanwhile fires once at the next tick.",
                              "Why it goes on, e.g. BACK.")


@case.command("set")
@click.argument("case_id", type=CASE_ID)
@set_option
@data_option
@click.option("--reason", required=True, help="Why the recorded value is corrected (journaled).")
@actor_option
@click.option("--expect-revision", type=int, help="Fail with a conflict (exit 7) if the case moved past this revision.")
@json_option
@pass_settings
def case_set(settings: Settings, case_id: str, sets: tuple[str, ...], data_file: str | None, reason: str,
             actor: str | None, expect_revision: int | None, as_json: bool) -> None:
    """Correct recorded fields of a case outside a task (--set FIELD=VALUE): each must be a form field of
    its process; the journal keeps the old and the new value."""
    c = settings.engine().update_case_data(case_id, form_data(sets, data_file), reason,
                                           actor=actor or os.environ.get("USER"), expected_revision=expect_revision)
    render.emit(c.to_dict(), as_json, lambda: render.case(c))


@case.command("migrate")
@click.argument("case_id", type=CASE_ID, required=False)
@click.option("--all", "all_cases", is_flag=True, help="Every active case of the version's process.")
@click.option("--to", "to_version", required=True, metavar="VERSION",
              help="Version (or a unique prefix), or 'latest': the deployed one.")
@click.option("--process", "process_id", help="The process, for --all --to latest.")
@click.option("--dry-run", is_flag=True, help="Only report, per case, migrate or refuse and why.")
@actor_option
@json_option
@pass_settings
def case_migrate(settings: Settings, case_id: str | None, all_cases: bool, to_version: str, process_id: str | None,
                 dry_run: bool, actor: str | None, as_json: bool) -> None:
    """Move running cases to another version of their process.

    Refused (per case, with the reason) when a task the case has completed or is working on was changed
    or removed in that version; exits 6 when any case was refused (a dry run exits 0).
    """
    if bool(case_id) == all_cases:
        raise click.UsageError("name one CASE_ID or use --all")
    engine = settings.engine()
    if case_id:
        process_id = engine.store.get_case(case_id, with_state=False).process_id
    plans = engine.migrate_cases(to_version, case_ids=[case_id] if case_id else None, process_id=process_id,
                                 dry_run=dry_run, actor=actor)
    render.emit([p.to_dict() for p in plans], as_json, lambda: render.migration_plans(plans))
    refused = [p.case_id for p in plans if not p.allowed]
    if refused and not dry_run:
        raise CaseStateError(f"{len(refused)} of {len(plans)} case(s) not migrated ({', '.join(refused)}): "
                             "the reasons are listed with each case")


@case.command("history")
@_reads_a_case
def case_history(settings: Settings, case_id: str, as_json: bool) -> None:
    """The case's journal: every transition, oldest first."""
    entries = settings.engine().case_history(case_id)
    render.emit([e.to_dict() for e in entries], as_json, lambda: render.history(entries))
