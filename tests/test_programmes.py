"""Every programme runs in the demo, and every report works for it.

One store (each backend) holds a random demo run of every shipped programme; each report of the
catalogue is then cut by programme and checked against the cases themselves. The per-programme tests
(``test_programme_*.py``) walk each diagram through every end event.
"""

from __future__ import annotations

from collections import Counter

import pytest
from click.testing import CliRunner
from sedflow import PROCESSES_DIR, Engine, ManualClock, Profile, load_directory, open_store
from sedflow.programmes.se import END_REASONS
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.reports import ReportFilter, Reports
from sedflow.simulation import run_demo, run_scenario

from sedflow_cli.main import main

CALLED_ONLY = {"supported_training"}  # started from another programme, never on its own
PROGRAMMES = sorted(d.process_id for d in load_directory(PROCESSES_DIR) if d.process_id not in CALLED_ONLY)


def test_every_programme_is_shipped_with_demo_decisions(definitions):
    assert set(PROGRAMMES) == {"supported_employment", "gavle_se_coach", "habo_ips", "botkyrka_sed", "jagmed",
                               "ima"}
    simulation = SE_PROFILE.simulation
    assert set(simulation.processes) == set(PROGRAMMES)
    assert set(simulation.withdrawal_reasons) <= END_REASONS
    for pid in PROGRAMMES:
        definition = definitions.get(pid)
        tasks = {e.id: e.form for e in definition.user_tasks()}
        process = simulation.processes[pid]
        assert set(process.decisions) <= set(tasks), f"{pid}: demo decisions for tasks the diagram lacks"
        start = {f.id: f for f in definition.start_form.fields}
        assert set(process.start) <= set(start), f"{pid}: start weights for fields the start form lacks"
        for task, decisions in process.decisions.items():
            for name, weights in decisions.items():
                field = tasks[task].field(name)
                assert field is not None, f"{pid}.{task}.{name}: not on the form"
                assert field.type != "enum" or {v for v, _ in weights} <= {code for code, _ in field.options}, \
                    f"{pid}.{task}.{name}: a weighted value the form does not offer"
        for name, weights in process.start.items():
            assert {v for v, _ in weights} <= {code for code, _ in start[name].options}, f"{pid}: start {name}"


def test_every_free_text_field_has_plausible_values(definitions):
    """The demo never types filler: every text field of every diagram has values in texts.toml, and the
    referring units name the places of each programme."""
    simulation = SE_PROFILE.simulation
    for definition in definitions:
        forms = [definition.start_form, *(e.form for e in definition.user_tasks())]
        for field in (f for form in forms if form for f in form.fields if f.type == "string"):
            assert field.id in simulation.texts, f"{definition.process_id}: no values for {field.id}"
    places = simulation.processes["supported_employment"].places
    units = simulation.texts["referral_unit"]
    assert units.choices({"referral_source": "PSYCHIATRY"}, places) == ("Psykiatrin Umeå",)
    for pid in PROGRAMMES:
        source_field = definitions.get(pid).start_form.field("referral_source")
        options = {code for code, _ in source_field.options}
        assert options <= set(units.by_value), "a referral source without referring units"
        named = [u for source in options for u in units.choices({"referral_source": source},
                                                                simulation.processes[pid].places)]
        assert len(named) == len(set(named)), f"{pid}: a referring unit under two sources"


def test_a_profile_without_a_simulation_runs_no_demo(tmp_path):
    from sedflow import SedflowError
    with open_store(f"sqlite:///{tmp_path}/g.db", create=True) as store:
        # The programme's rules without its demo (the generic engine delivers no withdrawal message, so it
        # refuses the shipped diagrams' withdrawal event sub-processes).
        rules_only = Profile(name="rules only", rules=SE_PROFILE.rules)
        engine = Engine(store, load_directory(PROCESSES_DIR), clock=ManualClock("2025-01-06T08:00:00+00:00"),
                        profile=rules_only)
        with pytest.raises(SedflowError, match="defines no simulation"):
            run_demo(engine, process_id="supported_employment", participants=1)
        with pytest.raises(SedflowError, match="defines no simulation"):
            run_scenario(engine, "natkraft")
        engine = Engine(store, load_directory(PROCESSES_DIR), clock=ManualClock("2025-01-06T08:00:00+00:00"),
                        profile=SE_PROFILE)
        with pytest.raises(SedflowError, match="unknown scenario 'nope' \\(scenarios: natkraft, gavle\\)"):
            run_scenario(engine, "nope")
        assert store.is_empty()


