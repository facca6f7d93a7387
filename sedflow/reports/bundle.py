"""The HTML report a manager opens in a browser: every report, its chart, and a heatmap per process.

Charts are also written beside the HTML as PNG and SVG files, for slides and documents.
"""

from __future__ import annotations

from datetime import datetime, timezone
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .charts import bar_chart, duration_chart, funnel_chart
from .engine import ReportFilter, Reports
from .heatmap import heatmap_svg
from .html import render_html
from .table import Table

_CHARTS = {"outcomes_by_gender": bar_chart, "closure_split": bar_chart, "outcomes_by_year": bar_chart,
           "funnel": funnel_chart, "stage_durations": duration_chart}


def write_html_report(engine: Any, reports: Reports, where: ReportFilter, out_dir: Path,
                      tables: Sequence[Table] | None = None) -> Path:
    """Write ``index.html`` and the charts; ``tables`` (every report, already computed) are reused if given."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if tables is None:
        tables = [reports.run(name, where) for name in reports.catalogue()]
    charts = {}
    for table in tables:
        draw = _CHARTS.get(table.id)
        if draw is None:
            continue
        kwargs = {"value_columns": [c for c in table.columns[1:] if not c.startswith("Andel")]} \
            if draw is bar_chart and table.id == "closure_split" else {}
        images = draw(table, fmt=("png", "svg"), **kwargs)  # one figure, both formats
        for fmt, image in images.items():
            (out_dir / f"{table.id}.{fmt}").write_bytes(image)
        charts[table.id] = images["png"]
    waiting, done = reports.element_counts(where)
    heatmaps = {}
    for definition in engine.definitions:
        heatmaps[f"{definition.name} ({definition.process_id})"] = heatmap_svg(
            definition, waiting=waiting, completed=done, title=definition.name)
    html = render_html(tables, title="sedflow – rapport", charts=charts, heatmaps=heatmaps,
                       generated_at=datetime.now(timezone.utc), synthetic=reports.synthetic,
                       suppression_k=reports.k if reports.suppress else None)
    path = out_dir / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
