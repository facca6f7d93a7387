"""What a manager and a funder read: the reports of the Quick start store and of both scenario stores, through
the real CLI, add up, list stages in process order, speak Swedish, state their scope and export cleanly."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import fresh_store_url
from sedflow_cli.main import main

#: The stores a reader meets: the Quick start (the SE demo, then the walkthrough's Håbo demo into the same
#: store) and the two seed scenarios, each with the rule and period its report is read with.
STORES = {
    "quickstart": ([["demo"], ["demo", "--process", "habo_ips"]], []),
    "natkraft": ([["demo", "--scenario", "natkraft"]], ["--rule", "natkraft", "--from", "2006-05-01",
                                                         "--to", "2013-12-31"]),
    "gavle": ([["demo", "--scenario", "gavle"]], ["--rule", "gavle", "--from", "2017-09-01", "--to", "2019-10-31"]),
}


def cli(url, *args, code=0):
    result = CliRunner().invoke(main, ["--store", url, *map(str, args)])
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Build the three stores on a backend once for the module: ``build(backend)`` -> {name: (url, options)}."""
    built, cleanups = {}, []

    def get(backend):
        if backend not in built:
            built[backend] = {}
            for name, (demos, options) in STORES.items():
                urls = fresh_store_url(backend, tmp_path_factory.mktemp(f"{name}-{backend}"))
                url = next(urls)
                cleanups.append(urls)
                for demo in demos:
                    cli(url, *demo)
                built[backend][name] = (url, options)
        return built[backend]

    yield get
    for urls in cleanups:
        next(urls, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, build):
    return build(request.param)


@pytest.fixture
def sqlite_stores(build):
    return build("sqlite")


def report_all(url, options, *extra):
    return json.loads(cli(url, "report", "all", "--format", "json", *options, *extra))


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def sum_mismatches(table):
    """Every line of ``table`` whose visible parts do not add up to its total, as (line, parts, total).

    A line with a suppressed part or total is the one allowed exception: the mark is its explanation.
    """
    hidden = {tuple(cell) for cell in table["suppressed_cells"]}
    rows, bad = table["rows"], []
    lines = [([(r, c) for r in parts], (total, c))
             for parts, total in table["row_sums"] for c in table["count_columns"]]
    lines += [([(r, c) for c in parts], (r, total)) for parts, total in table["column_sums"] for r in range(len(rows))]
    for parts, total in lines:
        if total in hidden or any(cell in hidden for cell in parts):
            continue
        values = [_count(rows[r][c]) for r, c in parts]
        if sum(v or 0 for v in values) != _count(rows[total[0]][total[1]]):
            bad.append((table["id"], parts, total))
    return bad


# --- 1. every table adds up ---------------------------------------------------------------------------

@pytest.mark.parametrize("unsuppressed", [False, True])
def test_every_table_of_report_all_adds_up(stores, unsuppressed):
    checked = 0
    for name, (url, options) in stores.items():
        for table in report_all(url, options, *(["--unsuppressed"] if unsuppressed else [])):
            # a table that shows a total declares what adds up to it, so the check below cannot pass it by
            shows_total = "Totalt" in table["columns"] or any(row[0] == "Totalt" for row in table["rows"])
            assert not shows_total or table["row_sums"] or table["column_sums"], (name, table["id"])
            assert sum_mismatches(table) == [], (name, table["id"], table["rows"])
            checked += len(table["row_sums"]) + len(table["column_sums"])
    assert checked >= 3 * 8


def test_the_sum_check_catches_a_missing_category_and_excuses_a_suppressed_one():
    """The Quick start's outcomes_by_gender as it was: Kvinnor 35 + Män 24 shown against Totalt 95."""
    table = {"id": "t", "rows": [["Totalt antal klienter", 35, 24, 95]], "suppressed_cells": [],
             "count_columns": [1, 2, 3], "row_sums": [], "column_sums": [[[1, 2], 3]]}
    assert sum_mismatches(table) == [("t", [(0, 1), (0, 2)], (0, 3))]
    assert sum_mismatches({**table, "suppressed_cells": [[0, 2]]}) == []


def test_gender_x_has_its_column_so_women_men_and_the_rest_make_the_total(sqlite_stores):
    url, options = sqlite_stores["quickstart"]
    table = next(t for t in report_all(url, options, "--unsuppressed") if t["id"] == "outcomes_by_gender")
    assert table["columns"] == ["", "Kvinnor", "Män", "Annat/uppgift saknas", "Totalt"]
    clients = table["rows"][0]
    assert clients[3] > 0 and clients[1] + clients[2] + clients[3] == clients[4]
    published = next(t for t in report_all(url, options) if t["id"] == "outcome_rate")
    assert [row[0] for row in published["rows"]] == ["Kvinnor", "Män", "Annat/uppgift saknas", "Totalt"]


