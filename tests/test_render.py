"""The visual outputs: the process heatmap (SVG from the diagram's DI), the charts and the HTML report."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import re

import pytest
from lxml import etree
from lxml import html as lxml_html
from sedflow import DefinitionError
from sedflow.bpmn import ElementRef
from sedflow.reports.heatmap import heatmap_svg
from sedflow.reports.html import render_html
from sedflow.reports.table import SUPPRESSED_MARK, SYNTHETIC_MARK, Table

SVG = "{http://www.w3.org/2000/svg}"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
FLOW_NODES = {"task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
              "scriptTask", "callActivity", "subProcess", "transaction", "startEvent", "endEvent",
              "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
              "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
GENERATED = dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC)


def clark(prefix: str, name: str) -> str:
    """An element's Clark name, ``{namespace}name``, for ``iter``."""
    return f"{{{NS[prefix]}}}{name}"


WAITING = {"first_contact": 7, "vocational_profile": 12, "job_search": 31, "followup_due": 4, "support_period": 9}
COMPLETED = {"first_contact": 140, "vocational_profile": 96, "job_search": 58, "gw_chooses_se": 133,
             "end_employment": 17, "support_period": 22}


def outcome_table(*, synthetic: bool = False) -> Table:
    """Outcomes at closure by gender; two cells below the disclosure threshold."""
    return Table(
        id="outcomes_by_gender", title="Utfall vid avslut efter kön",
        columns=("Utfall", "Kvinnor", "Män", "Totalt"),
        rows=(("Anställning", 12, 9, 21), ("Studier", 4, 2, 6), ("Fortsatt insats hos AF", 6, 1, 7),
              ("Annan planering", 2, 5, 7)),
        notes=("Avslutade ärenden 2026-01-01–2026-06-30.", "Utfall enligt avslutets slutpunkt."),
        synthetic=synthetic, suppressed=frozenset({(2, 2), (3, 1)}))


def duration_table() -> Table:
    return Table(id="stage_durations", title="Tid i steg (dagar)", columns=("Steg", "Median", "Q1", "Q3"),
                 rows=(("Överenskommelse", 14, 7, 30), ("Yrkesprofil", 45.5, 21, 80), ("Jobbsökande", 90, 40, 160)))


# --- heatmap ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def se(definitions):
    return definitions.get("supported_employment")


