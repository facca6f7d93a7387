"""Every programme runs in the demo, and every report works for it.

One store (each backend) holds a random demo run of every shipped programme; each report of the
catalogue is then cut by programme and checked against the cases themselves. The per-programme tests
(``test_programme_*.py``) walk each diagram through every end event.
"""

from __future__ import annotations

from collections import Counter

import pytest
from click.testing import CliRunner

from sedflow import PROCESSES_DIR, Engine, ManualClock, load_directory, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.demo import DEMO_DECISIONS, run_demo
from sedflow.reports.engine import ReportFilter, Reports
from sedflow_cli.main import main

CALLED_ONLY = {"supported_training"}  # started from another programme, never on its own
PROGRAMMES = sorted(d.process_id for d in load_directory(PROCESSES_DIR) if d.process_id not in CALLED_ONLY)


def test_every_programme_is_shipped_with_demo_decisions():
    assert set(PROGRAMMES) == {"supported_employment", "gavle_se_coach", "habo_ips", "botkyrka_sed", "jagmed",
                               "ima"}
    for pid in PROGRAMMES:
        tasks = {e.id for e in load_directory(PROCESSES_DIR).get(pid).user_tasks()}
        assert set(DEMO_DECISIONS[pid]) <= tasks, f"{pid}: demo decisions for tasks the diagram lacks"


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
        reports = Reports(store, definitions, suppress=False)
        where = ReportFilter(process_id=pid)
        tables = {name: build(where) for name, build in reports.catalogue().items()}
        cases = [c for c in store.list_cases() if c.process_id == pid]
    enrolled = [c for c in cases if "enrolled" in c.milestones]
    assert all(t.rows for name, t in tables.items() if name not in ("employment_forms", "first_employer_contact"))
    by_label = {row[0]: row for row in tables["outcomes_by_gender"].rows}
    assert by_label["Totalt antal klienter"][3] == len(enrolled)
    assert by_label["Totalt antal i studier"][3] == sum(c.outcome == "STUDIES" for c in enrolled)
    ended = sum(row[2] for row in tables["closures"].rows if not str(row[0]).startswith("Planering framåt"))
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