# --- 2. the funnel in process order, the chart as the table ---------------------------------------------

def test_the_funnel_lists_stages_in_process_order_and_its_chart_keeps_that_order(sqlite_stores):
    from lxml import etree
    from sedflow.programmes.se.vocabulary import LABELS
    from sedflow.reports.charts import funnel_chart
    from sedflow.reports.table import Table

    url, options = sqlite_stores["quickstart"]
    funnel = next(t for t in report_all(url, options) if t["id"] == "funnel")
    stages = [row[0]["code"] for row in funnel["rows"] if isinstance(row[0], dict)]
    assert len(stages) >= 6 and stages == [s for s in LABELS["stage"] if s in stages]  # process order
    counts = [row[1] for row in funnel["rows"] if isinstance(row[0], dict)]
    assert counts != sorted(counts, reverse=True)  # the Quick start's counts are not in count order: a real check
    table = Table("funnel", funnel["title"], tuple(funnel["columns"]),
                  tuple((row[0]["label"] if isinstance(row[0], dict) else row[0], row[1]) for row in funnel["rows"]))
    root = etree.fromstring(funnel_chart(table, "svg"))
    bars = [g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g") if (g.get("id") or "").startswith("bar-")]
    assert bars == [f"bar-{r}-1" for r in range(len(table.rows))]  # drawn top to bottom in the table's order


# --- 4. Swedish labels for every code a reader sees ----------------------------------------------------------

def _codes():
    """Every code of the vocabularies but the Swedish abbreviations readers use themselves (AF, FK, LSS)."""
    from sedflow.programmes.se.vocabulary import LABELS
    return {code for vocabulary in LABELS.values() for code in vocabulary} - {"AF", "FK", "LSS"}


def test_no_code_is_shown_to_a_reader_and_json_keeps_it_beside_the_label(sqlite_stores, tmp_path):
    import re

    from lxml import html
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _codes()), key=len, reverse=True)) + r")\b")
    for name, (url, options) in sqlite_stores.items():
        text = cli(url, "report", "all", *options)
        assert pattern.findall(text) == [], name
        assert "Nådde steget: Yrkesprofil" in text and "Yrkesprofil" in text
        cli(url, "report", "html", tmp_path / name, *options)
        page = html.fromstring((tmp_path / name / "index.html").read_bytes())
        for hidden in [*page.iter("style"), *page.iter("{http://www.w3.org/2000/svg}svg", "svg")]:
            hidden.drop_tree()  # the heatmaps' tooltips name diagram element ids, for whoever edits the diagram
        assert pattern.findall(page.text_content()) == [], name
    url, options = sqlite_stores["quickstart"]
    closures = next(t for t in report_all(url, options, "--unsuppressed") if t["id"] == "closures")
    coded = {cell["code"]: cell["label"] for row in closures["rows"] for cell in row[:2] if isinstance(cell, dict)}
    assert coded["GOAL_ACHIEVED"] == "Målet uppnått / avslut enligt plan" and coded["EMPLOYMENT"] == "Arbete"
    assert coded["PARTICIPANT_CHOICE"] == "Avbrott på eget initiativ" and coded["NO_OUTCOME"].startswith("Ingen")
    sources = next(t for t in report_all(url, options) if t["id"] == "referral_sources")
    assert any(isinstance(row[1], dict) and row[1]["code"] == "PSYCHIATRY" for row in sources["rows"])


# --- 3. every report states its scope; the HTML report has a section per programme ---------------------

def test_every_report_states_programmes_versions_and_period(sqlite_stores):
    import re
    version = re.compile(r"version [0-9a-f]{12}")
    url, options = sqlite_stores["quickstart"]
    for table in report_all(url, options):
        scope = table["scope"]
        assert "Supported Employment" in scope and "IPS Arbetsstödet Håbo" in scope, table["id"]
        assert len(version.findall(scope)) == 2 and "Period: alla datum." in scope, scope
    url, options = sqlite_stores["natkraft"]
    for table in report_all(url, options, "--gender", "F"):
        assert "Period: 2006-05-01 – 2013-12-31" in table["scope"] and "Urval: gender = F." in table["scope"]
        assert "Håbo" not in table["scope"]
    lines = cli(url, "report", "funnel", *options).splitlines()
    assert lines[1].startswith("Tratt") and lines[2].startswith("Program: Supported Employment, version ")


