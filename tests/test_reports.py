"""Reports from the journal: the seed reports reproduced exactly from synthetic runs of the real engine."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from sedflow import Engine, ManualClock, open_store
from sedflow.definitions import load_sources
from sedflow.errors import ReportError
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.reports import ReportFilter, Reports
from sedflow.reports.heatmap import heatmap_svg
from sedflow.reports.privacy import suppress
from sedflow.reports.table import Table
from sedflow.simulation import run_scenario

from conftest import fresh_store_url

FIXTURES = {r["id"]: r for r in json.loads((Path(__file__).parent / "fixtures" / "report_fixtures.json")
                                           .read_text(encoding="utf-8"))["reports"]}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scenario_stores(request, tmp_path_factory, definitions):
    """Both seed scenarios, each in its own store, built once per backend."""
    stores, cleanups = {}, []
    for name in ("natkraft", "gavle"):
        urls = fresh_store_url(request.param, tmp_path_factory.mktemp(name))
        url = next(urls)
        cleanups.append(urls)
        store = open_store(url, create=True)
        engine = Engine(store, definitions, clock=ManualClock("2000-01-01T00:00:00+00:00"), profile=SE_PROFILE)
        result = run_scenario(engine, name)
        stores[name] = (store, result)
    yield stores
    for store, _ in stores.values():
        store.close()
    for urls in cleanups:
        next(urls, None)


def reports(stores, name, definitions, **kw):
    store, result = stores[name]
    return Reports(store, definitions, profile=SE_PROFILE, rule=result.rule, **kw), ReportFilter(period=result.period)


def test_natkraft_outcomes_by_gender(scenario_stores, definitions):
    rep, period = reports(scenario_stores, "natkraft", definitions, suppress=False)
    table = rep.run("outcomes_by_gender", period)
    for label, expected in FIXTURES["NK-T1"]["rows"].items():
        assert [table.value(label, c) for c in ("Kvinnor", "Män", "Totalt")] == \
            [expected["kvinnor"], expected["man"], expected["totalt"]]
    assert table.synthetic and table.suppressed == frozenset()


def test_natkraft_outcome_rate_against_target(scenario_stores, definitions):
    rep, period = reports(scenario_stores, "natkraft", definitions, suppress=False)
    table, k1 = rep.run("outcome_rate", period), FIXTURES["NK-K1"]
    assert table.value("Totalt", "Andel (%)") == 37.4 and k1["result_percent_stated"] == "37,4%"
    assert table.value("Totalt", "Arbete eller studier") == 58 and table.value("Totalt", "Klienter") == 155
    assert table.value("Totalt", "Mål (%)") == k1["target_percent"] and table.value("Totalt", "Mål uppnått") is True
    assert table.value("Kvinnor", "Andel (%)") == k1["derived_by_gender"]["kvinnor"]["pct"]
    assert table.value("Män", "Andel (%)") == k1["derived_by_gender"]["man"]["pct"]


def test_natkraft_referral_sources(scenario_stores, definitions):
    rep, _ = reports(scenario_stores, "natkraft", definitions, suppress=False)
    t2 = FIXTURES["NK-T2"]
    table = rep.run("referral_sources", ReportFilter(period=tuple(date.fromisoformat(d) for d in t2["period"])))
    counts = {row[0]: row[2] for row in table.rows}
    assert {r["source_sv"]: counts[r["source_sv"]] for r in t2["rows"]} == {r["source_sv"]: r["n"] for r in t2["rows"]}
    assert counts["Totalt"] == sum(r["n"] for r in t2["rows"]) == 55
    groups = {}
    for r in t2["rows"]:
        groups[r["group"]] = groups.get(r["group"], 0) + counts[r["source_sv"]]
    assert sorted(groups.values()) == sorted([8, 24, 6, 6, 11])  # the derived group subtotals


def test_gavle_outcomes_and_rates(scenario_stores, definitions):
    rep, period = reports(scenario_stores, "gavle", definitions, suppress=False)
    t = rep.run("outcomes_by_gender", period)
    assert [t.value("Totalt antal klienter", c) for c in ("Kvinnor", "Män", "Totalt")] == [
        FIXTURES["GV-T1"]["kvinnor"], FIXTURES["GV-T1"]["man"], FIXTURES["GV-T1"]["total"]]
    assert [t.value("Totalt antal i anställning", c) for c in ("Kvinnor", "Män", "Totalt")] == [
        FIXTURES["GV-T3"]["kvinnor"], FIXTURES["GV-T3"]["man"], FIXTURES["GV-T3"]["totalt_derived"]]
    assert [t.value("Totalt antal i studier", c) for c in ("Kvinnor", "Män", "Totalt")] == [
        FIXTURES["GV-T4"]["kvinnor"], FIXTURES["GV-T4"]["man"], FIXTURES["GV-T4"]["totalt_derived"]]
    rate = rep.run("outcome_rate", period)
    assert rate.value("Totalt", "Arbete eller studier") == FIXTURES["GV-F2"]["jobb_och_studier"] == 24
    assert rate.value("Totalt", "Andel (%)") == 63.0 and rate.value("Totalt", "Mål (%)") == 40.0  # 20 of 50


def test_gavle_closure_split_by_gender(scenario_stores, definitions):
    rep, period = reports(scenario_stores, "gavle", definitions, suppress=False)
    table, f3 = rep.run("closure_split", period), FIXTURES["GV-F3"]
    for label, key in (("Kvinnor", "kvinnor"), ("Män", "man")):
        split = f3["assumption_for_synthetic_split"][key]
        columns = ("Jobb och studier", "Kvar med insats AF", "Mot annan plan", "Avslutade")
        assert [table.value(label, c) for c in columns] == [
            split["jobb_och_studier"], split["kvar_med_insats_AF"], split["mot_annan_plan"], f3[key]["n"]]
    assert table.value("Kvinnor", "Andel inkl. kvar hos AF (%)") == 71.0  # printed "71%"
    assert table.value("Män", "Andel jobb/studier (%)") == 67.0            # printed "67%"
    assert table.value("Kvinnor", "Andel jobb/studier (%)") == 59.0        # derived 58.8, printed whole


def test_gavle_intake_and_forward_plans(scenario_stores, definitions):
    rep, period = reports(scenario_stores, "gavle", definitions, suppress=False)
    intake = rep.run("intake_by_year", period)
    planned = FIXTURES["GV-T2"]["planned"]
    assert [(row[0], row[1]) for row in intake.rows[:3]] == [(int(y), planned[y]) for y in ("2017", "2018", "2019")]
    assert intake.value("Totalt", "Faktiskt") == FIXTURES["GV-T2"]["actual_total"] == 38
    assert intake.value("Totalt", "Planerat") == planned["total"]
    closures = rep.run("closures", period)
    assert closures.value("Planering framåt: nej", "Antal") == FIXTURES["GV-N1"]["closed_without_forward_plan"]


def test_suppression_hides_a_small_cell_and_what_would_reveal_it():
    table = Table("t", "Test", ("", "Kvinnor", "Män", "Totalt"), (("Till arbete", 3, 9, 12), ("Klienter", 17, 21, 38)))
    hidden = suppress(table, 5, count_columns=(1, 2, 3), total_column=True)
    assert hidden.suppressed == {(0, 1), (0, 2)}  # the 3, and the 9 that 12 - 3 would otherwise give back
    assert hidden.display_rows()[0] == ["Till arbete", "..", "..", 12]
    assert hidden.value("Till arbete", "Kvinnor") is None


def test_published_reports_are_suppressed(scenario_stores, definitions):
    rep, period = reports(scenario_stores, "gavle", definitions)  # k = 5 by default
    split = rep.run("closure_split", period)
    assert split.value("Kvinnor", "Kvar med insats AF") is None  # 2 women
    assert split.value("Kvinnor", "Mot annan plan") is None       # secondary: 17 - 10 - 5 = 2
    assert split.value("Kvinnor", "Jobb och studier") == 10
    assert any("färre än 5" in note for note in split.notes)


def test_unsuppressed_output_only_for_synthetic_stores(store, definitions):
    with pytest.raises(ReportError, match="synthetic"):
        Reports(store, definitions, profile=SE_PROFILE, suppress=False)
    with pytest.raises(ReportError, match="at least 3"):
        Reports(store, definitions, profile=SE_PROFILE, k=2)


def test_every_report_runs_and_filters(scenario_stores, definitions):
    rep, period = reports(scenario_stores, "natkraft", definitions)
    for name in rep.catalogue():
        assert rep.run(name, period).id == name
    women = rep.run("outcomes_by_gender", ReportFilter(period=period.period, fields={"gender": "F"}))
    assert women.value("Totalt antal klienter", "Totalt") == 79
    with pytest.raises(ReportError, match="unknown report"):
        rep.run("nope")


def test_report_and_export_commands(store_url, tmp_path):
    import csv
    import io

    from click.testing import CliRunner
    from openpyxl import load_workbook

    from sedflow_cli.main import main
    runner = CliRunner()

    def cli(*args, code=0):
        result = runner.invoke(main, ["--store", store_url, *map(str, args)])
        assert result.exit_code == code, result.output
        return result.output

    assert "scenario gavle: 38 participants" in cli("demo", "--scenario", "gavle")
    text = cli("report", "closure_split", "--rule", "gavle", "--from", "2017-09-01", "--to", "2019-10-31")
    assert "SYNTETISKA DATA" in text and "Kvinnor" in text and ".." in text  # suppressed by default
    rows = list(csv.reader(io.StringIO(cli("report", "outcomes_by_gender", "--rule", "gavle", "--unsuppressed",
                                           "--format", "csv")), delimiter=";"))
    assert rows[0] == ["Klienter och utfall per kön"] and rows[2] == ["SYNTETISKA DATA – ej för publicering"]
    assert rows[4] == ["Totalt antal klienter", "17", "21", "0", "38"]
    data = json.loads(cli("report", "outcome_rate", "--rule", "gavle", "--format", "json"))
    assert data[0]["id"] == "outcome_rate" and data[0]["synthetic"] is True
    cli("report", "all", "--rule", "gavle", "--format", "xlsx", "-o", tmp_path / "r.xlsx")
    assert "Resultat vid avslut per kön" in load_workbook(tmp_path / "r.xlsx").sheetnames
    assert "unknown report 'nope'" in cli("report", "nope", code=10)  # ReportError's exit code
    assert "wrote" in cli("report", "html", tmp_path / "html", "--rule", "gavle")
    page = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert "SYNTETISKA DATA" in page and "Resultat vid avslut per kön" in page and "<svg" in page
    assert (tmp_path / "html" / "supported_employment" / "closure_split.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "html" / "supported_employment" / "funnel.svg").exists()
    assert "traces 38" in cli("export", "xes", tmp_path / "log.xes")
    assert "objects" in cli("export", "ocel", tmp_path / "log.json")


def test_the_demo_refuses_a_store_with_real_cases(store, definitions):
    from sedflow import SedflowError
    from sedflow.simulation import run_demo

    from conftest import REFERRAL
    engine = Engine(store, definitions, clock=ManualClock("2026-01-01T00:00:00+00:00"), profile=SE_PROFILE)
    engine.start_case("supported_employment", "p-real", REFERRAL)
    with pytest.raises(SedflowError, match="holds real cases"):
        run_demo(engine, process_id="supported_employment", participants=1)
    assert not store.is_synthetic()
    with pytest.raises(ReportError, match="synthetic"):
        Reports(store, definitions, profile=SE_PROFILE, suppress=False)


def test_durations_come_from_the_journal(engine, definitions):
    """Each step of the walk below takes 7 days: every task waits 7 days, the first one none."""
    from conftest import REFERRAL, walk
    from paths import PATHS
    case = engine.start_case("supported_employment", "p-dur", REFERRAL)
    walk(engine, case.case_id, PATHS["end_not_enrolled"])
    done = [e for e in engine.case_history(case.case_id) if e.kind == "task_completed"]
    assert [e.duration for e in done] == [0.0, 7 * 86400.0, 7 * 86400.0]
    engine.store.set_meta("synthetic", "true")
    tasks = Reports(engine.store, definitions, profile=SE_PROFILE, suppress=False).task_durations()
    assert {row[0]: row[2] for row in tasks.rows} == {"Första kontakt": 0.0, "Dialog och information om SE": 7.0,
                                                      "Väljer personen Supported Employment?": 7.0}
    stages = Reports(engine.store, definitions, profile=SE_PROFILE, suppress=False).stage_durations()
    assert stages.value("agreement", "Median") == 14.0  # ready on day 0, last task done on day 14


def test_natkraft_employment_forms(scenario_stores, definitions):
    rep, period = reports(scenario_stores, "natkraft", definitions, suppress=False)
    table, t3 = rep.run("employment_forms", period), FIXTURES["NK-T3"]
    assert table.value("Anställning i någon form", "Antal") == t3["employment_any_form"] == 37
    assert table.value("Traditionell anställning (utan anställningsstöd)", "Antal") == t3["traditional_employment"]
    assert table.value("Annan anställningsform (med stöd)", "Antal") == t3["other_employment_forms_derived"]
    low, high = t3["traditional_employment_work_time_pct_range"]
    assert low <= table.value("Traditionell anställning (utan anställningsstöd)", "Arbetstid lägst (%)")
    assert table.value("Traditionell anställning (utan anställningsstöd)", "Arbetstid högst (%)") <= high


def test_gavle_shares_of_permanent_jobs(scenario_stores, definitions):
    rep, period = reports(scenario_stores, "gavle", definitions, suppress=False)
    jobs = rep.run("outcomes_by_gender", period)
    women, men, total = (jobs.value("Totalt antal i anställning", c) for c in ("Kvinnor", "Män", "Totalt"))
    shares = FIXTURES["GV-T3"]["share_stated"]
    assert (f"{round(100 * women / total)}%", f"{round(100 * men / total)}%") == (shares["kvinnor"], shares["man"])


def test_gavle_case_timelines_as_date_arithmetic():
    """GV-CASES: the seed's timelines, used for date arithmetic only (SPEC §4.2)."""
    from sedflow.expressions import compile_expression
    case_a = next(c for c in FIXTURES["GV-CASES"]["cases"] if c["case"] == "A")
    days = compile_expression("days_between(meeting, closed)").evaluate(
        {"meeting": case_a["joint_meeting"], "closed": case_a["fk_case_closed"]})
    assert days == 55  # SPEC §1.10: 2019-05-07 -> 2019-07-01 took 55 days


