"""Statistical disclosure control for published tables (SPEC §6.4).

Primary suppression hides every count 0 < n < k. Secondary suppression then hides, in any row or column
that carries a total, the smallest other cell next to a lone hidden one, so that the total cannot give
the hidden cell back (Gävle: women 17 = 10 + 2 + 5). A percentage whose numerator or denominator
is hidden is hidden too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from .table import Table


def suppress(table: Table, k: int, *, count_columns: Iterable[int] | None = None, total_row: bool = False,
             total_column: bool = False, derived: Mapping[int, Iterable[int]] | None = None) -> Table:
    """Hide small counts in ``count_columns`` (and what would reveal them); return the table with ``suppressed``.

    The lines that add up are the table's ``row_sums`` and ``column_sums``, and those ``with_sums``
    adds for ``total_row``/``total_column``. ``derived``: column -> the count columns it is computed from
    (a percentage is hidden where one of those is); without it, every other column of a row with a
    hidden count is hidden.
    """
    table = with_sums(table, count_columns=count_columns, total_row=total_row, total_column=total_column)
    columns = list(table.count_columns)
    hidden = {(r, c) for r, row in enumerate(table.rows) for c in columns
              if isinstance(row[c], int) and not isinstance(row[c], bool) and 0 < row[c] < k}
    lines = [[(r, c) for c in parts] for parts, _ in table.column_sums for r in range(len(table.rows))]
    lines += [[(r, c) for r in parts] for parts, _ in table.row_sums for c in columns]
    changed = True
    while changed:  # hiding one cell can expose another line: repeat until stable
        changed = False
        for line in lines:
            line_hidden = [cell for cell in line if cell in hidden]
            if len(line_hidden) == 1:
                candidates = [cell for cell in line if cell not in hidden and _count(table, cell) > 0]
                if candidates:
                    hidden.add(min(candidates, key=lambda cell: _count(table, cell)))
                    changed = True
    others = [c for c in range(1, len(table.columns)) if c not in columns]
    sources = {c: set((derived or {}).get(c, columns)) for c in others}
    hidden |= {(r, c) for r, source in list(hidden) for c in others if source in sources[c]}
    return replace(table, suppressed=frozenset(hidden))


def with_sums(table: Table, *, count_columns: Iterable[int] | None = None, total_row: bool = False,
              total_column: bool = False) -> Table:
    """The table with its count columns and the lines that add up recorded: ``total_row``, the last row
    totals the rows above it; ``total_column``, the last count column totals the other count columns."""
    columns = tuple(count_columns if count_columns is not None else
                    table.count_columns or range(1, len(table.columns)))
    row_sums, column_sums = table.row_sums, table.column_sums
    if total_row or table.total_row:
        row_sums = (*row_sums, (tuple(range(len(table.rows) - 1)), len(table.rows) - 1))
    if total_column:
        column_sums = (*column_sums, (columns[:-1], columns[-1]))
    return replace(table, count_columns=columns, total_row=total_row or table.total_row,
                   row_sums=tuple(dict.fromkeys(row_sums)), column_sums=tuple(dict.fromkeys(column_sums)))


def _count(table: Table, cell: tuple[int, int]) -> int:
    value = table.rows[cell[0]][cell[1]]
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
