"""One self-contained HTML report: every table, its chart and the process heatmaps in a single file.

The file can be mailed, archived or opened offline: HTML5 in UTF-8, CSS inline in the head, charts
embedded as ``data:`` URIs, heatmap SVGs inlined. It loads nothing and runs nothing: no JavaScript, no
external references, and a Content-Security-Policy that forbids both, so a viewer that honours it would
refuse them even if some crept in. Every text from tables and titles is escaped; inlined SVG is parsed
(safely) and stripped of scripts, event handlers, ``foreignObject`` and non-local links first.
"""

from __future__ import annotations

import base64
import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from lxml import etree

from .table import SUPPRESSED_MARK, SYNTHETIC_MARK, Table, format_cell, format_datetime, is_number

CSS = """
:root{--ink:#1d1f24;--muted:#5b6068;--line:#d5d8dc;--accent:#1f6fd1;--warn:#b71c1c}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 Arial,'Liberation Sans',Helvetica,'DejaVu Sans',sans-serif;color:var(--ink);
background:#f4f5f7}
header.report{background:#ffffff;border-bottom:3px solid var(--accent);padding:20px 32px 14px}
header.report h1{margin:0 0 4px;font-size:26px}
header.report .meta{color:var(--muted);font-size:14px}
.synthetic-banner{background:var(--warn);color:#ffffff;font-weight:bold;font-size:18px;letter-spacing:.03em;
text-align:center;padding:10px 16px;border-bottom:2px solid #7f0000}
main{max-width:1300px;margin:0 auto;padding:16px 32px 48px}
nav.toc{background:#ffffff;border:1px solid var(--line);border-radius:6px;padding:10px 20px;margin:16px 0}
nav.toc h2{font-size:17px;margin:4px 0}
nav.toc ol{margin:4px 0;padding-left:22px}
nav.toc a{color:var(--accent);text-decoration:none}
section.report-table,section.heatmaps{background:#ffffff;border:1px solid var(--line);border-radius:6px;
padding:12px 22px 18px;margin:18px 0}
section h2{font-size:20px;margin:8px 0 10px}
table.data{border-collapse:collapse;margin:6px 0;font-variant-numeric:tabular-nums;min-width:40%}
table.data caption{caption-side:top;text-align:left;font-weight:bold;color:var(--muted);padding-bottom:4px}
table.data th,table.data td{border-bottom:1px solid var(--line);padding:5px 12px}
table.data thead th{background:#eef1f5;border-bottom:2px solid #b9bfc7;text-align:right}
table.data thead th:first-child,table.data tbody th{text-align:left;font-weight:normal}
table.data td{text-align:right}
table.data td.text{text-align:left}
table.data td.suppressed{color:var(--muted);font-weight:bold}
table.data tbody tr:nth-child(even){background:#fafbfc}
p.footnote,ul.notes{color:var(--muted);font-size:13px;margin:6px 0}
ul.notes{padding-left:18px}
.table-mark{display:inline-block;background:var(--warn);color:#ffffff;font-size:12px;border-radius:3px;
padding:1px 6px;margin-left:8px;vertical-align:middle}
figure.chart{margin:14px 0 4px}
figure.chart img{max-width:100%;height:auto;border:1px solid var(--line)}
.heatmap{border:1px solid var(--line);background:#ffffff;margin:8px 0 4px}
.heatmap svg{display:block;width:100%;height:auto}
table.data{max-width:100%}
table.data thead th{white-space:normal}
tr.folded th{font-style:italic;color:var(--muted)}
p.scope{color:var(--muted);font-size:13px;margin:0 0 8px}
section.programme{margin:28px 0}
section.programme>h2.programme{font-size:24px;border-bottom:2px solid var(--accent);margin:0 0 4px}
p.hint{color:var(--muted);font-size:13px;margin:2px 0 10px}
footer.report{color:var(--muted);font-size:12px;text-align:center;padding:0 0 24px}
@page{size:A4;margin:14mm 12mm}
@media print{body{background:#ffffff;font-size:11pt}main{max-width:none;padding:0}nav.toc{break-after:page}
section.report-table,section.heatmaps{border:none;padding:0;margin:0 0 8mm}
section.report-table{break-inside:avoid}section.programme{break-before:page}h2,h3{break-after:avoid}
.heatmap{border:none;break-inside:avoid}.synthetic-banner{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
SUPPRESSED_FOOTNOTE = f"{SUPPRESSED_MARK}: färre än k personer"
_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Programme:
    """One programme's part of the page: its name and scope as the heading, its tables with their charts
    (by table id) and its heatmaps (heading -> SVG). A store may mix programmes, and a reader compares
    one programme's figures with its own targets, not with a sum over programmes."""

    name: str
    scope: str
    tables: Sequence[Table]
    charts: Mapping[str, bytes] = field(default_factory=dict)
    heatmaps: Mapping[str, str] = field(default_factory=dict)


