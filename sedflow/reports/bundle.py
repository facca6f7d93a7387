"""The HTML report a manager opens in a browser: every report, its chart, and a heatmap per process.

Charts are also written beside the HTML as PNG and SVG files, for slides and documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from ..definitions import ProcessDefinition
from .catalogue import Reports
from .charts import bar_chart, duration_chart, funnel_chart
from .heatmap import heatmap_svg
from .html import Programme, render_html
from .output import needs_extra
from .profile import Chart
from .sql import ReportFilter
from .table import Table

#: Charts of the generic reports; a programme's come from its profile.
CHARTS = {"funnel": Chart("funnel"), "stage_durations": Chart("duration")}
_BOTH = ("png", "svg")  # one figure, both formats


def _draw(table: Table, chart: Chart) -> dict[str, bytes]:
    if chart.kind == "bar":
        images = bar_chart(table, value_columns=chart.value_columns, fmt=_BOTH)
    else:
        images = (funnel_chart if chart.kind == "funnel" else duration_chart)(table, fmt=_BOTH)
    return cast(dict[str, bytes], images)  # several formats give {format: bytes}


def write_html_report(definitions: Iterable[ProcessDefinition], reports: Reports, where: ReportFilter, out_dir: Path,
                      tables: Sequence[Table] | None = None) -> Path:
    """Write ``index.html`` and the charts: a section per programme with cases in the selection (most cases
    first), each with every report cut to that programme, its charts and the heatmaps of its process and
    the processes it calls; then the diagrams of the processes with no case. A heatmap is drawn from the
    first definition given of its process (the loaded one, when ``Engine.known_definitions()`` is passed)
    and shows only its own process's counts. ``tables``, every report already computed over ``where``,
    are reused when the selection holds one programme. Charts go to ``<process id>/<report id>.png|svg``."""
    needs_extra("matplotlib", "the HTML report (its charts)")
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn: dict[str, ProcessDefinition] = {}
    for definition in definitions:  # one heatmap per process: the first definition given of it
        drawn.setdefault(definition.process_id, definition)
    names = {pid: d.name or pid for pid, d in drawn.items()}
    specs = {**CHARTS, **reports.profile.charts}
    programmes, shown = [], set()
    in_selection = reports.programmes(where)
    for pid in in_selection:
        cut = replace(where, process_id=pid)
        own = list(tables) if tables is not None and len(in_selection) == 1 else [
            reports.run(name, cut) for name in reports.catalogue()]
        charts = {}
        for table in own:
            chart = specs.get(table.id)
            if chart is None:
                continue
            images = _draw(table, chart)
            (out_dir / pid).mkdir(exist_ok=True)
            for fmt, image in images.items():
                (out_dir / pid / f"{table.id}.{fmt}").write_bytes(image)
            charts[table.id] = images["png"]
        waiting, done = reports.element_counts(cut)
        touched = [pid] + sorted({ref.process_id for counts in (waiting, done) for ref in counts} - {pid})
        heatmaps = {names[p]: heatmap_svg(drawn[p], waiting=waiting, completed=done, title=names[p])
                    for p in touched if p in drawn}
        shown |= set(touched)
        programmes.append(Programme(names.get(pid, pid), reports.scope(cut), own, charts, heatmaps))
    idle = {f"{names[pid]} (inga ärenden)": heatmap_svg(d, title=names[pid])
            for pid, d in drawn.items() if pid not in shown}
    html = render_html([reports.open_incidents(where)], title="sedflow – rapport", heatmaps=idle,
                       generated_at=datetime.now(UTC), synthetic=reports.synthetic,
                       suppression_k=reports.k if reports.suppress else None, scope=reports.scope(where),
                       programmes=programmes)
    path = out_dir / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