def test_the_default_demo_names_real_referring_units(tmp_path):
    """``sedflow demo``'s first report: every unit a vocabulary name of its source, each listed once, and
    not every row hidden by the small-count suppression."""
    definitions = load_directory(PROCESSES_DIR)
    with open_store(f"sqlite:///{tmp_path}/demo.db", create=True) as store:
        engine = Engine(store, definitions, clock=ManualClock("2025-01-06T08:00:00+00:00"), profile=SE_PROFILE)
        run_demo(engine, process_id="supported_employment", participants=50, seed=1)
        table = Reports(store, definitions, profile=SE_PROFILE, suppress=False).run("referral_sources")
        published = Reports(store, definitions, profile=SE_PROFILE).run("referral_sources")
    simulation = SE_PROFILE.simulation
    places = simulation.processes["supported_employment"].places
    body = table.rows[:-1]
    assert table.rows[-1][0] == "Totalt" and table.rows[-1][2] == 50
    for unit, source, _ in body:
        assert unit in simulation.texts["referral_unit"].choices({"referral_source": source.code}, places), unit
    assert len({unit for unit, *_ in body}) == len(body)  # one row per unit: no unit under two sources
    assert len({(source, unit) for unit, source, _ in body}) == len(body)
    shown = [r for r, row in enumerate(published.rows[:-1]) if (r, 2) not in published.suppressed]
    assert shown  # not every row is hidden: the large referrers are published as they are


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_store(request, tmp_path_factory):
    from conftest import fresh_store_url
    urls = fresh_store_url(request.param, tmp_path_factory.mktemp("programmes"))
    url = next(urls)
    definitions = load_directory(PROCESSES_DIR)
    with open_store(url, create=True) as store:
        engine = Engine(store, definitions, clock=ManualClock("2025-01-06T08:00:00+00:00"), profile=SE_PROFILE)
        results = {pid: run_demo(engine, process_id=pid, participants=20, seed=7) for pid in PROGRAMMES}
    yield url, definitions, results
    next(urls, None)


@pytest.mark.parametrize("pid", PROGRAMMES)
def test_the_demo_runs_each_programme_to_its_ends(demo_store, pid):
    url, definitions, results = demo_store
    result = results[pid]
    assert len(result.cases) == 20 and sum(result.by_status.values()) == 20
    assert "active" not in result.by_status  # every random participant reached an end
    with open_store(url) as store:
        ends = Counter(e.element_id for e in store.read_journal() if e.kind == "case_ended" and e.process_id == pid)
    assert sum(ends.values()) == 20 and len(ends) >= 3  # several different end events, not one path


@pytest.mark.parametrize("pid", PROGRAMMES)
def test_every_report_works_for_each_programme(demo_store, pid):
    url, definitions, _ = demo_store
    with open_store(url) as store:
        reports = Reports(store, definitions, profile=SE_PROFILE, suppress=False)
        where = ReportFilter(process_id=pid)
        tables = {name: build(where) for name, build in reports.catalogue().items()}
        cases = [c for c in store.list_cases() if c.process_id == pid]
    enrolled = [c for c in cases if "enrolled" in c.milestones]
    assert all(t.rows for name, t in tables.items() if name not in ("employment_forms", "first_employer_contact"))
    by_gender = tables["outcomes_by_gender"]
    assert by_gender.value("Totalt antal klienter", "Totalt") == len(enrolled)
    assert by_gender.value("Totalt antal i studier", "Totalt") == sum(c.outcome == "STUDIES" for c in enrolled)
    ended = tables["closures"].value("Avslutade totalt", "Antal")
    assert ended == sum(c.status != "active" for c in cases)
    funnel = dict(tables["funnel"].rows)
    assert max(funnel.values()) <= len(cases) and funnel  # stages come from the diagram's own stage properties


def test_report_cli_takes_a_programme(demo_store):
    url, _, _ = demo_store
    for pid in PROGRAMMES:
        result = CliRunner().invoke(main, ["--store", url, "report", "outcomes_by_gender", "--process", pid,
                                           "--unsuppressed", "--format", "csv"])
        assert result.exit_code == 0, result.output
        assert "Totalt antal klienter" in result.output
