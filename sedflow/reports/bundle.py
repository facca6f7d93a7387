"""The HTML report a manager opens in a browser: every report, its chart, and a heatmap per process.

Charts are also written beside the HTML as PNG and SVG files, for slides and documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from ..definitions import ProcessDefinition
from .catalogue import Reports
from .charts import bar_chart, duration_chart, funnel_chart
from .heatmap import heatmap_svg
from .html import render_html
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
    """Write ``index.html`` and the charts, with one heatmap per process: that of the first definition given
    of it (the loaded one, when ``Engine.known_definitions()`` is passed), showing only its own process's
    counts (element ids are unique only within a process); ``tables`` (every report, already computed)
    are reused if given."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if tables is None:
        tables = [reports.run(name, where) for name in reports.catalogue()]
    tables = [*tables, reports.open_incidents(where)]
    specs = {**CHARTS, **reports.profile.charts}
    charts = {}
    for table in tables:
        chart = specs.get(table.id)
        if chart is None:
            continue
        images = _draw(table, chart)
        for fmt, image in images.items():
            (out_dir / f"{table.id}.{fmt}").write_bytes(image)
        charts[table.id] = images["png"]
    waiting, done = reports.element_counts(where)
    heatmaps = {}
    drawn: dict[str, ProcessDefinition] = {}
    for definition in definitions:  # one heatmap per process: the first definition given of it
        drawn.setdefault(definition.process_id, definition)
    for definition in drawn.values():
        heatmaps[definition.name] = heatmap_svg(definition, waiting=waiting, completed=done,
                                                            title=definition.name)
    html = render_html(tables, title="sedflow – rapport", charts=charts, heatmaps=heatmaps,
                       generated_at=datetime.now(UTC), synthetic=reports.synthetic,
                       suppression_k=reports.k if reports.suppress else None)
    path = out_dir / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
