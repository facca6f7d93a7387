"""``sedflow report`` and ``sedflow export``: the programme reports, and the journal as an event log.

The options that cut a report (``--rule``, ``--gender``, ``--referral-source``) are the programme
profile's: its counting rules and the case-data fields its ``ReportProfile`` offers as filters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sedflow.programmes.se import PROFILE
from sedflow.reports import GENERIC_REPORTS, ReportFilter, Reports, to_csv, to_json, to_text

from ..context import Settings, pass_settings

REPORTS = PROFILE.reports or GENERIC_REPORTS


def _profile_filters(command: Callable[..., None]) -> Callable[..., None]:
    """One option per filter field of the profile (``--gender F``), passed on as ``field_<name>``."""
    for spec in reversed(REPORTS.filters):
        kind: Any = click.Choice(list(spec.choices)) if spec.choices else str
        command = click.option(f"--{spec.name.replace('_', '-')}", f"field_{spec.name}", type=kind,
                               help=spec.help)(command)
    return command


@click.command()
@click.argument("name")
@click.argument("out_dir", required=False, type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "xlsx"]), default="table",
              show_default=True, help="csv: for Swedish Excel (semicolons, decimal comma, a titled block per "
              "table); json: codes beside labels; xlsx: a sheet per report.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (xlsx needs one).")
@click.option("--rule", type=click.Choice(list(REPORTS.rules)), default=REPORTS.default_rule, show_default=True,
              help="The programme's counting rule and target.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="Period start (enrolment date).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Period end.")
@click.option("--process", "process_id", help="Only cases of this process.")
@click.option("--version", "definition_version", help="Only cases on this version of the diagram (a prefix).")
@_profile_filters
@click.option("--year", "enrolment_year", type=int, help="Only cases enrolled in this year.")
@click.option("--coach", help="Only cases where this actor completed a task.")
@click.option("--k", default=5, show_default=True, help="Suppress counts below k (at least 3).")
@click.option("--unsuppressed", is_flag=True, help="No disclosure control (synthetic stores only).")
@pass_settings
def report(settings: Settings, /, name: str, out_dir: str | None, fmt: str, output: str | None, rule: str,
           start: datetime | None, end: datetime | None, k: int, unsuppressed: bool, **filters: Any) -> None:
    """Run report NAME ('all' for every one), or 'html OUT_DIR' for the HTML report with charts and heatmap.

    Reports: outcomes_by_gender, outcome_rate, outcomes_by_year, intake_by_year, referral_sources,
    closure_split, employment_forms, closures, funnel, stage_durations, task_durations, caseload,
    first_employer_contact.
    """
    if (start is None) != (end is None):
        raise click.BadParameter("give both --from and --to", param_hint="--from/--to")
    if name == "html" and not out_dir:
        raise click.BadParameter("report html needs OUT_DIR", param_hint="OUT_DIR")
    if fmt == "xlsx" and not output:
        raise click.BadParameter("--format xlsx needs --output FILE.xlsx", param_hint="--output")
    engine = settings.engine()
    if filters["definition_version"]:
        filters["definition_version"] = engine.resolve_version(filters["definition_version"]).version
    fields = {spec.field: value for spec in REPORTS.filters
              if (value := filters.pop(f"field_{spec.name}")) is not None}
    where = ReportFilter(period=(start.date(), end.date()) if start and end else None, fields=fields, **filters)
    definitions = engine.known_definitions()
    reports = Reports(engine.store, definitions, profile=PROFILE, rule=rule, k=k, suppress=not unsuppressed)
    if name == "html" and out_dir:
        from sedflow.reports import write_html_report
        path = write_html_report(definitions, reports, where, Path(out_dir))
        click.echo(f"wrote {path}")
        return
    tables = [reports.run(n, where) for n in (reports.catalogue() if name == "all" else [name])]
    if fmt == "xlsx" and output:
        from sedflow.reports import to_xlsx
        to_xlsx(tables, Path(output))
        click.echo(f"wrote {output}")
        return
    text = to_json(tables) if fmt == "json" else to_csv(tables) if fmt == "csv" else "\n".join(
        to_text(t) + "\n" for t in tables)
    if output:  # a CSV file starts with a byte-order mark: Excel then reads it as UTF-8 (å, ä, ö)
        Path(output).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


@click.command("export")
@click.argument("fmt", metavar="xes|ocel", type=click.Choice(["xes", "ocel"]))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--process", "process_id", help="Only cases of this process.")
@click.option("--include-personal", is_flag=True,
              help="Also gender, birth year, participant key (left out by default).")
@pass_settings
def export(settings: Settings, fmt: str, file: str, process_id: str | None, include_personal: bool) -> None:
    """Export the journal as an event log: IEEE XES, or OCEL 2.0 (JSON), for process mining."""
    from sedflow.reports import write_ocel, write_xes
    write = write_xes if fmt == "xes" else write_ocel
    summary = write(settings.store(), file, profile=PROFILE, process_id=process_id,
                    include_personal=include_personal)
    click.echo(f"wrote {file}: " + ", ".join(f"{k} {v}" for k, v in summary.items() if not isinstance(v, dict)))