def _di(definition, process_id):
    """(flow node ids drawn in the process's plane, every DI bound and waypoint) read straight from the file."""
    for data in definition.sources.values():
        root = etree.fromstring(data)
        process = root.find(f"bpmn:process[@id='{process_id}']", NS)
        if process is None:
            continue
        nodes = {el.get("id") for el in process.iter() if isinstance(el.tag, str)
                 and etree.QName(el).localname in FLOW_NODES}
        plane = next(p for p in root.iter(clark("bpmndi", "BPMNPlane"))
                     if p.get("bpmnElement") in {process_id, root.find("bpmn:collaboration", NS).get("id")})
        drawn = {s.get("bpmnElement") for s in plane.iterfind("bpmndi:BPMNShape", NS)} & nodes
        points = [(float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height")))
                  for b in plane.iter(clark("dc", "Bounds"))]
        points += [(float(w.get("x")), float(w.get("y")), 0.0, 0.0) for w in plane.iter(clark("di", "waypoint"))]
        return drawn, points
    raise AssertionError(process_id)


def _badge_text(svg_root, element_id, kind):
    group = svg_root.find(f".//{SVG}g[@data-element='{element_id}']")
    assert group is not None, element_id
    badge = group.find(f".//{SVG}g[@data-{kind}]")
    return None if badge is None else "".join(badge.itertext()).strip()


def test_heatmap_draws_every_flow_node_of_the_process_from_its_di(se):
    svg = heatmap_svg(se, waiting=WAITING, completed=COMPLETED, title="SE – värmekarta")
    root = etree.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg"
    drawn, _ = _di(se, "supported_employment")
    groups = root.findall(".//*[@data-element]")
    assert sorted(g.get("data-element") for g in groups) == sorted(drawn)
    assert len(drawn) > 40
    kinds = {g.get("data-element"): g.get("data-kind") for g in groups}
    assert kinds["gw_followup_fork"] == "parallelGateway"
    assert kinds["followup_due"] == "intermediateCatchEvent"
    group = root.find(f".//{SVG}g[@data-element='gw_chooses_se']")
    assert group.find(f".//{SVG}path[@class='marker-x']") is not None           # exclusive: X
    group = root.find(f".//{SVG}g[@data-element='gw_followup_fork']")
    assert group.find(f".//{SVG}path[@class='marker-plus']") is not None        # parallel: +
    assert root.find(f".//{SVG}g[@data-element='followup_due']//{SVG}g[@class='marker-timer']") is not None
    # pool, lanes and sequence flows come from the DI too, with Swedish names as text
    assert root.find(f".//{SVG}g[@data-participant='participant_supported_employment']") is not None
    assert len(root.findall(f".//{SVG}g[@data-lane]")) == 4
    assert len(root.findall(f".//{SVG}g[@data-flow]")) == 56
    text = "".join(root.itertext())
    for name in ("Coach (arbetskonsulent)", "Deltagare", "Väljer SE?", "Stöd på och utanför arbetet",
                 "SE – värmekarta"):
        assert name.replace(" ", "") in text.replace(" ", ""), name
    assert root.find(f".//{SVG}script") is None
    assert not re.search(r"(href|src)=\"(?!#)", svg)


def test_heatmap_shows_waiting_and_completed_counts_on_their_elements(se):
    root = etree.fromstring(heatmap_svg(se, waiting=WAITING, completed=COMPLETED).encode())
    for eid, n in WAITING.items():
        assert _badge_text(root, eid, "waiting") == str(n), eid
    for eid, n in COMPLETED.items():
        assert _badge_text(root, eid, "completed") == str(n), eid
    assert _badge_text(root, "agreement", "waiting") is None        # nothing given: no badge
    assert _badge_text(root, "gw_chooses_se", "waiting") is None
    heat = {e.get("data-heat"): float(e.get("opacity")) for e in root.iterfind(".//*[@data-heat]")}
    assert set(heat) == set(COMPLETED)
    assert heat["first_contact"] == 1.0 and heat["first_contact"] > heat["job_search"] > heat["end_employment"]


def test_heatmap_viewbox_covers_the_whole_diagram(se):
    root = etree.fromstring(heatmap_svg(se).encode())
    x, y, w, h = map(float, root.get("viewBox").split())
    _, bounds = _di(se, "supported_employment")
    for bx, by, bw, bh in bounds:
        assert x <= bx and bx + bw <= x + w and y <= by and by + bh <= y + h, (bx, by, bw, bh)
    assert float(root.get("width")) == w and float(root.get("height")) == h


def test_heatmap_of_the_called_process_from_the_same_definition(se):
    root = etree.fromstring(heatmap_svg(se, "supported_training", waiting={"st_agreement": 3}).encode())
    drawn, _ = _di(se, "supported_training")
    assert sorted(g.get("data-element") for g in root.iterfind(".//*[@data-element]")) == sorted(drawn)
    assert _badge_text(root, "st_agreement", "waiting") == "3"
    assert root.find(f".//{SVG}g[@data-element='agreement']") is None   # nothing of the SE process


def test_heatmap_refuses_an_unknown_process(se):
    from sedflow import UnknownProcessError
    with pytest.raises(UnknownProcessError):
        heatmap_svg(se, "no_such_process")


def test_heatmap_counts_are_per_process_and_element(definitions, se):
    """Two programmes draw an element with the same id: each heatmap shows only its own process's count."""
    habo = definitions.get("habo_ips")
    assert habo.element("habo_ips", "study_application") and se.element("supported_employment", "study_application")
    completed = {ElementRef("supported_employment", "study_application"): 4,
                 ElementRef("habo_ips", "study_application"): 8}
    waiting = {ElementRef("habo_ips", "study_application"): 2}
    root = etree.fromstring(heatmap_svg(se, completed=completed, waiting=waiting).encode())
    assert _badge_text(root, "study_application", "completed") == "4"
    assert _badge_text(root, "study_application", "waiting") is None
    root = etree.fromstring(heatmap_svg(habo, completed=completed, waiting=waiting).encode())
    assert _badge_text(root, "study_application", "completed") == "8"
    assert _badge_text(root, "study_application", "waiting") == "2"


@pytest.mark.parametrize("declaration", ['<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
                                         "<!DOCTYPE bpmn:definitions>"])
def test_heatmap_refuses_a_doctype(se, declaration):
    name, data = next((n, d) for n, d in se.sources.items() if n.endswith("supported_employment.bpmn"))
    head, body = data.split(b"\n", 1)
    hostile = dataclasses.replace(se, sources={**se.sources, name: head + b"\n" + declaration.encode() + b"\n" + body})
    with pytest.raises(DefinitionError, match="declarations are not allowed") as info:
        heatmap_svg(hostile)
    assert info.value.file == name and info.value.line == 2


# --- charts ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def charts():
    pytest.importorskip("matplotlib", reason="charts need matplotlib (pip install matplotlib)")
    from sedflow.reports import charts
    return charts


def _svg_root(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))


def _ids(root, prefix: str) -> list[str]:
    """Ids of the SVG groups the charts name: bars ``bar-<row>-<col>``, marks ``suppressed-<row>-<col>``."""
    return [g.get("id") for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith(prefix)]


