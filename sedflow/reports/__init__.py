"""Reports computed from the journal and case data (SQL aggregation in the store), and event-log exports.

``Reports`` (catalogue.py) runs the generic reports and the profile's (profile.py) over the SQL pieces
of sql.py; tables (table.py) are suppressed (privacy.py) and rendered (output.py, charts.py, html.py,
bundle.py, heatmap.py); xes.py and ocel.py export the journal for process mining. Nothing here knows a
programme: what one adds comes in a ``ReportProfile``.
"""

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

__all__ = ["GENERIC_REPORTS", "SUPPRESSED_MARK", "SYNTHETIC_MARK", "Caseload", "Chart", "CountingRule", "ExportFields",
           "FilterField", "Placement", "ReportFilter", "ReportFunction", "ReportProfile", "Reports", "Table",
           "to_csv", "to_json", "to_text", "to_xlsx", "write_html_report", "write_ocel", "write_xes"]