def test_the_html_report_has_a_section_per_programme_with_its_own_scope(sqlite_stores, tmp_path):
    from lxml import html
    url, options = sqlite_stores["quickstart"]
    cli(url, "report", "html", tmp_path / "r", *options)
    page = html.fromstring((tmp_path / "r" / "index.html").read_bytes())
    header = page.find_class("report")[0].text_content()
    assert "Supported Employment" in header and "IPS Arbetsstödet Håbo" in header and "Period: alla datum" in header
    sections = page.find_class("programme")
    names = [s.findtext("h2") for s in sections if s.tag == "section"]
    assert sorted(names) == ["IPS Arbetsstödet Håbo", "Supported Employment"]
    for section in (s for s in sections if s.tag == "section"):
        name = section.findtext("h2")
        other = next(n for n in names if n != name)
        scopes = [p.text_content() for p in section.find_class("scope")]
        assert len(scopes) >= 14 and all(name in s and other not in s for s in scopes)  # its own cases only
        assert {t.get("data-table") for t in section.iterfind(".//section[@data-table]")} >= {"funnel", "closures"}
    for pid in ("supported_employment", "habo_ips"):
        assert (tmp_path / "r" / pid / "funnel.png").read_bytes()[:4] == b"\x89PNG"


# --- 6. exports: CSV blocks with titles for Swedish Excel, one styled sheet per report -------------------

def test_csv_gives_each_table_a_title_and_writes_values_as_the_table_shows_them(sqlite_stores, tmp_path):
    import csv
    url, options = sqlite_stores["quickstart"]
    tables = report_all(url, options)
    cli(url, "report", "all", "--format", "csv", "-o", tmp_path / "r.csv", *options)
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a byte-order mark: Excel reads the file as UTF-8
    blocks, block = [], []
    for row in csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"):
        if row:
            block.append(row)
        elif block:
            blocks.append(block)
            block = []
    blocks.append(block)
    assert [b[0] for b in blocks] == [[t["title"]] for t in tables]  # one titled block per table, in order
    assert all(b[1] == [t["scope"]] for b, t in zip(blocks, tables, strict=True))
    rate = blocks[[t["id"] for t in tables].index("outcome_rate")]
    cells = [cell for row in rate for cell in row]
    assert "Ja" in cells and not {"True", "False"} & set(cells)
    assert any("," in c and c.replace(",", "").isdigit() for c in cells) and not any(
        "." in c and c.replace(".", "").isdigit() for c in cells)  # 45,5, never 45.5
    closures = blocks[[t["id"] for t in tables].index("closures")]
    header = closures[3]
    assert header[:4] == ["Avslutsanledning", "Avslutsanledning (kod)", "Utfall", "Utfall (kod)"]
    first = closures[4]
    assert first[1] in _codes() and first[0] != first[1] and first[3] in _codes()


def test_xlsx_has_a_styled_sheet_per_report_named_by_its_swedish_title(sqlite_stores, tmp_path):
    from openpyxl import load_workbook
    url, options = sqlite_stores["quickstart"]
    tables = report_all(url, options)
    cli(url, "report", "all", "--format", "xlsx", "-o", tmp_path / "r.xlsx", *options)
    book = load_workbook(tmp_path / "r.xlsx")
    assert len(book.sheetnames) == len(tables) == len({n.lower() for n in book.sheetnames})
    for name, table in zip(book.sheetnames, tables, strict=True):
        assert len(name) <= 31 and not set("[]:*?/\\") & set(name)
        assert table["title"].replace(":", " ").replace("  ", " ").startswith(name), (name, table["title"])
        sheet = book[name]
        assert sheet["A1"].value == table["title"] and sheet["A2"].value == table["scope"]
        header = next(r for r in range(1, 6) if (sheet.cell(r, 1).value or "") == table["columns"][0] and
                      sheet.cell(r, 2).value == table["columns"][1])
        assert sheet.freeze_panes == f"A{header + 1}"
        assert all(cell.font.bold and cell.fill.fgColor.rgb.endswith("EEF1F5") for cell in sheet[header])
        assert sheet.column_dimensions["A"].width >= 8
    rate = book[book.sheetnames[[t["id"] for t in tables].index("outcome_rate")]]
    values = [c.value for row in rate.iter_rows(min_row=5, max_row=8) for c in row]
    assert any(isinstance(v, float) and not v.is_integer() for v in values) and "Ja" in values
    assert all(not isinstance(v, bool) for v in values)


def test_sheet_names_drop_what_excel_forbids_and_stay_unique():
    from sedflow.reports.output import sheet_names
    from sedflow.reports.table import Table
    names = sheet_names([Table("a", "Tratt: hur många [ärenden] nådde varje steg / fas?", ("",), ()),
                         Table("b", "Tratt: hur många [ärenden] nådde varje steg / fas?", ("",), ()),
                         Table("c", "Kort", ("",), ())])
    assert names == ["Tratt hur många ärenden nådde", "Tratt hur många ärenden nåd (2)", "Kort"]