def test_a_report_whose_rows_are_all_suppressed_says_so_in_one_line(scenario_stores, definitions):
    from sedflow.reports import to_text
    sources = Table("t", "Källor", ("Källa", "Grupp", "Antal"), (("A", "g", 2), ("B", "g", 3), ("Totalt", "", 5)))
    table = suppress(sources, 3, count_columns=(2,), total_row=True)
    assert table.all_suppressed
    lines = to_text(table).splitlines()
    assert "Alla 2 rader döljs" in lines[2] and ".." not in "\n".join(lines)  # the total (5) is shown, no marks
    assert lines[3].split() == ["Källa", "Grupp", "Antal"] and lines[5].split() == ["Totalt", "5"]
    assert not suppress(Table("t", "T", ("", "n"), (("a", 2), ("b", 9))), 3).all_suppressed  # one row is shown

    rep, period = reports(scenario_stores, "natkraft", definitions, suppress=False)
    rows = rep.run("referral_sources", period).rows
    k = max(n for *_, n in rows[:-1]) + 1                  # every source below k, the total not
    published, _ = reports(scenario_stores, "natkraft", definitions, k=k)
    text = to_text(published.run("referral_sources", period))
    assert f"Alla {len(rows) - 1} rader döljs" in text and text.count("..") == 1  # only in the k note
    assert "Totalt" in text and str(rows[-1][2]) in text


