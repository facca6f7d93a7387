"""Charts of report tables, as PNG or SVG bytes (matplotlib, Agg, no display needed).

matplotlib is imported lazily, inside the functions, so ``import sedflow`` stays fast and the library
works without it until a chart is asked for. The figures are built with the object-oriented API
(``matplotlib.figure.Figure``), never through ``pyplot``: no global figure registry to leak memory in a
long-running process, and safe to call from several threads. The Agg backend is selected if pyplot has
not been imported yet (an application that already uses pyplot keeps its own backend).

What the charts promise:

* suppressed cells are never drawn: no bar, the mark ``..`` where the bar would be (in SVG, each bar
  is a group with id ``bar-<row>-<column>``, each mark ``suppressed-<row>-<column>``, table indexes);
* a table computed from synthetic data carries ``SYNTHETIC_MARK`` as a visible watermark;
* the same table gives the same bytes: no dates or software versions in the metadata, a fixed SVG
  hash salt, text kept as text in SVG (searchable, and no font-dependent glyph ids).
"""

from __future__ import annotations

import io
import sys
import textwrap
from collections.abc import Sequence
from numbers import Real
from typing import Any, TypeGuard

from .table import SUPPRESSED_MARK, SYNTHETIC_MARK, Table

FORMATS = ("png", "svg")
#: One format ("png"/"svg") gives bytes; several, e.g. ("png", "svg"), give {format: bytes} from one figure.
Formats = str | tuple[str, ...]
Image = bytes | dict[str, bytes]
PALETTE = ("#1f6fd1", "#e07b39", "#3a9a5b", "#8e5bb5", "#c9414b", "#4aa3b5", "#8a7a3d", "#6b6f76")
DPI = 110

_RC: dict[Any, Any] = {  # matplotlib rcParams (its stubs type the keys as literals)
    "svg.hashsalt": "sedflow",
    "svg.fonttype": "none",        # text stays text
    "font.family": "DejaVu Sans",  # ships with matplotlib: same metrics everywhere, å ä ö and –
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 12,
    "path.simplify": False,
}


def bar_chart(table: Table, *, value_columns: Sequence[str] | None = None, fmt: Formats = "png") -> Image:
    """Grouped bars: one group per row (its label under it), one bar per value column in each group.

    ``value_columns`` defaults to every column after the first that holds a number in some row.
    """
    _check_fmt(fmt)
    columns = list(value_columns) if value_columns is not None else _numeric_columns(table)
    for col in columns:
        if col not in table.columns:
            raise ValueError(f"table '{table.id}' has no column '{col}' (columns: {', '.join(table.columns)})")
    indexes = [table.columns.index(c) for c in columns]
    labels = [str(row[0]) for row in table.rows]
    Figure, _ = _mpl()
    with _rc():
        width = min(14.0, max(6.5, 1.0 + len(labels) * (0.35 + 0.32 * max(1, len(columns)))))
        fig = Figure(figsize=(width, 4.6), dpi=DPI)
        ax = fig.add_subplot()
        n = max(1, len(columns))
        bar_w = 0.8 / n
        tallest = max([_num(table, r, c) or 0 for r in range(len(table.rows)) for c in indexes] + [0])
        for k, (col, c) in enumerate(zip(columns, indexes, strict=True)):
            xs, heights, rows, marks = [], [], [], []
            for r in range(len(table.rows)):
                x = r - 0.4 + bar_w * (k + 0.5)
                value = _num(table, r, c)
                if (r, c) in table.suppressed:
                    marks.append((r, x))
                elif value is not None:
                    xs.append(x)
                    heights.append(value)
                    rows.append(r)
            bars = ax.bar(xs, heights, width=bar_w * 0.92, color=PALETTE[k % len(PALETTE)], label=col, zorder=2)
            for bar, r in zip(bars, rows, strict=True):
                bar.set_gid(f"bar-{r}-{c}")
            if heights:
                ax.bar_label(bars, labels=[_fmt_number(h) for h in heights], padding=2, fontsize=8)
            for r, x in marks:
                ax.text(x, tallest * 0.01, SUPPRESSED_MARK, ha="center", va="bottom", fontsize=10,
                        fontweight="bold", color="#555555", gid=f"suppressed-{r}-{c}")
        ax.set_xticks(range(len(labels)), [_wrap(label, 16) for label in labels])
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.set_ylim(0, tallest * 1.15 if tallest > 0 else 1)
        ax.yaxis.grid(True, color="#dddddd", zorder=0)
        ax.set_axisbelow(True)
        ax.set_title(_wrap(table.title, 90), loc="left")
        if len(columns) > 1:  # under the axes, where it covers no bar and the layout makes room for all of it
            ax.legend(frameon=False, ncols=min(len(columns), 3), loc="upper center", bbox_to_anchor=(0.5, -0.16))
        _footer(fig, table)
        return _save(fig, table, fmt)