# --- 5. the HTML page laid out for reading and printing -------------------------------------------------

@pytest.fixture(scope="module")
def quickstart_html(build, tmp_path_factory):
    url, options = build("sqlite")["quickstart"]
    out = tmp_path_factory.mktemp("html")
    cli(url, "report", "html", out, *options)
    return out, report_all(url, options)


def test_the_page_scrolls_nowhere_sideways_and_prints_on_a4(quickstart_html):
    import re

    from lxml import html
    out, _ = quickstart_html
    page = (out / "index.html").read_text(encoding="utf-8")
    css = "".join(html.fromstring(page.encode()).xpath("//style/text()"))
    assert not re.search(r"overflow(-x)?\s*:\s*(auto|scroll)", css)  # no scroll box: printing shows all of it
    assert re.search(r"@page\{size:A4", css) and "@media print{" in css
    assert re.search(r"\.heatmap svg\{[^}]*width:100%;height:auto", css)  # a diagram scales to the page width
    assert "Rulla i sidled" not in page


def test_caseload_rows_that_are_all_suppressed_fold_into_one_line(quickstart_html):
    from lxml import html
    out, tables = quickstart_html
    page = html.fromstring((out / "index.html").read_bytes())
    caseload = next(t for t in tables if t["id"] == "caseload")
    hidden = [r for r in range(len(caseload["rows"])) if [r, 2] in caseload["suppressed_cells"]]
    assert len(hidden) >= 3
    for section in page.xpath("//section[@data-table='caseload']"):
        rows = section.xpath(".//tbody/tr")
        folded = [tr for tr in rows if tr.get("class") == "folded"]
        assert len(folded) == 1 and ".." not in "".join(td.text_content() for td in section.xpath(".//td"))
        count = int(folded[0].text_content().split()[0])
        assert count + len(rows) - 1 <= len(caseload["rows"]) and count >= 1


def test_heatmaps_come_with_their_programme_data_first_and_scale_to_their_own_maximum(quickstart_html):
    import re

    from lxml import html
    out, _ = quickstart_html
    page = html.fromstring((out / "index.html").read_bytes())
    programmes = page.xpath("//section[@class='programme']")
    idle = page.xpath("//section[@id='processkartor']")
    assert len(programmes) == 2 and len(idle) == 1
    order = list(page.iter())
    assert all(order.index(p) < order.index(idle[0]) for p in programmes)  # programmes with data first
    assert all("(inga ärenden)" in h.text for h in idle[0].iter("h3"))
    maxima = []
    for section in programmes:
        svg = section.xpath(".//svg")[0]
        completed = [int(v) for v in svg.xpath(".//@data-completed")]
        legend = re.search(r"flest: (\d+)", svg.text_content())
        assert completed and int(legend.group(1)) == max(completed)  # the legend's maximum is the programme's
        maxima.append(max(completed))
    assert maxima[0] != maxima[1]


def test_the_bar_chart_legend_lies_inside_the_figure(quickstart_html):
    from lxml import etree
    out, _ = quickstart_html
    root = etree.parse(str(out / "supported_employment" / "closure_split.svg")).getroot()
    _, _, width, height = map(float, root.get("viewBox").split())
    [legend] = root.xpath("//*[@id='legend_1']")
    texts = legend.xpath(".//*[local-name()='text']")
    assert [t.text for t in texts] == ["Jobb och studier", "Mot annan plan", "Kvar med insats AF", "Övriga avslut",
                                       "Avslutade"]
    for t in texts:  # the label starts inside, and a label of 10-px DejaVu (< 7 px a letter) ends inside
        x, y = float(t.get("x")), float(t.get("y"))
        assert x > 0 and x + 7 * len(t.text) < width and 0 < y < height


def test_a_screenshot_and_an_a4_print_in_headless_chromium(quickstart_html, tmp_path):
    import shutil
    import subprocess
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        pytest.skip("no Chromium on this machine (apt-get install -y chromium): the HTML/CSS checks above still ran")
    out, _ = quickstart_html
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             f"--user-data-dir={tmp_path / 'profile'}"]
    shot, pdf = tmp_path / "shot.png", tmp_path / "page.pdf"
    page = (out / "index.html").as_uri()
    subprocess.run([chromium, *flags, "--window-size=1000,2000", f"--screenshot={shot}", page],
                   check=True, capture_output=True, timeout=120)
    subprocess.run([chromium, *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page],
                   check=True, capture_output=True, timeout=120)
    assert shot.read_bytes()[:4] == b"\x89PNG"
    assert b"/MediaBox [0 0 595" in pdf.read_bytes() or b"/MediaBox[0 0 595" in pdf.read_bytes()  # A4 pages
