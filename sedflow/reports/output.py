"""Tables as text, CSV, JSON and XLSX: one renderer per format, all from ``Table.display_rows``.

Text and CSV show values as the table does in Swedish (decimal comma, Ja/Nej); JSON keeps numbers and
codes for programs; XLSX keeps numbers as numbers for a reader who goes on computing.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import ReportError
from .table import SYNTHETIC_MARK, Code, Table, format_cell, is_number


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


#: CSV for Swedish Excel: semicolon-separated, since the comma is the decimal sign there.
CSV_DELIMITER = ";"


def to_csv(tables: Sequence[Table]) -> str:
    """Every table as one CSV block: its title, its scope, the synthetic mark, the header, the rows and the
    notes, then an empty line before the next table.

    Written for Swedish Excel and read the way the table shows it: semicolons between fields, numbers
    with a decimal comma (``35,4``), ``Ja``/``Nej``, ``..`` for a suppressed cell. A column of coded
    values (end reasons, stages, ...) holds the Swedish label and is followed by a ``(kod)`` column with
    the code, for whoever joins the file with other data.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        rows = table.display_rows()
        coded = [c for c in range(len(table.columns)) if any(isinstance(row[c], Code) for row in rows)]
        writer.writerow([table.title])
        if table.scope:
            writer.writerow([table.scope])
        if table.synthetic:
            writer.writerow([SYNTHETIC_MARK])
        writer.writerow([part for c, column in enumerate(table.columns)
                         for part in ((column, f"{column} (kod)") if c in coded else (column,))])
        for row in rows:
            writer.writerow([part for c, v in enumerate(row) for part in (
                (format_cell(v), v.code if isinstance(v, Code) else "") if c in coded else (format_cell(v),))])
        for note in table.notes:
            writer.writerow([note])
    return out.getvalue()


def to_json(tables: Sequence[Table]) -> str:
    return json.dumps([t.to_dict() for t in tables], ensure_ascii=False, indent=2, default=str)


#: Characters Excel refuses in a sheet name, and its length limit.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31


def sheet_names(tables: Sequence[Table]) -> list[str]:
    """A sheet name per table: its Swedish title without the characters Excel forbids, cut to 31 characters
    at a word where it can be, and made unique with a number (`` (2)``)."""
    names: list[str] = []
    for table in tables:
        name = re.sub(r"\s+", " ", _SHEET_FORBIDDEN.sub(" ", table.title)).strip().strip("'") or table.id[:_SHEET_MAX]
        if len(name) > _SHEET_MAX:
            cut = name[:_SHEET_MAX]
            name = (cut.rsplit(" ", 1)[0] if " " in cut[10:] else cut).rstrip(" ,:–-")
        base, n = name, 1
        while name.lower() in (taken.lower() for taken in names):
            n += 1
            suffix = f" ({n})"
            name = base[:_SHEET_MAX - len(suffix)].rstrip() + suffix
        names.append(name)
    return names


def needs_extra(module: str, what: str) -> None:
    """Refuse, before anything is written, what needs the ``[reports]`` extra when it is not installed: a
    ReportError saying what to install, not an ImportError."""
    if importlib.util.find_spec(module) is None:
        raise ReportError(f"{what} needs {module}, which is not installed: pip install 'sedflow[reports]'")


def to_xlsx(tables: Sequence[Table], path: Path) -> None:
    """One worksheet per table, named by its Swedish title: title, scope and synthetic mark above a bold,
    shaded, frozen header row; numbers as numbers, Ja/Nej, ``..`` for a suppressed cell; columns as wide
    as their text; the notes under the table (needs openpyxl: pip install 'sedflow[reports]')."""
    needs_extra("openpyxl", "an xlsx export")
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for table, name in zip(tables, sheet_names(tables), strict=True):
        sheet = book.create_sheet(name)
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=13)
        above = [table.scope] if table.scope else []
        above += [SYNTHETIC_MARK] if table.synthetic else []
        for line in above:
            sheet.append([line])
        if table.synthetic:
            sheet.cell(sheet.max_row, 1).font = Font(bold=True, color="B71C1C")
        sheet.append(list(table.columns))
        header = sheet.max_row
        for cell in sheet[header]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="EEF1F5")
            cell.border = Border(bottom=Side(style="medium", color="B9BFC7"))
            cell.alignment = Alignment(horizontal="left" if cell.column == 1 else "right", wrap_text=True)
        for row in table.display_rows():
            sheet.append([_xlsx_value(v) for v in row])
        for note in table.notes:
            sheet.append([note])
        sheet.freeze_panes = sheet.cell(header + 1, 1)
        for c in range(1, len(table.columns) + 1):
            cells = [sheet.cell(r, c).value for r in range(header, header + len(table.rows) + 1)]
            sheet.column_dimensions[get_column_letter(c)].width = min(60, max(8, *(len(str(v)) + 2 for v in cells)))
    book.save(path)


def _xlsx_value(v: object) -> object:
    """A cell for Excel: numbers stay numbers; Ja/Nej, labels and the suppression mark are text."""
    if isinstance(v, bool):
        return format_cell(v)
    if is_number(v) or v is None or isinstance(v, str):
        return v
    return format_cell(v)
