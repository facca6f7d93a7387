"""Tables as text, CSV, JSON and XLSX: one renderer per format, all from ``Table.display_rows``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from .table import SYNTHETIC_MARK, Code, Table, format_cell


def to_text(table: Table) -> str:
    """An aligned table for a terminal, with its notes (sv-SE decimal commas).

    A table whose every row is suppressed says so in one line (then shows its totals, if it has any)
    rather than print a column of marks.
    """
    shown = table.display_rows()
    lines = [table.title, *([table.scope] if table.scope else []), ""]
    if table.synthetic:
        lines.insert(0, f"*** {SYNTHETIC_MARK} ***")
    if table.all_suppressed:
        lines.append(f"Alla {len(shown) - table.total_row} rader döljs: varje rad har för få personer "
                     "för att visas (se noten).")
        shown = shown[-1:] if table.total_row else []
    if shown or not table.all_suppressed:
        rows = [list(table.columns)] + [[format_cell(v) for v in row] for row in shown]
        widths = [max(len(str(r[c])) for r in rows) for c in range(len(table.columns))]
        for i, row in enumerate(rows):
            cells = zip(row, widths, strict=True)
            lines.append("  ".join(str(v).ljust(w) if c == 0 else str(v).rjust(w) for c, (v, w) in enumerate(cells)))
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
    lines += [""] + [f"  {note}" for note in table.notes]
    return "\n".join(lines)


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if table.synthetic:
        writer.writerow([SYNTHETIC_MARK])
    writer.writerow(table.columns)
    writer.writerows(table.display_rows())
    return out.getvalue()


def to_json(tables: Sequence[Table]) -> str:
    return json.dumps([t.to_dict() for t in tables], ensure_ascii=False, indent=2, default=str)


def to_xlsx(tables: Sequence[Table], path: Path) -> None:
    """One worksheet per table (needs openpyxl: pip install 'sedflow[reports]')."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.id[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        if table.synthetic:
            sheet.append([SYNTHETIC_MARK])
        sheet.append(list(table.columns))
        for row in table.display_rows():
            sheet.append([str(v) if isinstance(v, Code) else v for v in row])
        for note in table.notes:
            sheet.append([note])
    book.save(path)
