"""The engine over a real SQLite store and the shipped diagrams."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sedflow import (
    CaseStateError,
    Engine,
    ManualClock,
    RecordConflictError,
    TaskDataError,
    UnknownCaseError,
    UnknownProcessError,
    UnknownTaskError,
    open_store,
)
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.spiff.environment import CaseEnvironment
from sedflow.spiff.workflow import CaseWorkflow

from conftest import REFERRAL, fill, walk
from journals import JOURNALS
from paths import ENROL, OUTCOMES, PATHS, ST

SE = "supported_employment"


def compact(entries):
    return [f"{e.kind} {e.element_id}".removesuffix(" None")
            + (f" ->{','.join(e.data['to'])}" if e.kind == "gateway_taken" else "") for e in entries]


def expected(name):
    return [line.strip() for line in JOURNALS[name].strip().splitlines()]


def table_counts(store):
    return {t: store._query(f"SELECT count(*) FROM {t}")[0][0] for t in ("cases", "journal", "open_tasks")}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_end_event_with_its_exact_journal(engine, path):
    case = engine.start_case(SE, "p-0001", REFERRAL, actor="coach-1")
    submitted = []
    for element_id, choices in PATHS[path]:
        task = next(t for t in engine.list_tasks(case_id=case.case_id) if t.element_id == element_id)
        data = fill(task.form, choices)
        submitted.append((element_id, data))
        case = engine.complete_task(case.case_id, element_id, data, actor="coach-1")
        engine.clock.advance(days=7)
    outcome, end_reason = OUTCOMES[path]
    assert (case.status, case.outcome, case.end_reason, case.stages, case.tasks) == \
        ("completed", outcome, end_reason, [], [])
    journal = engine.case_history(case.case_id)
    assert compact(journal) == expected(path)
    assert [e.seq for e in journal] == sorted(e.seq for e in journal)
    assert journal[0].data == REFERRAL and journal[0].actor == "coach-1"
    completed = [(e.element_id, e.data) for e in journal if e.kind == "task_completed"]
    assert completed == submitted
    assert all(e.actor == "coach-1" for e in journal if e.kind == "task_completed")
    assert all(e.actor is None for e in journal if e.kind in ("task_ready", "gateway_taken", "event_reached"))
    ended = journal[-1]
    assert (ended.kind, ended.outcome, ended.end_reason, ended.element_id) == ("case_ended", outcome, end_reason, path)
    assert ended.at == engine.clock.now() - timedelta(days=7)
    assert all(e.definition_version == case.definition_version for e in journal)
    lanes = {e.element_id: e.lane for e in journal if e.kind == "task_ready"}
    assert lanes["first_contact"] == "coach" and lanes["participant_decision"] == "participant"
    if path == "end_employment":
        assert lanes["employer_engagement"] == "employer" and lanes["network_mapping"] == "partners"
        assert {e.process_id for e in journal if (e.element_id or "").startswith("st_")} == {"supported_training"}
        assert set(case.milestones) == {"enrolled", "employment_started"}
        assert case.data["recommended_direction"] == "JOB_SEARCH"  # the ST result flowed back into the SE case


def test_supported_training_runs_on_its_own(engine):
    case = engine.start_case("supported_training", "p-0002")
    case = walk(engine, case.case_id, ST)
    assert case.status == "completed"
    # the reminder (its date already past under the test's dates) is closed by the terminating end
    assert compact(engine.case_history(case.case_id))[-4:] == [
        "task_completed st_followup", "event_reached st_end", "task_cancelled st_assessment_check", "case_ended st_end"]


def test_case_view_tracks_stage_and_work_queue(engine):
    case = engine.start_case(SE, "p-0003", REFERRAL)
    assert case.stages == ["agreement"] and [t.element_id for t in case.tasks] == ["first_contact"]
    walk(engine, case.case_id, ENROL)
    shown = engine.show_case(case.case_id)
    assert shown.stages == ["vocational_profile"] and shown.milestones["enrolled"].startswith("2026-03")
    other = engine.start_case(SE, "p-0004", REFERRAL)
    queue = engine.list_tasks(lane="coach")
    assert {(t.case_id, t.element_id) for t in queue} == {(case.case_id, "vocational_profile"),
                                                          (other.case_id, "first_contact")}
    assert [c.case_id for c in engine.list_cases(stage="agreement")] == [other.case_id]
    assert [c.case_id for c in engine.list_cases(task="vocational_profile")] == [case.case_id]
    assert engine.list_tasks(lane="employer") == []
    assert queue[0].form is not None and queue[0].documentation


@pytest.mark.parametrize("data, field, message", [
    ({"first_contact_date": "2026-02-30"}, "first_contact_date", "expected a date"),
    ({}, "first_contact_date", "is required"),
    ({"first_contact_date": "2026-02-03", "shoe_size": 42}, "shoe_size", "unknown field"),
    ({"first_contact_date": "2026-02-03", "contact_mode": "PIGEON"}, "contact_mode", "is not one of"),
    ({"first_contact_date": "2026-02-03", "with_support_contact": "maybe"}, "with_support_contact", "true or false"),
])
def test_bad_task_data_is_refused_and_nothing_is_written(engine, store, data, field, message):
    case = engine.start_case(SE, "p-0005", REFERRAL)
    before = table_counts(store)
    with pytest.raises(TaskDataError, match=message) as info:
        engine.complete_task(case.case_id, "first_contact", data)
    assert info.value.field == field
    assert table_counts(store) == before and store.get_case(case.case_id).revision == case.revision


@pytest.mark.parametrize("data, field", [
    ({**REFERRAL, "birth_year": 1900}, "birth_year"),
    ({**REFERRAL, "birth_year": "nineteen"}, "birth_year"),
    ({k: v for k, v in REFERRAL.items() if k != "gender"}, "gender"),
    ({**REFERRAL, "referral_unit": "19980101-1234"}, "referral_unit"),  # a personnummer in free text
])
def test_bad_start_data_is_refused(engine, store, data, field):
    with pytest.raises(TaskDataError) as info:
        engine.start_case(SE, "p-0006", data)
    assert info.value.field == field and table_counts(store)["cases"] == 0


@pytest.mark.parametrize("key", ["199801011234", "19980101-1234", "", "has space", "x" * 65])
def test_participant_must_be_a_pseudonymous_key(engine, key):
    with pytest.raises(TaskDataError, match="pseudonymous"):
        engine.start_case(SE, key, REFERRAL)


def test_unknown_things_have_their_own_errors(engine):
    with pytest.raises(UnknownProcessError, match="unknown process 'nope'"):
        engine.start_case("nope", "p-1")
    with pytest.raises(UnknownCaseError):
        engine.complete_task("nope", "first_contact", {})
    with pytest.raises(UnknownCaseError):
        engine.case_history("nope")
    case = engine.start_case(SE, "p-0007", REFERRAL)
    with pytest.raises(UnknownTaskError, match="ready: first_contact"):
        engine.complete_task(case.case_id, "agreement", {})


def test_ended_case_takes_no_more_changes(engine, store):
    case = engine.start_case(SE, "p-0008", REFERRAL)
    engine.withdraw_case(case.case_id, "HEALTH")
    before = table_counts(store)
    for call in (lambda: engine.complete_task(case.case_id, "first_contact", {"first_contact_date": "2026-02-03"}),
                 lambda: engine.withdraw_case(case.case_id, "MOVED"),
                 lambda: engine.cancel_case(case.case_id, "OTHER")):
        with pytest.raises(CaseStateError, match="has ended"):
            call()
    assert table_counts(store) == before


@pytest.mark.parametrize("stop", [0, 3, 5, 7, 10, 12, 20, 22])
def test_withdrawal_from_any_stage(engine, stop):
    steps = PATHS["end_employment"]
    case = engine.start_case(SE, "p-0009", REFERRAL)
    walk(engine, case.case_id, steps[:stop])
    waiting = steps[stop][0]
    open_before = {t.element_id for t in engine.due(within=timedelta(days=3650), case_id=case.case_id)}
    assert waiting in open_before
    seen = len(engine.case_history(case.case_id))
    case = engine.withdraw_case(case.case_id, "MOVED", actor="coach-2")
    assert (case.status, case.outcome, case.end_reason, case.stages) == ("withdrawn", "NO_OUTCOME", "MOVED", [])
    assert engine.due(within=timedelta(days=3650), case_id=case.case_id) == []
    tail = compact(engine.case_history(case.case_id)[seen:])
    activities = {"supported_training_period"} if waiting.startswith("st_") else \
        {"support_period"} if waiting == "support_followup" else set()
    assert tail[0] == "activity_started withdrawal"
    assert {line.removeprefix("task_cancelled ") for line in tail[1:-4]} == open_before | activities
    assert tail[-4:] == ["event_reached withdrawal_received", "event_reached end_withdrawn",
                         "activity_completed withdrawal", "case_ended end_withdrawn"]
    ended = engine.case_history(case.case_id)[-1]
    assert (ended.actor, ended.end_reason, ended.data) == ("coach-2", "MOVED", {"status": "withdrawn"})


def test_withdrawal_leaves_later_cases_on_the_same_definition_alone(engine):
    first = engine.start_case(SE, "p-0010", REFERRAL)
    engine.withdraw_case(first.case_id, "MOVED")
    second = engine.start_case(SE, "p-0011", REFERRAL)
    assert [t.element_id for t in second.tasks] == ["first_contact"] and second.status == "active"
    assert walk(engine, second.case_id, PATHS["end_not_enrolled"]).outcome == "NO_OUTCOME"


def test_withdrawal_reason_is_checked(engine):
    case = engine.start_case(SE, "p-0012", REFERRAL)
    with pytest.raises(TaskDataError, match="end reason 'BORED'"):
        engine.withdraw_case(case.case_id, "BORED")


def test_cancel_is_an_administrative_stop(engine):
    case = engine.start_case(SE, "p-0013", REFERRAL)
    case = engine.cancel_case(case.case_id, "REGISTRATION_ERROR", actor="admin")
    assert (case.status, case.outcome, case.end_reason) == ("cancelled", "NO_OUTCOME", "REGISTRATION_ERROR")
    assert compact(engine.case_history(case.case_id))[-2:] == ["task_cancelled first_contact", "case_ended"]


@pytest.mark.parametrize("path", ["end_employment", "end_studies"])
def test_a_case_survives_a_restart_at_every_wait_state(store_url, definitions, path):
    clock = ManualClock("2026-02-02T09:00:00+00:00")
    with open_store(store_url, create=True) as store:
        case_id = Engine(store, definitions, clock=clock, profile=SE_PROFILE).start_case(SE, "p-0014", REFERRAL).case_id
    for element_id, choices in PATHS[path]:
        with open_store(store_url) as store:  # a new process, in effect: new store connection, new engine
            engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
            task = next(t for t in engine.list_tasks(case_id=case_id) if t.element_id == element_id)
            engine.complete_task(case_id, task.task_id, fill(task.form, choices))
        clock.advance(days=7)
    with open_store(store_url) as store:
        engine = Engine(store, definitions, clock=clock, profile=SE_PROFILE)
        assert engine.show_case(case_id).outcome == OUTCOMES[path][0]
        assert compact(engine.case_history(case_id)) == expected(path)


def test_a_case_resumes_on_its_own_version_from_the_store(store_url, definitions, tmp_path):
    """The store keeps the sources of every version a case started on."""
    from sedflow import load_files
    clock = ManualClock("2026-02-02T09:00:00+00:00")
    with open_store(store_url, create=True) as store:
        case_id = Engine(store, definitions, clock=clock, profile=SE_PROFILE).start_case(SE, "p-0015", REFERRAL).case_id
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for name, data in definitions.get(SE).sources.items():
        (renamed / name.rsplit("/", 1)[-1]).write_bytes(data.replace(b"F\xc3\xb6rsta kontakt", b"Kontakt 1"))
    newer = load_files(sorted(renamed.glob("*.bpmn")))
    with open_store(store_url) as store:
        engine = Engine(store, newer, clock=clock, profile=SE_PROFILE)
        [task] = engine.list_tasks(case_id=case_id)
        assert task.name == "Första kontakt"  # still the diagram the case started on
        case = engine.complete_task(case_id, "first_contact", {"first_contact_date": "2026-02-03"})
        assert case.definition_version == definitions.get(SE).version != newer.get(SE).version


def test_concurrent_completion_one_wins_one_conflicts(store_url, definitions):
    clock = ManualClock("2026-02-02T09:00:00+00:00")
    with open_store(store_url, create=True) as store:
        case = Engine(store, definitions, clock=clock, profile=SE_PROFILE).start_case(SE, "p-0016", REFERRAL)
    stores = [open_store(store_url), open_store(store_url)]
    engines = [Engine(s, definitions, clock=clock, profile=SE_PROFILE) for s in stores]
    barrier = threading.Barrier(2)
    results = []

    def coach(engine, n):
        barrier.wait()
        try:
            engine.complete_task(case.case_id, "first_contact", {"first_contact_date": "2026-02-03"},
                                 actor=f"coach-{n}", expected_revision=case.revision)
            results.append("ok")
        except RecordConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=coach, args=(e, n)) for n, e in enumerate(engines)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    history = engines[0].case_history(case.case_id)
    assert [e.kind for e in history].count("task_completed") == 1
    assert engines[0].show_case(case.case_id).revision == case.revision + 1
    for s in stores:
        s.close()


def test_a_stale_writer_is_refused_by_the_store(store_url, definitions):
    """Two engines that both loaded the same revision: the later commit fails and writes nothing."""
    clock = ManualClock("2026-02-02T09:00:00+00:00")
    a, b = open_store(store_url, create=True), open_store(store_url)
    engine_a = Engine(a, definitions, clock=clock, profile=SE_PROFILE)
    case = engine_a.start_case(SE, "p-0017", REFERRAL)
    stale = b.get_case(case.case_id)
    engine_a.complete_task(case.case_id, "first_contact", {"first_contact_date": "2026-02-03"})
    before = table_counts(b)
    stale.revision += 1
    with pytest.raises(RecordConflictError, match="changed by someone else"), b.transaction() as tx:
        tx.update_case(stale, expected_revision=case.revision)
        tx.append_journal([])
    assert table_counts(b) == before
    a.close(), b.close()


def test_500_follow_ups_stay_flat(engine, store):
    """A case in monthly support for 40 years: no stall, bounded state, correct end."""
    case = engine.start_case(SE, "p-0018", REFERRAL)
    steps = ENROL + [("vocational_profile", {"profile_sufficient": True}),
                     ("job_search", {"search_result": "JOB_OFFER"}),
                     ("employer_engagement", {}), ("employment_start", {"employment_type": "PERMANENT"})]
    walk(engine, case.case_id, steps)
    sizes = []
    for month in range(500):
        case = engine.complete_task(case.case_id, "support_followup",
                                    {"support_status": "CONTINUE", "work_pct": month % 100})
        assert "support_followup" in {t.element_id for t in case.tasks}
        engine.clock.advance(days=30)
        if month in (100, 499):  # after the one-year review has come due
            sizes.append(len(store.get_case(case.case_id).state))
    assert sizes[1] <= sizes[0] + 100 and sizes[1] < 4_000
    record = store.get_case(case.case_id)
    workflow, _ = CaseWorkflow.restore(record.state, engine.definition(record.definition_version),
                                               CaseEnvironment(engine.clock))
    assert workflow.task_count < 60
    case = walk(engine, case.case_id, [("support_followup", {"support_status": "STABLE"}), ("taper_off", {}),
                                       ("planned_closure", {"outcome": "EMPLOYMENT"})])
    assert (case.status, case.outcome) == ("completed", "EMPLOYMENT")
    journal = engine.case_history(case.case_id)
    assert sum(e.kind == "task_completed" and e.element_id == "support_followup" for e in journal) == 501
    assert case.data["work_pct"] == 99  # the summary holds the latest value; the journal holds every one


LOOP = (__import__("pathlib").Path(__file__).parent / "diagrams" / "loop.bpmn").read_bytes()


def loop_engine(store, clock, source=LOOP):
    from sedflow.definitions import load_sources
    return Engine(store, load_sources({"loop.bpmn": source}), clock=clock, profile=SE_PROFILE)


def test_withdrawal_needs_a_modelled_withdrawal(store, clock):
    engine = loop_engine(store, clock)
    case = engine.start_case("loop", "p-0019", {"gender": "M"})
    before = table_counts(store)
    with pytest.raises(CaseStateError, match="models no withdrawal"):
        engine.withdraw_case(case.case_id, "MOVED")
    assert table_counts(store) == before
    assert engine.cancel_case(case.case_id, "MOVED").status == "cancelled"


def test_a_failing_condition_names_the_element_and_writes_nothing(store, clock):
    from sedflow import EngineError
    engine = loop_engine(store, clock, LOOP.replace(b"${again}", b"${again and months > 3}"))
    case = engine.start_case("loop", "p-0020", {"gender": "F"})
    before = table_counts(store)
    with pytest.raises(EngineError, match="at element 'split'.*unknown name 'months'"):
        engine.complete_task(case.case_id, "follow_up", {"again": True})
    assert table_counts(store) == before and store.get_case(case.case_id).revision == case.revision
    assert engine.complete_task(case.case_id, "follow_up", {"again": False}).status == "completed"