def render_html(tables: Sequence[Table], *, title: str, charts: Mapping[str, bytes] | None = None,
                heatmaps: Mapping[str, str] | None = None, generated_at: _dt.datetime, synthetic: bool,
                suppression_k: int | None = None, scope: str = "", programmes: Sequence[Programme] = ()) -> str:
    """The report as one HTML document (a string; write it as UTF-8).

    ``tables`` (and ``heatmaps``) cover the whole selection; each of ``programmes`` follows as a section
    of its own, with its scope under its heading. ``scope`` says what the whole page covers.

    ``charts`` maps table ids to chart images (PNG, or SVG bytes), shown under their table;
    ``heatmaps`` maps a heading to an SVG document, inlined in the last section. The synthetic-data
    banner is shown when ``synthetic`` is true or any table says it is synthetic: a synthetic number
    must never look publishable. ``suppression_k`` names the disclosure threshold in the footnote
    under tables with suppressed cells ("färre än k personer" when not given).
    """
    charts = charts or {}
    heatmaps = heatmaps or {}
    synthetic = synthetic or any(t.synthetic for t in [*tables, *(t for p in programmes for t in p.tables)])
    anchors = _anchors([t.id for t in tables] + [t.id for p in programmes for t in p.tables])
    own, anchors = anchors[:len(tables)], anchors[len(tables):]
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="sv">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="generator" content="sedflow">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
    ]
    if synthetic:
        out.append(f'<div class="synthetic-banner" role="alert">{escape(SYNTHETIC_MARK)}</div>')
    out += [
        '<header class="report">',
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Skapad <time datetime="{escape(generated_at.isoformat())}">'
        f"{escape(format_datetime(generated_at))}</time></p>",
        *([f'<p class="meta scope">{escape(scope)}</p>'] if scope else []),
        "</header>",
        "<main>",
    ]
    sections = [(p, anchors[sum(len(q.tables) for q in programmes[:i]):][:len(p.tables)], f"program-{i + 1}")
                for i, p in enumerate(programmes)]
    if tables or heatmaps or programmes:
        out += ['<nav class="toc" aria-label="Innehåll">', "<h2>Innehåll</h2>", "<ol>"]
        for table, anchor in zip(tables, own, strict=True):
            out.append(f'<li><a href="#{anchor}">{escape(table.title)}</a></li>')
        for programme, table_anchors, anchor in sections:
            out.append(f'<li><a href="#{anchor}">{escape(programme.name)}</a><ol>'
                       + "".join(f'<li><a href="#{a}">{escape(t.title)}</a></li>'
                                 for t, a in zip(programme.tables, table_anchors, strict=True)) + "</ol></li>")
        if heatmaps:
            out.append('<li><a href="#processkartor">Processkartor (värmekartor)</a></li>')
        out += ["</ol>", "</nav>"]
    footnote = (f"{SUPPRESSED_MARK}: färre än {suppression_k} personer" if suppression_k is not None
                else SUPPRESSED_FOOTNOTE)
    for table, anchor in zip(tables, own, strict=True):
        out += _table_section(table, anchor, charts.get(table.id), footnote, mark=table.synthetic)
    for programme, table_anchors, anchor in sections:
        out += [f'<section class="programme" id="{anchor}">', f"<h2 class=\"programme\">{escape(programme.name)}</h2>",
                f'<p class="scope">{escape(programme.scope)}</p>']
        for table, table_anchor in zip(programme.tables, table_anchors, strict=True):
            out += _table_section(table, table_anchor, programme.charts.get(table.id), footnote, mark=table.synthetic)
        if programme.heatmaps:
            out += _heatmaps(programme.heatmaps, f"{anchor}-processkartor")
        out.append("</section>")
    if heatmaps:
        out += _heatmaps(heatmaps, "processkartor")
    out += ["</main>",
            f'<footer class="report">sedflow · {escape(format_datetime(generated_at))}'
            f"{' · ' + escape(SYNTHETIC_MARK) if synthetic else ''}</footer>",
            "</body>", "</html>", ""]
    return "\n".join(out)


#: From this many rows that disclosure control hid entirely, the HTML folds them into one line.
FOLD_FROM = 3


def _folded_rows(table: Table) -> set[int]:
    """Rows whose every count is suppressed and that no total is built from, when there are ``FOLD_FROM`` of
    them: a column of marks tells the reader nothing (the caseload would run to hundreds of them)."""
    totals = {total for _, total in table.row_sums}
    hidden = {r for r in range(len(table.rows)) if r not in totals and table.count_columns
              and all((r, c) in table.suppressed for c in table.count_columns)}
    return hidden if len(hidden) >= FOLD_FROM else set()


