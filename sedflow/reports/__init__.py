"""Reports computed from the journal and case data (SQL aggregation in the store), and event-log exports.

``Reports`` (catalogue.py) runs the generic reports and the profile's (profile.py) over the SQL pieces
of sql.py; tables (table.py) are suppressed (privacy.py) and rendered (output.py, charts.py, html.py,
bundle.py, heatmap.py); xes.py and ocel.py export the journal for process mining. Nothing here knows a
programme: what one adds comes in a ``ReportProfile``.

The names below are loaded on first use (PEP 562), so that a programme profile, which every engine
of the CLI imports, does not pull in the charts, the HTML report and the exports for a ``case complete``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .bundle import write_html_report
    from .catalogue import Reports
    from .ocel import write_ocel
    from .output import to_csv, to_json, to_text, to_xlsx
    from .profile import (
        GENERIC_REPORTS,
        Caseload,
        Chart,
        CountingRule,
        ExportFields,
        FilterField,
        Placement,
        ReportFunction,
        ReportProfile,
    )
    from .sql import ReportFilter
    from .table import SUPPRESSED_MARK, SYNTHETIC_MARK, Table
    from .xes import write_xes

_WHERE = {
    "write_html_report": "bundle", "Reports": "catalogue", "write_ocel": "ocel", "to_csv": "output",
    "to_json": "output", "to_text": "output", "to_xlsx": "output", "GENERIC_REPORTS": "profile",
    "Caseload": "profile", "Chart": "profile", "CountingRule": "profile", "ExportFields": "profile",
    "FilterField": "profile", "Placement": "profile", "ReportFunction": "profile", "ReportProfile": "profile",
    "ReportFilter": "sql", "SUPPRESSED_MARK": "table", "SYNTHETIC_MARK": "table", "Table": "table",
    "write_xes": "xes",
}


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = ["GENERIC_REPORTS", "SUPPRESSED_MARK", "SYNTHETIC_MARK", "Caseload", "Chart", "CountingRule", "ExportFields",
           "FilterField", "Placement", "ReportFilter", "ReportFunction", "ReportProfile", "Reports", "Table",
           "to_csv", "to_json", "to_text", "to_xlsx", "write_html_report", "write_ocel", "write_xes"]