def funnel_chart(table: Table, fmt: Formats = "png", *, value_column: str | None = None) -> Image:
    """Horizontal bars in the table's row order, each labelled with its value and its share of the largest.

    A funnel's rows are its stages in process order, and the chart keeps that order so that chart and
    table read alike (sorting by count would put a late stage reached by many before an early one); a
    row whose value is suppressed keeps its place, marked ``..``. ``value_column`` defaults to the first
    numeric column.
    """
    _check_fmt(fmt)
    col = value_column or next(iter(_numeric_columns(table)), None)
    if col is None or col not in table.columns:
        raise ValueError(f"table '{table.id}' has no numeric column for a funnel")
    c = table.columns.index(col)
    order = [(r, _num(table, r, c)) for r in range(len(table.rows))]
    top = max([v for _, v in order if v is not None] + [0])
    Figure, _ = _mpl()
    with _rc():
        fig = Figure(figsize=(8.5, max(2.6, 1.3 + 0.48 * len(order))), dpi=DPI)
        ax = fig.add_subplot()
        ys = list(range(len(order)))
        for y, (r, v) in zip(ys, order, strict=True):
            if v is None:
                ax.text(top * 0.01, y, SUPPRESSED_MARK, va="center", ha="left", fontsize=10, fontweight="bold",
                        color="#555555", gid=f"suppressed-{r}-{c}")
                continue
            ax.barh(y, v, height=0.7, color=PALETTE[0], zorder=2)[0].set_gid(f"bar-{r}-{c}")
            share = f" ({_fmt_number(round(100 * v / top))} %)" if top > 0 else ""
            ax.text(v + top * 0.01, y, _fmt_number(v) + share, va="center", ha="left", fontsize=9)
        ax.set_yticks(ys, [_wrap(str(table.rows[r][0]), 28) for r, _ in order])
        ax.set_ylim(len(order) - 0.5, -0.5)  # first row on top; rows with only a mark keep their place
        ax.set_xlim(0, top * 1.25 if top > 0 else 1)
        ax.xaxis.grid(True, color="#dddddd", zorder=0)
        ax.set_axisbelow(True)
        ax.set_xlabel(col)
        ax.set_title(_wrap(table.title, 80), loc="left")
        _footer(fig, table)
        return _save(fig, table, fmt)


def duration_chart(table: Table, fmt: Formats = "png", *, median: str | None = None, q1: str | None = None,
                   q3: str | None = None) -> Image:
    """Horizontal bars of the median per row, with a whisker from the first to the third quartile.

    The columns are found by name (``median``/``q1``/``q3``, or Swedish ``kvartil 1``/``kvartil 3``,
    case-insensitive, as a word in the header) unless given; failing that, columns 1, 2 and 3 are
    taken as median, q1, q3.
    """
    _check_fmt(fmt)
    cols = [median or _find_column(table, ("median",)),
            q1 or _find_column(table, ("q1", "kvartil 1", "1:a kvartil", "p25")),
            q3 or _find_column(table, ("q3", "kvartil 3", "3:e kvartil", "p75"))]
    if None in cols:
        if len(table.columns) < 4:
            raise ValueError(f"table '{table.id}' has no median, q1 and q3 columns")
        cols = [c or table.columns[i + 1] for i, c in enumerate(cols)]
    mi, q1i, q3i = (table.columns.index(c) for c in cols)
    labels = [str(row[0]) for row in table.rows]
    Figure, _ = _mpl()
    with _rc():
        fig = Figure(figsize=(8.5, max(2.6, 1.4 + 0.5 * len(labels))), dpi=DPI)
        ax = fig.add_subplot()
        top = max([v for r in range(len(table.rows)) if _num(table, r, mi) is not None
                   for v in (_num(table, r, mi), _num(table, r, q3i)) if v is not None] + [0])
        for y in range(len(labels)):
            m, lo, hi = _num(table, y, mi), _num(table, y, q1i), _num(table, y, q3i)
            if m is None:
                ax.text(top * 0.01, y, SUPPRESSED_MARK, va="center", ha="left", fontsize=10, fontweight="bold",
                        color="#555555", gid=f"suppressed-{y}-{mi}")
                continue
            ax.barh(y, m, height=0.6, color=PALETTE[0], zorder=2)[0].set_gid(f"bar-{y}-{mi}")
            if lo is not None and hi is not None:
                ax.errorbar(m, y, xerr=[[max(0.0, m - lo)], [max(0.0, hi - m)]], fmt="none", ecolor="#222222",
                            elinewidth=1.3, capsize=4, zorder=3)
                text = f"{_fmt_number(m)} ({_fmt_number(lo)}–{_fmt_number(hi)})"
                x = max(m, hi)
            else:
                text, x = _fmt_number(m), m
            ax.text(x + top * 0.015, y, text, va="center", ha="left", fontsize=9)
        ax.set_yticks(range(len(labels)), [_wrap(label, 28) for label in labels])
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.set_xlim(0, top * 1.3 if top > 0 else 1)
        ax.xaxis.grid(True, color="#dddddd", zorder=0)
        ax.set_axisbelow(True)
        ax.set_xlabel(f"{cols[0]} (stapel), {cols[1]}–{cols[2]} (linje)")
        ax.set_title(_wrap(table.title, 80), loc="left")
        _footer(fig, table)
        return _save(fig, table, fmt)


