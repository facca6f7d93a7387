"""A report's result: a labelled table, plus what publishing it needs to know.

Every report is computed into a ``Table``; the outputs (terminal table, CSV, JSON, XLSX, charts, the
HTML report) only render tables. Cells hidden by disclosure control are listed in ``suppressed`` and
render as ``SUPPRESSED_MARK``; a table computed from a synthetic store says so in ``synthetic``.

Which cells add up to which is part of the table (``row_sums``, ``column_sums``): disclosure control
needs it (a total gives a lone hidden part back), and so does a reader's check that the parts make the
total. A table shows every category its totals count, so parts and totals agree unless a cell is hidden.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

SUPPRESSED_MARK = ".."
SYNTHETIC_MARK = "SYNTETISKA DATA – ej för publicering"


@dataclass(frozen=True)
class Code:
    """A controlled code in a cell: a reader sees its Swedish ``label``; CSV and JSON keep ``code`` beside it."""

    code: str
    label: str

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Table:
    id: str                                  # stable report id, e.g. "outcomes_by_gender"
    title: str                               # shown above the table (Swedish where the source is)
    columns: tuple[str, ...]                 # header; columns[0] labels the rows
    rows: tuple[tuple[Any, ...], ...]        # row[0] is the row label, the rest are values
    notes: tuple[str, ...] = ()              # counting rules, periods, filters: printed under the table
    scope: str = ""                          # programmes, versions, period and filters: printed under the title
    synthetic: bool = False
    suppressed: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (row index, column index)
    total_row: bool = False                  # the last row holds the column totals
    #: (part rows, total row): in every count column, the parts add up to the total row.
    row_sums: tuple[tuple[tuple[int, ...], int], ...] = ()
    #: (part columns, total column): in every row, the parts add up to the total column.
    column_sums: tuple[tuple[tuple[int, ...], int], ...] = ()
    count_columns: tuple[int, ...] = ()      # the columns holding counts of people or cases

    @property
    def all_suppressed(self) -> bool:
        """Whether disclosure control hid every row but the totals: each number in it is suppressed."""
        body = range(len(self.rows) - 1 if self.total_row else len(self.rows))
        hidden_rows = {r for r, _ in self.suppressed}
        return len(body) > 0 and all(
            r in hidden_rows and all((r, c) in self.suppressed or not is_number(v)
                                     for c, v in enumerate(self.rows[r]) if c)
            for r in body)

    def value(self, row_label: Any, column: str) -> Any:
        """The value in the row labelled ``row_label`` (a coded label by its code or its label) and the named
        column (None when suppressed)."""
        col = self.columns.index(column)
        for r, row in enumerate(self.rows):
            if row[0] == row_label or (isinstance(row[0], Code) and row_label in (row[0].code, row[0].label)):
                return None if (r, col) in self.suppressed else row[col]
        raise KeyError(row_label)

    def display_rows(self) -> list[list[Any]]:
        """Rows as they may be shown: suppressed cells replaced by the mark."""
        return [[SUPPRESSED_MARK if (r, c) in self.suppressed else v for c, v in enumerate(row)]
                for r, row in enumerate(self.rows)]

    def to_dict(self) -> dict[str, Any]:
        rows = [[{"code": v.code, "label": v.label} if isinstance(v, Code) else v for v in row]
                for row in self.display_rows()]
        return {"id": self.id, "title": self.title, "scope": self.scope, "columns": list(self.columns), "rows": rows,
                "notes": list(self.notes), "synthetic": self.synthetic,
                "suppressed_cells": sorted(list(cell) for cell in self.suppressed),
                "count_columns": list(self.count_columns),
                "row_sums": [[list(parts), total] for parts, total in self.row_sums],
                "column_sums": [[list(parts), total] for parts, total in self.column_sums]}


def is_number(v: Any) -> bool:
    return isinstance(v, int | float | Decimal) and not isinstance(v, bool)


def percent(numerator: int, denominator: int, decimals: int) -> float | None:
    """``numerator`` as a percentage of ``denominator``, rounded half up as programmes print it (None for 0/0)."""
    if not denominator:
        return None
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def format_cell(v: Any) -> str:
    """Cells as a Swedish reader expects them: decimal comma, Ja/Nej, ISO dates, – for no value."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "Ja" if v else "Nej"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return "–"
        if v.is_integer():
            return str(int(v))
        return f"{v:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(v, Decimal):
        return str(v).replace(".", ",")
    if isinstance(v, _dt.datetime):
        return format_datetime(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v)


def format_datetime(t: _dt.datetime) -> str:
    text = t.strftime("%Y-%m-%d %H:%M")
    if t.tzinfo is not None:
        offset = t.strftime("%z")
        text += " UTC" if offset in ("+0000", "-0000") else f" ({offset[:3]}:{offset[3:]})"
    return text
