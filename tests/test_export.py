"""Event-log export on both backends: XES read back with PM4Py, OCEL 2.0 JSON checked for structure."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from sedflow.journal import JournalEntry
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.reports import write_ocel, write_xes
from sedflow.store import CaseRecord

from conftest import REFERRAL, walk
from paths import ENROL, PATHS, ST

SE = "supported_employment"
XES = "{http://www.xes-standard.org/}"
PERSONAL = ("gender", "birth_year", "referral_source", "income_support")

# Written out here rather than imported, so that the test states what the export should contain.
XES_LIFECYCLE = {"case_started": "start", "task_ready": "schedule", "task_completed": "complete",
                 "task_cancelled": "ate_abort", "timer_fired": "complete", "gateway_taken": "complete",
                 "event_reached": "complete", "activity_started": "start", "activity_completed": "complete",
                 "case_ended": "complete"}  # every kind but timer_waiting
OCEL_KINDS = {"task_completed", "timer_fired", "case_started", "case_ended"}
OCEL_TYPES = {"string", "time", "integer", "float", "boolean"}


def activity(entry):
    return {"case_started": "Case started", "case_ended": "Case ended"}.get(entry.kind) or entry.element_name


@pytest.fixture
def cases(engine):
    """Cases to three different ends, a withdrawal, a case still running, a standalone Supported Training
    case; participant p-0001 comes back for a second case."""
    started = {}
    for key, participant, path in (("employment", "p-0002", "end_employment"),
                                   ("not_enrolled", "p-0001", "end_not_enrolled"),
                                   ("studies", "p-0003", "end_studies")):
        case = engine.start_case(SE, participant, REFERRAL, actor="coach-1")
        walk(engine, case.case_id, PATHS[path])
        started[key] = case.case_id
    case = engine.start_case(SE, "p-0004", {**REFERRAL, "gender": "M", "birth_year": 1987})
    walk(engine, case.case_id, ENROL[:3])
    assert engine.withdraw_case(case.case_id, "MOVED").status == "withdrawn"
    started["withdrawn"] = case.case_id
    case = engine.start_case(SE, "p-0001", REFERRAL, actor="coach-2")
    walk(engine, case.case_id, ENROL[:4])
    started["active"] = case.case_id
    case = engine.start_case("supported_training", "p-0005")
    walk(engine, case.case_id, ST)
    started["training"] = case.case_id
    return started


def journals(store, process_id=None):
    """Case id -> journal, in the order cases started."""
    return {c.case_id: store.read_journal(c.case_id) for c in store.list_cases()
            if process_id in (None, c.process_id)}


# ---------------------------------------------------------------------------------------------- XES


def test_xes_reads_back_in_pm4py_with_every_trace_and_event(store, cases, tmp_path):
    import pm4py  # a test dependency: a missing PM4Py fails here rather than skipping

    path = tmp_path / "log.xes"
    summary = write_xes(store, path, profile=SE_PROFILE)
    expected = {case_id: [e for e in entries if e.kind in XES_LIFECYCLE]
                for case_id, entries in journals(store).items()}
    total = sum(map(len, expected.values()))
    assert summary == {"traces": len(cases), "events": total} and total > 200
    assert any(e.kind == "timer_waiting" for e in store.read_journal())  # filtered out, not absent

    df = pm4py.read_xes(str(path))
    assert df["case:concept:name"].nunique() == len(cases) and len(df) == total
    for case_id, entries in expected.items():
        trace = df[df["case:concept:name"] == case_id]
        assert list(trace["concept:name"]) == [activity(e) for e in entries]
        assert list(trace["lifecycle:transition"]) == [XES_LIFECYCLE[e.kind] for e in entries]
        assert list(trace["kind"]) == [e.kind for e in entries]
        assert list(trace["time:timestamp"]) == [e.at for e in entries]
        assert trace["time:timestamp"].is_monotonic_increasing
    completed = df[df["kind"] == "task_completed"]
    assert set(completed["org:resource"]) == {"coach-1"}
    assert {"first_contact", "st_agreement"} <= set(completed["element_id"])
    assert set(df[df["element_id"] == "participant_decision"]["org:role"]) == {"participant"}

    rows = df.drop_duplicates("case:concept:name").set_index("case:concept:name")
    assert rows.loc[cases["employment"], ["case:status", "case:outcome", "case:end_reason"]].tolist() == \
        ["completed", "EMPLOYMENT", "GOAL_ACHIEVED"]
    assert rows.loc[cases["withdrawn"], ["case:status", "case:end_reason"]].tolist() == ["withdrawn", "MOVED"]
    assert rows.loc[cases["training"], "case:process"] == "supported_training"
    assert rows.loc[cases["active"], "case:status"] == "active"
    assert not any(c.removeprefix("case:") in PERSONAL + ("participant",) for c in df.columns)


def test_xes_document_structure(store, cases, tmp_path):
    path = tmp_path / "log.xes"
    write_xes(store, path, profile=SE_PROFILE)
    raw = path.read_bytes()
    assert raw.startswith(b"<?xml version='1.0' encoding='utf-8'?>") and b"<!DOCTYPE" not in raw
    root = etree.fromstring(raw)
    assert root.tag == f"{XES}log" and root.get("xes.version") == "2.0"
    assert root.get("xes.features") == "nested-attributes"
    assert {e.get("prefix"): e.get("uri") for e in root.findall(f"{XES}extension")} == {
        p: f"http://www.xes-standard.org/{p}.xesext" for p in ("concept", "time", "lifecycle", "org")}
    scopes = {g.get("scope"): {a.get("key") for a in g} for g in root.findall(f"{XES}global")}
    assert scopes == {"trace": {"concept:name"},
                      "event": {"concept:name", "time:timestamp", "lifecycle:transition"}}
    [classifier] = root.findall(f"{XES}classifier")
    assert (classifier.get("name"), classifier.get("keys")) == ("Activity", "concept:name lifecycle:transition")
    # traces in order of case start, typed attributes, ISO timestamps with an offset
    traces = root.findall(f"{XES}trace")
    assert [t.find(f"{XES}string[@key='concept:name']").get("value") for t in traces] == \
        [c.case_id for c in store.list_cases()]
    for date in root.iterfind(f"{XES}trace/{XES}event/{XES}date"):
        assert date.get("key") == "time:timestamp"
        assert datetime.fromisoformat(date.get("value")).utcoffset() == timedelta(0)
    assert {e.tag.removeprefix(XES) for e in root.iterfind(f"{XES}trace/{XES}event/*")} == {"string", "date"}


def test_xes_personal_attributes_only_when_asked(store, cases, tmp_path):
    import pm4py

    plain, personal = tmp_path / "plain.xes", tmp_path / "personal.xes"
    write_xes(store, plain, profile=SE_PROFILE)
    write_xes(store, personal, profile=SE_PROFILE, include_personal=True)
    text = plain.read_text("utf-8")
    for name in PERSONAL + ("participant",):
        assert f'key="{name}"' not in text
    for participant in ("p-0001", "p-0002", "p-0004"):
        assert participant not in text
    for year in ("1998", "1987"):  # as a value: a random case id may hold the digits
        assert f'value="{year}"' not in text

    root = etree.parse(str(personal)).getroot()
    withdrawn = next(t for t in root.iterfind(f"{XES}trace")
                     if t.find(f"{XES}string[@key='concept:name']").get("value") == cases["withdrawn"])
    assert withdrawn.find(f"{XES}int[@key='birth_year']").get("value") == "1987"
    assert withdrawn.find(f"{XES}string[@key='gender']").get("value") == "M"
    assert withdrawn.find(f"{XES}string[@key='participant']").get("value") == "p-0004"
    df = pm4py.read_xes(str(personal))
    rows = df.drop_duplicates("case:concept:name").set_index("case:concept:name")
    assert rows.loc[cases["employment"], ["case:gender", "case:birth_year", "case:referral_source",
                                          "case:income_support", "case:participant"]].tolist() == \
        ["F", 1998, "PSYCHIATRY", "AE_WORK_CAPACITY", "p-0002"]


def test_xes_process_filter_file_object_and_empty_store(store, cases, tmp_path):
    out = io.BytesIO()
    summary = write_xes(store, out, profile=SE_PROFILE, process_id="supported_training")
    [entries] = journals(store, "supported_training").values()
    assert summary == {"traces": 1, "events": sum(e.kind in XES_LIFECYCLE for e in entries)}
    root = etree.fromstring(out.getvalue())
    assert [t.find(f"{XES}string[@key='concept:name']").get("value") for t in root.iterfind(f"{XES}trace")] == \
        [cases["training"]]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    none = write_xes(store, out_dir / "none.xes", profile=SE_PROFILE, process_id="no_such_process")
    assert none == {"traces": 0, "events": 0}
    assert etree.parse(str(out_dir / "none.xes")).getroot().find(f"{XES}trace") is None
    assert [p.name for p in out_dir.iterdir()] == ["none.xes"]  # no temporary file left behind


# --------------------------------------------------------------------------------------------- OCEL


def check_ocel(doc):
    """The OCEL 2.0 JSON structure: declared types, typed attributes, relationships to existing objects."""
    assert set(doc) == {"objectTypes", "eventTypes", "objects", "events"}
    declared = {}
    for section in ("objectTypes", "eventTypes"):
        assert isinstance(doc[section], list)
        names = [t["name"] for t in doc[section]]
        assert len(names) == len(set(names)) and all(isinstance(n, str) and n for n in names)
        for t in doc[section]:
            assert set(t) == {"name", "attributes"}
            assert all(set(a) == {"name", "type"} and a["type"] in OCEL_TYPES for a in t["attributes"])
            assert len({a["name"] for a in t["attributes"]}) == len(t["attributes"])
        declared[section] = {t["name"]: {a["name"]: a["type"] for a in t["attributes"]} for t in doc[section]}

    def typed(value, kind):
        checks = {"string": lambda v: isinstance(v, str), "integer": lambda v: type(v) is int,
                  "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                  "boolean": lambda v: isinstance(v, bool), "time": lambda v: aware(v)}
        return checks[kind](value)

    def aware(text):
        return isinstance(text, str) and datetime.fromisoformat(text).tzinfo is not None

    ids = [o["id"] for o in doc["objects"]]
    assert len(ids) == len(set(ids))
    ids = set(ids)
    for o in doc["objects"]:
        assert set(o) == {"id", "type", "attributes", "relationships"} and isinstance(o["id"], str)
        attributes = declared["objectTypes"][o["type"]]
        for a in o["attributes"]:
            assert set(a) == {"name", "time", "value"} and aware(a["time"])
            assert a["name"] in attributes and typed(a["value"], attributes[a["name"]])
        for r in o["relationships"]:
            assert set(r) == {"objectId", "qualifier"} and r["objectId"] in ids and r["qualifier"]
    event_ids = [e["id"] for e in doc["events"]]
    assert len(event_ids) == len(set(event_ids))
    for e in doc["events"]:
        assert set(e) == {"id", "type", "time", "attributes", "relationships"} and aware(e["time"])
        attributes = declared["eventTypes"][e["type"]]
        for a in e["attributes"]:
            assert set(a) == {"name", "value"} and a["name"] in attributes and typed(a["value"], attributes[a["name"]])
        assert e["relationships"]
        for r in e["relationships"]:
            assert set(r) == {"objectId", "qualifier"} and r["objectId"] in ids and r["qualifier"]
    assert {e["type"] for e in doc["events"]} == set(declared["eventTypes"])  # no unused declarations
    return declared


def related(event, qualifier):
    return [r["objectId"] for r in event["relationships"] if r["qualifier"] == qualifier]


def test_ocel_structure_counts_and_relationships(store, cases, tmp_path):
    path = tmp_path / "log.ocel.json"
    summary = write_ocel(store, path, profile=SE_PROFILE)
    doc = json.loads(path.read_text("utf-8"))
    declared = check_ocel(doc)
    by_case = journals(store)
    records = {c.case_id: c for c in store.list_cases()}
    expected = {case_id: [e for e in entries if e.kind in OCEL_KINDS] for case_id, entries in by_case.items()}
    assert summary["events"] == len(doc["events"]) == sum(map(len, expected.values()))
    assert summary["objects"] == len(doc["objects"])
    assert set(declared["eventTypes"]) == {activity(e) for entries in expected.values() for e in entries}

    objects = {o["id"]: o for o in doc["objects"]}
    kinds = {}
    for o in doc["objects"]:
        kinds.setdefault(o["type"], set()).add(o["id"])
    # six cases, five participants (p-0001 came back), no employer: the diagrams record none
    assert set(kinds) == {"participant", "case", "placement"} == set(declared["objectTypes"])
    assert kinds["case"] == {f"case:{c}" for c in cases.values()}
    assert kinds["participant"] == {f"participant:p-000{n}" for n in range(1, 6)}
    assert summary["objects_by_type"] == {t: len(v) for t, v in kinds.items()}

    for case_id, entries in expected.items():
        events = [e for e in doc["events"] if related(e, "case") == [f"case:{case_id}"]]
        assert [(e["type"], datetime.fromisoformat(e["time"])) for e in events] == \
            [(activity(e), e.at) for e in entries]
        participant = f"participant:{records[case_id].participant}"
        assert all(related(e, "participant") == [participant] for e in events)
        assert objects[f"case:{case_id}"]["relationships"] == [{"objectId": participant, "qualifier": "participant"}]

    # placements: the employment case's work placement and Supported Training period, the standalone period
    placements = [objects[i] for i in sorted(kinds["placement"])]
    owners = sorted((related(p, "case")[0], next(a["value"] for a in p["attributes"] if a["name"] == "placement_type"))
                    for p in placements)
    assert owners == sorted([(f"case:{cases['employment']}", "work_placement"),
                             (f"case:{cases['employment']}", "supported_training"),
                             (f"case:{cases['training']}", "supported_training")])
    st_period = [e for e in doc["events"] if e["type"] == "Överenskommelse (Supported Training)"
                 and related(e, "case") == [f"case:{cases['employment']}"]]
    [placement] = related(st_period[0], "placement")
    in_period = [e for e in doc["events"] if placement in related(e, "placement")]
    assert [e["type"] for e in in_period if e["type"] != "Bedömningsperioden slutar snart"] == [
        "Överenskommelse (Supported Training)", "Kompetensprofil", "Arbetsplatsprofil och introduktion",
        "Aktivitetsbaserad bedömning", "Uppföljning (Supported Training)"]
    assert not any(e["type"] in ("Case ended", "Yrkesprofil", "En månad har gått") for e in in_period)

    ended = objects[f"case:{cases['withdrawn']}"]["attributes"]
    assert [(a["name"], a["value"]) for a in ended] == [
        ("process", SE), ("definition_version", records[cases["withdrawn"]].definition_version),
        ("status", "active"), ("status", "withdrawn"), ("outcome", "NO_OUTCOME"), ("end_reason", "MOVED")]
    assert [a["value"] for a in objects[f"case:{cases['active']}"]["attributes"] if a["name"] == "status"] == ["active"]
    [last] = [e for e in doc["events"]
              if e["type"] == "Case ended" and related(e, "case") == [f"case:{cases['withdrawn']}"]]
    assert {a["name"]: a["value"] for a in last["attributes"]} == {
        "element_id": "end_withdrawn", "kind": "case_ended", "role": "participant", "outcome": "NO_OUTCOME",
        "end_reason": "MOVED"}


def test_ocel_personal_attributes_only_when_asked(store, cases, tmp_path):
    plain, personal = tmp_path / "plain.json", tmp_path / "personal.json"
    write_ocel(store, plain, profile=SE_PROFILE)
    write_ocel(store, personal, profile=SE_PROFILE, include_personal=True)
    doc = json.loads(plain.read_text("utf-8"))
    names = {a["name"] for section in ("objectTypes", "eventTypes") for t in doc[section] for a in t["attributes"]}
    names |= {a["name"] for item in doc["objects"] + doc["events"] for a in item["attributes"]}
    assert not names & set(PERSONAL)
    assert "1998" not in plain.read_text("utf-8") and "PSYCHIATRY" not in plain.read_text("utf-8")

    doc = json.loads(personal.read_text("utf-8"))
    check_ocel(doc)
    objects = {o["id"]: o for o in doc["objects"]}
    returning = objects["participant:p-0001"]["attributes"]
    assert [(a["name"], a["value"]) for a in returning] == [("gender", "F"), ("birth_year", 1998)]  # not repeated
    assert {(a["name"], a["value"]) for a in objects["participant:p-0004"]["attributes"]} == {
        ("gender", "M"), ("birth_year", 1987)}
    case = {a["name"]: a["value"] for a in objects[f"case:{cases['employment']}"]["attributes"]}
    assert (case["referral_source"], case["income_support"]) == ("PSYCHIATRY", "AE_WORK_CAPACITY")
    participant = next(t for t in doc["objectTypes"] if t["name"] == "participant")
    assert {a["name"]: a["type"] for a in participant["attributes"]} == {"gender": "string", "birth_year": "integer"}


def test_ocel_reads_in_pm4py_and_filters_by_process(store, cases, tmp_path):
    import pm4py

    path = tmp_path / "se.json"
    summary = write_ocel(store, path, profile=SE_PROFILE, process_id=SE)
    ocel = pm4py.read_ocel2_json(str(path))
    se = journals(store, SE)
    assert len(se) == 5 and len(ocel.events) == summary["events"] == \
        sum(e.kind in OCEL_KINDS for entries in se.values() for e in entries)
    assert len(ocel.objects) == summary["objects"] and set(ocel.objects["ocel:type"]) == {"case", "participant",
                                                                                           "placement"}
    assert f"case:{cases['training']}" not in set(ocel.objects["ocel:oid"])

    write_ocel(store, path, profile=SE_PROFILE, process_id="no_such_process")
    empty = json.loads(path.read_text("utf-8"))
    check_ocel(empty)
    assert (empty["objects"], empty["events"], empty["eventTypes"]) == ([], [], [])


# ------------------------------------------------ employers: no shipped diagram records one, so a stand-in store


class DiagramWithEmployers:
    """Just the two public reads the exports use, over cases whose task data names an employer."""

    def __init__(self):
        t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
        self.cases, self.entries = [], []
        for n, (participant, employer) in enumerate((("p-1", "org-556677"), ("p-2", "org-556677"))):
            case_id = f"c{n}"
            self.cases.append(CaseRecord(case_id=case_id, participant=participant, process_id="local",
                                         definition_version="v1", status="active", started_at=t0, updated_at=t0))
            self.entries += [
                JournalEntry(case_id=case_id, at=t0, kind="case_started", process_id="local",
                             definition_version="v1"),
                JournalEntry(case_id=case_id, at=t0 + timedelta(days=1), kind="task_completed", process_id="local",
                             definition_version="v1", element_id="placement", element_name="Praktik",
                             actor="coach-1", data={"employer_id": employer, "placement_start": "2026-03-03"}),
                JournalEntry(case_id=case_id, at=t0 + timedelta(days=2), kind="task_completed", process_id="local",
                             definition_version="v1", element_id="visit", element_name="Besök",
                             data={"workplace_id": "org-112233"})]
        self.entries = [JournalEntry(**{**e.__dict__, "seq": i}) for i, e in enumerate(self.entries, 1)]

    def list_cases(self, filters=None):
        return list(self.cases)

    def read_journal(self, case_id=None, *, after_seq=0, limit=None):
        return [e for e in self.entries if case_id in (None, e.case_id) and e.seq > after_seq][:limit]


def test_ocel_employer_objects_from_task_data(tmp_path):
    path = tmp_path / "employers.json"
    summary = write_ocel(DiagramWithEmployers(), path, profile=SE_PROFILE)
    doc = json.loads(path.read_text("utf-8"))
    check_ocel(doc)
    assert summary["objects_by_type"] == {"case": 2, "placement": 2, "participant": 2, "employer": 2}
    placements = [o for o in doc["objects"] if o["type"] == "placement"]
    assert all(related(p, "employer") == ["employer:org-556677"] for p in placements)
    visits = [e for e in doc["events"] if e["type"] == "Besök"]
    assert [related(e, "employer") for e in visits] == [["employer:org-112233"]] * 2
    assert not any(related(e, "placement") for e in visits)  # a one-task placement is not a period
