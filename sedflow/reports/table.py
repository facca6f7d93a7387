"""A report's result: a labelled table, plus what publishing it needs to know.

Every report is computed into a ``Table``; the outputs (terminal table, CSV, JSON, XLSX, charts, the
HTML report) only render tables. Cells hidden by disclosure control are listed in ``suppressed`` and
render as ``SUPPRESSED_MARK``; a table computed from a synthetic store says so in ``synthetic``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUPPRESSED_MARK = ".."
SYNTHETIC_MARK = "SYNTETISKA DATA – ej för publicering"


@dataclass(frozen=True)
class Table:
    id: str                                  # stable report id, e.g. "outcomes_by_gender"
    title: str                               # shown above the table (Swedish where the source is)
    columns: tuple[str, ...]                 # header; columns[0] labels the rows
    rows: tuple[tuple[Any, ...], ...]        # row[0] is the row label, the rest are values
    notes: tuple[str, ...] = ()              # counting rules, periods, filters: printed under the table
    synthetic: bool = False
    suppressed: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (row index, column index)

    def value(self, row_label: Any, column: str) -> Any:
        """The value in the row labelled ``row_label`` and the named column (None when suppressed)."""
        col = self.columns.index(column)
        for r, row in enumerate(self.rows):
            if row[0] == row_label:
                return None if (r, col) in self.suppressed else row[col]
        raise KeyError(row_label)

    def display_rows(self) -> list[list[Any]]:
        """Rows as they may be shown: suppressed cells replaced by the mark."""
        return [[SUPPRESSED_MARK if (r, c) in self.suppressed else v for c, v in enumerate(row)]
                for r, row in enumerate(self.rows)]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "columns": list(self.columns), "rows": self.display_rows(),
                "notes": list(self.notes), "synthetic": self.synthetic,
                "suppressed_cells": sorted(list(cell) for cell in self.suppressed)}