def _heatmaps(heatmaps: Mapping[str, str], anchor: str) -> list[str]:
    out = [f'<section class="heatmaps" id="{anchor}">', "<h2>Processkartor (värmekartor)</h2>",
           '<p class="hint">Blå bricka: ärenden som väntar i steget nu. '
           "Grå bricka: avslutade i steget under perioden. Rött sken: ju fler avslutade i steget, desto rödare "
           "(skalan går till processens eget högsta värde).</p>"]
    for name, svg in heatmaps.items():
        out += [f"<h3>{escape(name)}</h3>",
                f'<div class="heatmap" role="figure" aria-label="{escape(name)}">{_clean_svg(svg)}</div>']
    out.append("</section>")
    return out


def _table_section(table: Table, anchor: str, chart: bytes | None, footnote: str, *, mark: bool) -> list[str]:
    out = [f'<section class="report-table" id="{anchor}" data-table="{escape(table.id)}">',
           f"<h2>{escape(table.title)}"
           + (f'<span class="table-mark">{escape(SYNTHETIC_MARK)}</span>' if mark else "") + "</h2>",
           *([f'<p class="scope">{escape(table.scope)}</p>'] if table.scope else []),
           '<table class="data">', "<thead><tr>"]
    out += [f'<th scope="col">{escape(str(col))}</th>' for col in table.columns]
    out += ["</tr></thead>", "<tbody>"]
    folded = _folded_rows(table)
    for r, row in enumerate(table.rows):
        if r in folded:
            if r == min(folded):
                out.append(f'<tr class="folded"><th scope="row" colspan="{len(table.columns)}">'
                           f"{len(folded)} rader till visas inte: varje tal i dem gäller för få personer "
                           f"({escape(SUPPRESSED_MARK)}).</th></tr>")
            continue
        cells = []
        for c, value in enumerate(row):
            if c == 0:
                cells.append(f'<th scope="row">{escape(format_cell(value))}</th>')
            elif (r, c) in table.suppressed:
                cells.append(f'<td class="suppressed" title="{escape(footnote)}">{escape(SUPPRESSED_MARK)}</td>')
            else:
                cls = "" if is_number(value) else ' class="text"'
                cells.append(f"<td{cls}>{escape(format_cell(value))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    if table.suppressed:
        out.append(f'<p class="footnote">{escape(footnote)}</p>')
    if table.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in table.notes) + "</ul>")
    if chart:
        out.append(f'<figure class="chart"><img src="{_data_uri(chart)}" alt="Diagram: {escape(table.title)}">'
                   "</figure>")
    out.append("</section>")
    return out


# --- formatting -----------------------------------------------------------------------------------

def _anchors(ids: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for table_id in ids:
        base = "tabell-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", table_id).strip("-") or "x")
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append(base if n == 0 else f"{base}-{n + 1}")
    return out


def _data_uri(data: bytes) -> str:
    head = data[:200].lstrip()
    if data.startswith(_PNG):
        mime = "image/png"
    elif head.startswith((b"<?xml", b"<svg", b"<!--")):
        mime = "image/svg+xml"
    elif data.startswith(b"\xff\xd8"):
        mime = "image/jpeg"
    else:
        raise ValueError("a chart must be PNG, SVG or JPEG bytes")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _clean_svg(svg: str) -> str:
    """The SVG, parsed without entities or network, minus anything active or external, ready to inline."""
    if re.search(r"<!(DOCTYPE|ENTITY)", svg):
        raise ValueError("heatmap SVG must not contain DOCTYPE or ENTITY declarations")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                             remove_pis=True, huge_tree=False)
    root = etree.fromstring(svg.encode("utf-8"), parser)
    if etree.QName(root).localname != "svg":
        raise ValueError("a heatmap must be an <svg> document")
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        local_tag = etree.QName(el).localname
        if local_tag in ("script", "foreignObject", "iframe", "object", "embed") or (
                local_tag == "style" and (_external(el.text or "") or "@import" in (el.text or ""))):
            el.getparent().remove(el)
            continue
        for name in list(el.attrib):
            local = etree.QName(name).localname.lower()
            value = el.attrib[name].strip()
            if local.startswith("on") or (local in ("href", "src") and not value.startswith("#")) or _external(value):
                del el.attrib[name]
    return str(etree.tostring(root, encoding="unicode"))


def _external(text: str) -> bool:
    """Whether CSS/attribute text refers to anything but a fragment of the same document."""
    return any(not target.strip().strip("'\"").startswith("#") for target in re.findall(r"url\(([^)]*)\)", text))


__all__ = ["Programme", "render_html"]