def test_charts_render_png_and_svg(charts):
    table = outcome_table()
    for fn in (lambda fmt: charts.bar_chart(table, fmt=fmt), lambda fmt: charts.funnel_chart(
            Table(id="funnel", title="Tratt", columns=("Steg", "Deltagare"),
                  rows=(("Inskrivna", 120), ("Överenskommelse", 104), ("Anställning", 41))), fmt),
               lambda fmt: charts.duration_chart(duration_table(), fmt)):
        png = fn("png")
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
        root = _svg_root(fn("svg"))
        assert root.tag == f"{SVG}svg"
        assert fn("svg") == fn("svg")                                   # deterministic
    with pytest.raises(ValueError):
        charts.bar_chart(table, fmt="gif")


def test_bar_chart_draws_no_bar_for_suppressed_cells(charts):
    table = outcome_table()
    full = Table(id=table.id, title=table.title, columns=table.columns, rows=table.rows)
    assert len(_ids(_svg_root(charts.bar_chart(full, fmt="svg")), "bar-")) == 12
    root = _svg_root(charts.bar_chart(table, fmt="svg"))
    bars = _ids(root, "bar-")
    assert len(bars) == 10 and "bar-2-2" not in bars and "bar-3-1" not in bars and "bar-0-1" in bars
    marks = [g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("suppressed-")]
    assert sorted(m.get("id") for m in marks) == ["suppressed-2-2", "suppressed-3-1"]
    assert all("".join(m.itertext()).strip() == SUPPRESSED_MARK for m in marks)
    # the suppressed value (1 man in row 2) is not a bar label anywhere
    labels = [t.text.strip() for t in root.iter(f"{SVG}text") if t.text]
    assert "1" not in labels and "9" in labels and "21" in labels
    assert SYNTHETIC_MARK not in "".join(root.itertext())
    only = _svg_root(charts.bar_chart(table, value_columns=["Totalt"], fmt="svg"))
    assert sorted(_ids(only, "bar-")) == ["bar-0-3", "bar-1-3", "bar-2-3", "bar-3-3"]
    with pytest.raises(ValueError):
        charts.bar_chart(table, value_columns=["Okänd"])


def test_synthetic_chart_carries_a_visible_watermark(charts):
    root = _svg_root(charts.bar_chart(outcome_table(synthetic=True), fmt="svg"))
    watermark = [g for g in root.iter(f"{SVG}g") if g.get("id") == "synthetic-watermark"]
    assert watermark and SYNTHETIC_MARK in "".join(watermark[0].itertext())
    for fn in (charts.funnel_chart, charts.duration_chart):
        t = duration_table()
        synthetic = Table(id=t.id, title=t.title, columns=t.columns, rows=t.rows, synthetic=True)
        assert SYNTHETIC_MARK in "".join(_svg_root(fn(synthetic, "svg")).itertext())


def test_funnel_and_duration_charts_mark_suppressed_rows(charts):
    funnel = Table(id="funnel", title="Tratt", columns=("Steg", "Deltagare"),
                   rows=(("Anställning", 41), ("Inskrivna", 120), ("Studier", 3)), suppressed=frozenset({(2, 1)}))
    root = _svg_root(charts.funnel_chart(funnel, "svg"))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.text in ("Anställning", "Inskrivna", "Studier")]
    assert ticks == ["Anställning", "Inskrivna", "Studier"]              # the table's order, not by count
    assert _ids(root, "suppressed-") == ["suppressed-2-1"] and len(_ids(root, "bar-")) == 2
    d = duration_table()
    d = Table(id=d.id, title=d.title, columns=d.columns, rows=d.rows, suppressed=frozenset({(1, 1)}))
    root = _svg_root(charts.duration_chart(d, "svg"))
    assert _ids(root, "suppressed-") == ["suppressed-1-1"] and sorted(_ids(root, "bar-")) == ["bar-0-1", "bar-2-1"]
    assert "45,5" not in "".join(root.itertext())


# --- the HTML report -------------------------------------------------------------------------------

def _report(se, charts, *, synthetic: bool):
    outcomes = outcome_table(synthetic=synthetic)
    durations = duration_table()
    if synthetic:
        durations = Table(id=durations.id, title=durations.title, columns=durations.columns, rows=durations.rows,
                          synthetic=True)
    png = charts.bar_chart(outcomes, fmt="png")
    svg = heatmap_svg(se, waiting=WAITING, completed=COMPLETED)
    page = render_html([outcomes, durations], title="Supported Employment – halvårsrapport <2026>",
                       charts={"outcomes_by_gender": png}, heatmaps={"Supported Employment": svg},
                       generated_at=GENERATED, synthetic=synthetic)
    return page, png