# --- helpers ---------------------------------------------------------------------------------------

def _mpl() -> tuple[Any, Any]:
    import matplotlib
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    return Figure, FigureCanvasAgg


def _rc() -> Any:
    import matplotlib
    return matplotlib.rc_context(_RC)


def _check_fmt(fmt: Formats) -> None:
    for one in (fmt,) if isinstance(fmt, str) else fmt:
        if one not in FORMATS:
            raise ValueError(f"unknown chart format '{one}' (use one of {', '.join(FORMATS)})")


def _is_number(v: object) -> TypeGuard[Real]:
    return not isinstance(v, bool) and isinstance(v, Real) and v == v  # NaN is the one value unequal to itself


def _num(table: Table, r: int, c: int) -> float | None:
    """The cell as a number, or None when suppressed, empty or not a number."""
    if (r, c) in table.suppressed:
        return None
    v = table.rows[r][c] if c < len(table.rows[r]) else None
    return float(v) if _is_number(v) else None


def _numeric_columns(table: Table) -> list[str]:
    return [col for c, col in enumerate(table.columns) if c > 0 and any(
        _is_number(row[c]) for r, row in enumerate(table.rows) if c < len(row) and (r, c) not in table.suppressed)]


def _find_column(table: Table, names: Sequence[str]) -> str | None:
    for col in table.columns[1:]:
        low = col.lower()
        for name in names:
            if low == name or low.startswith((name + " ", name + "(")) or f" {name}" in f" {low}":
                return col
    return None


def _fmt_number(v: float) -> str:
    """Swedish style: decimal comma, at most two decimals, integers without decimals."""
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _footer(fig: Any, table: Table) -> None:
    parts = []
    if table.suppressed:
        parts.append(f"{SUPPRESSED_MARK} = uppgiften visas inte (för få personer)")
    if table.synthetic:
        parts.append(SYNTHETIC_MARK)
    fig.tight_layout(rect=(0, 0.05 if parts else 0, 1, 1))
    if parts:
        fig.text(0.01, 0.01, "   ".join(parts), fontsize=8, color="#555555", ha="left", va="bottom")
    if table.synthetic:  # a watermark across the plot, above everything
        fig.text(0.5, 0.5, SYNTHETIC_MARK, fontsize=22, color="#c62828", alpha=0.28, rotation=18, ha="center",
                 va="center", fontweight="bold", zorder=10, gid="synthetic-watermark")


def _save(fig: Any, table: Table, fmt: Formats) -> Image:
    """The figure in one format (bytes), or in several ({format: bytes}) drawn from the one figure."""
    if not isinstance(fmt, str):
        return {one: _save_one(fig, table, one) for one in fmt}
    return _save_one(fig, table, fmt)


def _save_one(fig: Any, table: Table, fmt: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    if fmt == "svg":
        metadata = {"Date": None, "Creator": None, "Title": table.title}
    else:
        metadata = {"Software": None, "Title": table.title}
    fig.savefig(buf, format=fmt, metadata=metadata, dpi=DPI, facecolor="white")
    return buf.getvalue()


__all__ = ["bar_chart", "duration_chart", "funnel_chart"]