def test_heatmap_counts_belong_to_their_own_process(engine, definitions, tmp_path, monkeypatch):
    """SE and Håbo both draw a ``study_application`` task: each heatmap counts only its own process."""
    from sedflow.bpmn import ElementRef
    from sedflow.reports import bundle

    from conftest import REFERRAL, walk
    from paths import PATHS
    se, habo = "supported_employment", "habo_ips"
    walk(engine, engine.start_case(se, "p-se-1", REFERRAL).case_id, PATHS["end_studies"])  # 2 applications
    to_study = PATHS["end_studies"][:PATHS["end_studies"].index(("study_application", {"admitted": False}))]
    walk(engine, engine.start_case(se, "p-se-2", REFERRAL).case_id, to_study)               # 1 waiting
    habo_steps = [("bistand_decision", {"bistand_granted": True}), ("arrival", {}),
                  ("mapping", {"more_mapping_needed": False}), ("individual_plan", {"goal_type": "STUDIES"}),
                  ("bistand_dialogue", {}), ("find_studies", {}), ("study_application", {"admitted": False})]
    for n in range(3):                                                                      # 3 applications
        walk(engine, engine.start_case(habo, f"p-habo-{n}", REFERRAL).case_id, habo_steps)
    engine.store.set_meta("synthetic", "true")
    rep = Reports(engine.store, definitions, profile=SE_PROFILE, suppress=False)

    waiting, done = rep.element_counts()
    assert done[ElementRef(se, "study_application")] == 2 and done[ElementRef(habo, "study_application")] == 3
    assert waiting[ElementRef(se, "study_application")] == 1 and ElementRef(habo, "study_application") not in waiting
    journal = engine.store.read_journal()
    assert sum(done.values()) == sum(e.kind in ("task_completed", "timer_fired", "gateway_taken", "event_reached",
                                                "activity_completed") for e in journal)
    habo_only = rep.element_counts(ReportFilter(process_id=habo))
    assert {ref.process_id for counts in habo_only for ref in counts} == {habo}
    version = definitions.get(se).version
    assert all(ref.process_id in (se, "supported_training") for counts in
               rep.element_counts(ReportFilter(definition_version=version)) for ref in counts)
    assert rep.element_counts(ReportFilter(period=(date(1990, 1, 1), date(1990, 12, 31))))[1] == {}

    drawn = []
    monkeypatch.setattr(bundle, "heatmap_svg",
                        lambda definition, **counts: drawn.append((definition, counts)) or "<svg/>")
    older_se = load_sources(dict(definitions.get(se).sources)).get(se)  # another version of the same process
    bundle.write_html_report([definitions.get(se), definitions.get(habo), older_se], rep, ReportFilter(), tmp_path,
                             tables=[])
    # one heatmap per process, from the first definition given of it, in its programme's section (most cases first)
    assert [d for d, _ in drawn] == [definitions.get(habo), definitions.get(se)]
    for definition, counts in drawn:  # each process's heatmap shows that process's counts only
        svg = etree.fromstring(heatmap_svg(definition, **counts).encode())
        [node] = svg.xpath("//*[@data-element='study_application']")
        badges = {key: node.xpath(f".//@data-{key}") for key in ("waiting", "completed")}
        assert badges == ({"waiting": ["1"], "completed": ["2"]} if definition.process_id == se
                          else {"waiting": [], "completed": ["3"]})