@pytest.mark.parametrize("synthetic", [True, False])
def test_html_report_is_complete_and_self_contained(se, charts, synthetic):
    page, png = _report(se, charts, synthetic=synthetic)
    assert page.startswith("<!DOCTYPE html>")
    doc = lxml_html.document_fromstring(page)
    text = doc.text_content()
    assert "Supported Employment – halvårsrapport <2026>" in doc.findtext(".//title")   # escaped, then read back
    assert "<2026>" not in page
    assert "2026-02-02 09:00" in text
    # every table: title, header, labels, values; suppressed cells as the mark, with the footnote
    for table in (outcome_table(), duration_table()):
        section = doc.get_element_by_id(f"tabell-{table.id}")
        assert table.title in section.findtext(".//h2")
        cells = [[c.text_content().strip() for c in tr] for tr in section.iterfind(".//table//tr")]
        assert cells[0] == list(table.columns)
        expected = [[str(v).replace(".", ",") if isinstance(v, float) else str(v) for v in row]
                    for row in table.display_rows()]
        assert cells[1:] == expected
    section = doc.get_element_by_id("tabell-outcomes_by_gender")
    assert [td.text for td in section.iterfind(".//td[@class='suppressed']")] == [SUPPRESSED_MARK] * 2
    assert "..: färre än k personer" in section.text_content()
    assert "färre än" not in doc.get_element_by_id("tabell-stage_durations").text_content()
    for note in outcome_table().notes:
        assert note in section.text_content()
    # table of contents links to every section
    toc = [a.get("href") for a in doc.iterfind(".//nav//a")]
    assert toc == ["#tabell-outcomes_by_gender", "#tabell-stage_durations", "#processkartor"]
    # the banner iff synthetic
    banners = doc.find_class("synthetic-banner")
    assert (len(banners) == 1 and banners[0].text_content() == SYNTHETIC_MARK) if synthetic else not banners
    # the chart, embedded
    img = section.find(".//img")
    assert img.get("src") == "data:image/png;base64," + base64.b64encode(png).decode()
    # the heatmap, inlined, with its counts
    heat = doc.get_element_by_id("processkartor")
    svg = heat.find(".//svg")
    assert svg is not None and (svg.get("viewBox") or svg.get("viewbox"))
    assert len(heat.findall(".//*[@data-element]")) > 40
    assert heat.find(".//g[@data-element='job_search']").text_content().count("31") == 1
    # nothing active, nothing external
    assert not doc.findall(".//script") and "<script" not in page.lower()
    assert not doc.findall(".//link") and not doc.findall(".//iframe")
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            if name.lower().split(":")[-1] in ("src", "href"):
                assert value.startswith(("#", "data:")), (el.tag, name, value[:40])
    assert not re.search(r"https?://(?!www\.w3\.org/)", page)   # namespace URIs only


def test_html_escapes_table_text_and_strips_active_svg():
    nasty = Table(id="x\"><script>", title="<b>Rubrik</b> & mer", columns=("Namn<", "Antal"),
                  rows=(("<img src=x onerror=alert(1)>", 3),), notes=("<i>not</i>",))
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
           '<image href="http://example.com/x.png"/><rect fill="url(http://evil/x#a)" width="5" height="5"/>'
           '<rect fill="url(#ok)" width="5" height="5"/></svg>')
    page = render_html([nasty], title="T", heatmaps={"H": svg}, generated_at=GENERATED, synthetic=False)
    doc = lxml_html.document_fromstring(page)
    assert not doc.findall(".//script") and not doc.findall(".//b") and not doc.findall(".//i")
    assert "<b>Rubrik</b> & mer" in doc.text_content()
    assert "<img src=x onerror=alert(1)>" in doc.text_content()
    assert not doc.findall(".//img") and "onload" not in page and "example.com" not in page and "evil" not in page
    assert 'fill="url(#ok)"' in page


def test_html_banner_when_any_table_is_synthetic_and_threshold_in_footnote():
    page = render_html([outcome_table(synthetic=True)], title="T", generated_at=GENERATED, synthetic=False,
                       suppression_k=5)
    doc = lxml_html.document_fromstring(page)
    assert doc.find_class("synthetic-banner")
    assert "..: färre än 5 personer" in doc.text_content()


def test_one_figure_in_both_formats_is_the_same_as_each_alone(charts):
    table = outcome_table(synthetic=True)
    both = charts.bar_chart(table, fmt=("png", "svg"))
    assert set(both) == {"png", "svg"}
    assert both["png"] == charts.bar_chart(table, fmt="png") and both["svg"] == charts.bar_chart(table, fmt="svg")
    with pytest.raises(ValueError, match="unknown chart format 'gif'"):
        charts.bar_chart(table, fmt=("png", "gif"))
