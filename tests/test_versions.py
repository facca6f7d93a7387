"""Process owners deploy new versions; running cases stay on theirs, or migrate when it is safe.

Each test edits the shipped diagrams the way a process owner would in the modeller, deploys the result
into a real store (SQLite and PostgreSQL) and drives real cases across the change.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sedflow import Engine, ManualClock, MigrationRefusedError, load_directory, open_store
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.reports import ReportFilter, Reports

from conftest import REFERRAL, walk
from diagram_edits import both, copy_processes, insert_task_after, rename, set_timer
from sedflow_cli.main import main

SE, ST = "supported_employment", "supported_training"
TO_AGREEMENT = [("first_contact", {}), ("information_dialogue", {"needs_more_information": False}),
                ("participant_decision", {"chooses_se": True}),
                ("agreement", {"agreement_date": "2026-02-23"})]  # the day walk() completes it
INTO_ST = TO_AGREEMENT + [("network_mapping", {}),
                          ("vocational_profile", {"profile_sufficient": False, "complement": "SUPPORTED_TRAINING"}),
                          ("st_agreement", {"st_period_start": "2026-03-01", "st_assessment_end_date": "2026-05-29"})]


@pytest.fixture
def clock():
    return ManualClock("2026-02-02T09:00:00+00:00")


@pytest.fixture
def engine(store, definitions, clock):
    return Engine(store, definitions, clock=clock, profile=SE_PROFILE)


def version(tmp_path, name, **edits):
    return load_directory(copy_processes(tmp_path / name, **edits))


def ready(engine, case_id):
    return sorted(t.element_id for t in engine.list_tasks(case_id=case_id))


def st_tasks(engine, case_id):
    """Tasks ready inside the called Supported Training process (the monthly follow-up runs beside it)."""
    return [t.element_id for t in engine.list_tasks(case_id=case_id) if t.process_id == ST]


def timers(engine, case_id):
    return {t.element_id: t.due_at for t in engine.due(within=timedelta(days=3650), case_id=case_id)
            if t.kind == "timer"}


def test_deploy_records_each_new_version_and_what_changed(engine, tmp_path):
    first = {d.process_id: d for d in engine.deploy(actor="owner")}
    assert first[SE].deployed and first[SE].previous is None and first[ST].deployed
    assert not any(d.deployed for d in engine.deploy())  # same content: same version, nothing recorded

    v2 = version(tmp_path, "v2", supported_employment=both(
        insert_task_after("network_mapping", "extra_call", "Extra samtal"), rename("agreement", "Avtal")))
    second = {d.process_id: d for d in engine.deploy(v2, actor="owner")}
    assert {pid for pid, d in second.items() if d.deployed} == {SE}  # the other diagrams are byte for byte the same
    se = second[SE]
    assert se.deployed and se.previous == first[SE].version and se.version == v2.get(SE).version
    assert [(c.element_id, c.kind) for c in se.changes.added] == [("extra_call", "userTask"),
                                                                   ("flow_extra_call", "sequenceFlow")]
    assert {(c.element_id, c.aspects) for c in se.changes.changed} == {
        ("agreement", ("@name",)), ("flow_network_profile", ("@targetRef",))}
    assert not se.changes.removed

    history = engine.deployments(SE)
    assert [d.version for d in history] == [first[SE].version, se.version]
    assert history[-1].actor == "owner" and history[-1].changes["previous"] == first[SE].version
    assert engine.store.definition_sources(first[SE].version)  # earlier versions are kept


def test_new_cases_start_on_the_deployed_version_and_old_cases_keep_theirs(engine, definitions, tmp_path, clock):
    old = engine.start_case(SE, "p-old", REFERRAL).case_id
    assert [d.version for d in engine.deployments(SE)] == [definitions.get(SE).version]  # the first case deployed it
    v2 = version(tmp_path, "v2", supported_employment=insert_task_after("first_contact", "extra_call", "Extra samtal"))
    engine.deploy(v2)
    # Another program that still loads the old diagrams starts new cases on the deployed version all the same.
    other = Engine(engine.store, definitions, clock=clock, profile=SE_PROFILE)
    new = other.start_case(SE, "p-new", REFERRAL)
    assert new.definition_version == v2.get(SE).version

    walk(other, old, [("first_contact", {})])
    walk(other, new.case_id, [("first_contact", {})])
    assert ready(other, old) == ["information_dialogue"]  # the version it started on
    assert ready(other, new.case_id) == ["extra_call"]
    assert other.show_case(old).definition_version == definitions.get(SE).version


def test_migration_picks_up_a_task_inserted_after_the_current_one(engine, tmp_path):
    case_id = engine.start_case(SE, "p-insert", REFERRAL).case_id
    walk(engine, case_id, TO_AGREEMENT)
    assert ready(engine, case_id) == ["network_mapping"]
    due_before = timers(engine, case_id)
    assert "followup_due" in due_before  # the monthly follow-up of the agreement is waiting
    v1 = engine.show_case(case_id).definition_version
    v2 = version(tmp_path, "v2",
                 supported_employment=insert_task_after("network_mapping", "extra_call", "Extra samtal"))
    engine.deploy(v2)
    to = v2.get(SE).version

    [plan] = engine.migrate_cases(to[:8], dry_run=True)
    assert (plan.case_id, plan.action, plan.from_version, plan.to_version) == (case_id, "migrate", v1, to)
    assert plan.changes == ("new task 'extra_call' (Extra samtal)",)
    assert engine.show_case(case_id).definition_version == v1  # a dry run writes nothing

    done = engine.migrate_case(case_id, to, actor="admin")
    assert done.action == "migrated"
    case = engine.show_case(case_id)
    assert case.definition_version == to and ready(engine, case_id) == ["network_mapping"]
    assert timers(engine, case_id) == due_before  # waiting timers keep their due time
    [migrated] = [e for e in engine.case_history(case_id) if e.kind == "case_migrated"]
    assert (migrated.data["from_version"], migrated.data["to_version"], migrated.actor) == (v1, to, "admin")
    assert migrated.definition_version == to

    walk(engine, case_id, [("network_mapping", {})])
    assert ready(engine, case_id) == ["extra_call"]
    later = [e for e in engine.case_history(case_id) if e.seq > migrated.seq]
    assert {e.definition_version for e in later} == {to}


@pytest.mark.parametrize("edit, reason", [
    (rename("network_mapping", "Nätverkskarta"), "task 'network_mapping' (Kartläggning av professionellt nätverk), "
                                                 "which the case is working on, was changed (bpmn_name)"),
    (rename("first_contact", "Första samtal"), "task 'first_contact' (Första kontakt), which the case has completed, "
                                               "was changed (bpmn_name)"),
])
def test_migration_refuses_a_changed_current_or_completed_task(engine, tmp_path, edit, reason):
    case_id = engine.start_case(SE, "p-rename", REFERRAL).case_id
    walk(engine, case_id, TO_AGREEMENT)
    before = engine.show_case(case_id)
    journal = engine.case_history(case_id)
    engine.deploy(version(tmp_path, "v2", supported_employment=edit))

    [plan] = engine.migrate_cases("latest", process_id=SE, dry_run=True)
    assert plan.action == "refuse" and reason in plan.reasons
    with pytest.raises(MigrationRefusedError, match="cannot move to version") as refused:
        engine.migrate_case(case_id, plan.to_version)
    assert reason in refused.value.plan.reasons
    [again] = engine.migrate_cases("latest", process_id=SE)  # --all reports it instead of raising
    assert again.action == "refuse"
    after = engine.show_case(case_id)
    assert (after.definition_version, after.revision) == (before.definition_version, before.revision)
    assert engine.case_history(case_id) == journal  # nothing written


def test_migration_refuses_a_removed_current_task(engine, tmp_path):
    case_id = engine.start_case(SE, "p-removed", REFERRAL).case_id
    v2 = version(tmp_path, "v2", supported_employment=insert_task_after("first_contact", "extra_call", "Extra samtal"))
    engine.deploy(v2)
    engine.migrate_case(case_id, v2.get(SE).version)
    walk(engine, case_id, [("first_contact", {})])
    assert ready(engine, case_id) == ["extra_call"]
    engine.deploy(version(tmp_path, "v3"))  # back to the shipped diagram: extra_call is gone
    [plan] = engine.migrate_cases("latest", process_id=SE, dry_run=True)
    assert plan.reasons == ("task 'extra_call' (Extra samtal), which the case is working on, was removed",)


def test_a_changed_supported_training_migrates_a_case_inside_it(engine, tmp_path):
    case_id = engine.start_case(SE, "p-st", REFERRAL).case_id
    walk(engine, case_id, INTO_ST)
    assert st_tasks(engine, case_id) == ["st_competence_profile"]
    v2 = version(tmp_path, "v2", supported_training=insert_task_after("st_competence_profile", "st_safety",
                                                                       "Arbetsmiljögenomgång"))
    deployed = {d.process_id: d for d in engine.deploy(v2)}
    # The SE version covers the processes it calls: it is new too, and lists the change inside Supported Training.
    assert deployed[SE].deployed and ("supported_training", "st_safety") in {
        (c.process_id, c.element_id) for c in deployed[SE].changes.added}

    [plan] = engine.migrate_cases("latest", process_id=SE)
    assert plan.action == "migrated" and plan.changes == ("new task 'st_safety' (Arbetsmiljögenomgång)",)
    walk(engine, case_id, [("st_competence_profile", {})])
    assert st_tasks(engine, case_id) == ["st_safety"]
    assert [e.data["to_version"] for e in engine.case_history(case_id) if e.kind == "case_migrated"] == [
        deployed[SE].version]


def test_a_changed_timer_is_rescheduled_on_migration(engine, tmp_path, clock):
    case_id = engine.start_case(SE, "p-timer", REFERRAL).case_id
    walk(engine, case_id, TO_AGREEMENT)
    engine.deploy(version(tmp_path, "v2", supported_employment=set_timer("followup_due", "P14D")))
    [plan] = engine.migrate_cases("latest", process_id=SE)
    assert plan.action == "migrated" and any("followup_due" in c and "rescheduled" in c for c in plan.changes)
    assert timers(engine, case_id)["followup_due"] == clock.now() + timedelta(days=14)


def test_reports_can_be_cut_by_definition_version(engine, tmp_path, definitions):
    for n in range(3):
        walk(engine, engine.start_case(SE, f"p-v1-{n}", REFERRAL).case_id, TO_AGREEMENT)
    v2 = version(tmp_path, "v2", supported_employment=rename("agreement", "Avtal"))
    engine.deploy(v2)
    walk(engine, engine.start_case(SE, "p-v2", REFERRAL).case_id, TO_AGREEMENT)
    engine.store.set_meta("synthetic", "true")  # counts this small are shown unsuppressed only for synthetic data
    reports = Reports(engine.store, definitions, profile=SE_PROFILE, suppress=False)

    def clients(**where):
        return reports.run("outcomes_by_gender", ReportFilter(**where)).value("Totalt antal klienter", "Totalt")

    assert clients() == 4
    assert clients(definition_version=definitions.get(SE).version) == 3
    assert clients(definition_version=v2.get(SE).version) == 1


def test_cli_deploy_versions_and_migrate(store_url, tmp_path):
    runner = CliRunner()

    def cli(*args, code=0):
        result = runner.invoke(main, ["--store", store_url, *args])
        assert result.exit_code == code, result.output
        return result.output

    first = cli("processes", "deploy")
    assert "supported_employment     deployed" in first and "(first version)" in first
    assert "unchanged" in cli("processes", "deploy")
    case = json.loads(cli("case", "start", SE, "--participant", "p-cli", *[a for k, v in REFERRAL.items()
                                                                          for a in ("--set", f"{k}={v}")], "--json"))
    v2 = copy_processes(tmp_path / "v2", supported_employment=insert_task_after("first_contact", "extra_call",
                                                                                 "Extra samtal"))
    out = cli("processes", "deploy", *sorted(str(p) for p in v2.glob("*.bpmn")), "--actor", "owner")
    assert "+ supported_employment:extra_call (userTask, 'Extra samtal')" in out
    assert "~ supported_employment:flow_first_contact_dialogue (sequenceFlow): @targetRef" in out
    history = json.loads(cli("processes", "versions", SE, "--json"))
    assert [h["current"] for h in history] == [False, True] and history[1]["added"] == 2

    dry = cli("case", "migrate", "--all", "--to", "latest", "--process", SE, "--dry-run")
    assert f"{case['case_id']}  migrate" in dry and "new task 'extra_call'" in dry
    assert f"{case['case_id']}  migrated" in cli("case", "migrate", case["case_id"], "--to", "latest")
    assert "current" in cli("case", "migrate", case["case_id"], "--to", "latest")
    v2_version = history[1]["version"]
    assert "Tratt" in cli("report", "funnel", "--version", v2_version[:6])  # reports cut by a version prefix

    v3 = copy_processes(tmp_path / "v3", supported_employment=both(
        insert_task_after("first_contact", "extra_call", "Extra samtal"), rename("first_contact", "Kontakt")))
    cli("processes", "deploy", *sorted(str(p) for p in v3.glob("*.bpmn")))
    refused = cli("case", "migrate", case["case_id"], "--to", "latest", code=6)
    assert "refuse" in refused and "which the case is working on, was changed (bpmn_name)" in refused
    assert "is not a known version" in cli("case", "migrate", "--all", "--to", "ffffffff", code=4)
    assert "name one CASE_ID or use --all" in cli("case", "migrate", "--to", "latest", code=2)


def test_an_upgraded_store_counts_the_versions_cases_ran_on_as_deployed(store_url, definitions, clock):
    from test_store import at_version
    at_version(store_url, 3)
    with open_store(store_url, migrate=True) as store:
        assert store.deployments() == []
    with open_store(store_url) as store:
        Engine(store, definitions, clock=clock, profile=SE_PROFILE).start_case(SE, "p-up", REFERRAL)
    # Simulate a v3 store that has cases: roll back to v3 keeping the definitions row, then upgrade.
    with open_store(store_url) as store:
        version_row = store.query("SELECT version, process_id FROM definitions")
        with store._write() as cur:
            cur.execute("DROP TABLE erasures")  # v12's retention and erasure
            cur.execute("ALTER TABLE cases DROP COLUMN purged_at")
            cur.execute("DROP TABLE external_tasks")  # v10's external tasks
            for table in ("signal_deliveries", "signals", "signal_waits"):  # v9's signals across cases
                cur.execute(f"DROP TABLE {table}")
            for column in ("incident_kind", "failures", "retry_at"):  # v8's incident kinds and backoff
                cur.execute(f"ALTER TABLE cases DROP COLUMN {column}")
            cur.execute("DROP TABLE feed_consumers")  # v7's feed: consumers, and on PostgreSQL the writer's xid
            if store.PARAM == "%s":
                cur.execute("ALTER TABLE journal DROP COLUMN writer_xid")
            cur.execute("DROP INDEX cases_incident")  # v6's incident columns
            for column in ("incident_process", "incident_element", "incident_reason", "incident_since"):
                cur.execute(f"ALTER TABLE cases DROP COLUMN {column}")
            cur.execute("DROP TABLE deployments")
            cur.execute("DROP INDEX journal_kind_element")  # v5's index, back to v3's
            cur.execute("CREATE INDEX journal_kind_case ON journal(kind, element_id, case_id)")
            cur.execute(store._sql("UPDATE sedflow_meta SET value = ? WHERE key = ?"), ("3", "schema_version"))
    with open_store(store_url, migrate=True) as store:
        assert [(d.version, d.process_id) for d in store.deployments()] == [tuple(r) for r in version_row]


def test_migration_errors_name_what_is_wrong(engine, definitions):
    from sedflow import CaseStateError, UnknownVersionError
    case_id = engine.start_case(SE, "p-errors", REFERRAL).case_id
    ima = engine.start_case("ima", "p-ima", {**REFERRAL, "income_support": "SOCIAL_ASSISTANCE"})
    with pytest.raises(CaseStateError, match=f"is of process 'ima'; case '{case_id}' runs '{SE}'"):
        engine.migrate_case(case_id, ima.definition_version)
    with pytest.raises(UnknownVersionError, match="'latest' needs a process"):
        engine.migrate_cases("latest")
    with pytest.raises(UnknownVersionError, match="'ab' is not a known version"):
        engine.plan_migration(case_id, "ab")  # too short to be a prefix
    engine.cancel_case(case_id, "REGISTRATION_ERROR")
    with pytest.raises(CaseStateError, match="has ended"):
        engine.migrate_case(case_id, definitions.get(SE).version)
