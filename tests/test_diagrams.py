"""The shipped diagrams meet the bar process owners rely on in Camunda Modeler and bpmn.io."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from lxml import etree
from sedflow import PROCESSES_DIR
from sedflow.programmes.se import END_REASONS, OUTCOMES

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "camunda": "http://camunda.org/schema/1.0/bpmn"}
FLOW_NODES = {"startEvent", "endEvent", "userTask", "exclusiveGateway", "parallelGateway", "callActivity",
              "subProcess", "intermediateCatchEvent", "boundaryEvent"}
STAGES = {"referral", "agreement", "vocational_profile", "supported_training", "job_search", "employer_engagement",
          "support", "closure", "followup"}
FILES = sorted(PROCESSES_DIR.glob("*.bpmn"))


def clark(prefix: str, name: str) -> str:
    """An element's Clark name, ``{namespace}name``, for ``iter``."""
    return f"{{{NS[prefix]}}}{name}"


def local(el):
    return etree.QName(el).localname


def props(el):
    return {p.get("name"): p.get("value")
            for p in el.findall("bpmn:extensionElements/camunda:properties/camunda:property", NS)}


@pytest.fixture(params=FILES, ids=lambda p: p.name)
def diagram(request):
    return etree.parse(str(request.param)).getroot()


def test_made_for_camunda_platform_7(diagram):
    """What Camunda Modeler reads to open a diagram as a Camunda 7 (not Camunda 8) process."""
    assert {p.name for p in FILES} >= {"supported_employment.bpmn", "supported_training.bpmn"}
    assert diagram.get("{http://camunda.org/schema/modeler/1.0}executionPlatform") == "Camunda Platform"
    assert diagram.get("{http://camunda.org/schema/modeler/1.0}executionPlatformVersion", "").startswith("7.")
    assert diagram.find("bpmn:process", NS).get("isExecutable") == "true"


def test_nodes_have_swedish_names_english_ids_documentation_and_one_lane(diagram):
    process = diagram.find("bpmn:process", NS)
    lane_of = {}
    for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS):
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert ref.text not in lane_of, f"{ref.text} is in two lanes"
            lane_of[ref.text] = lane.get("id")
    nodes = [el for el in process.iter() if local(el) in FLOW_NODES]
    assert nodes
    for el in nodes:
        eid = el.get("id")
        assert re.fullmatch(r"[a-z][a-z0-9_]*", eid), eid
        assert el.get("name"), f"{eid} has no name"
        assert (el.findtext("bpmn:documentation", namespaces=NS) or "").strip(), f"{eid} has no documentation"
        assert eid in lane_of, f"{eid} is in no lane"


def test_incoming_and_outgoing_match_the_flows(diagram):
    process = diagram.find("bpmn:process", NS)
    flows = list(process.iter(clark("bpmn", "sequenceFlow")))
    for el in process.iter():
        event_subprocess = local(el) == "subProcess" and el.get("triggeredByEvent") == "true"
        if local(el) in FLOW_NODES and not event_subprocess:
            eid = el.get("id")
            assert sorted(i.text for i in el.iterfind("bpmn:incoming", NS)) == \
                sorted(f.get("id") for f in flows if f.get("targetRef") == eid), eid
            assert sorted(o.text for o in el.iterfind("bpmn:outgoing", NS)) == \
                sorted(f.get("id") for f in flows if f.get("sourceRef") == eid), eid


def test_gateway_splits_are_conditional_or_default(diagram):
    process = diagram.find("bpmn:process", NS)
    flows = {f.get("id"): f for f in process.iter(clark("bpmn", "sequenceFlow"))}
    for gw in process.iter(clark("bpmn", "exclusiveGateway")):
        out = [o.text for o in gw.iterfind("bpmn:outgoing", NS)]
        if len(out) > 1:
            for fid in out:
                assert fid == gw.get("default") or flows[fid].find("bpmn:conditionExpression", NS) is not None, fid
                assert flows[fid].get("name"), f"{fid} out of {gw.get('id')} has no label"


def test_user_tasks_have_forms_and_stages(diagram):
    for task in diagram.iter(clark("bpmn", "userTask")):
        fields = task.findall("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
        assert fields, f"{task.get('id')} has no form"
        assert props(task).get("stage") in STAGES, task.get("id")


def test_se_closing_end_events_record_outcome_and_end_reason():
    """Closing ends terminate (ending the monthly follow-up branch too) and record the outcome."""
    root = etree.parse(str(PROCESSES_DIR / "supported_employment.bpmn")).getroot()
    ends = {e.get("id"): e for e in root.iter(clark("bpmn", "endEvent"))}
    closing = {eid for eid, e in ends.items() if e.find("bpmn:terminateEventDefinition", NS) is not None}
    assert closing == {"end_not_enrolled", "end_employment", "end_studies", "end_continued_af", "end_other_plan"}
    for eid in closing | {"end_withdrawn"}:
        p = props(ends[eid])
        assert p["outcome"] in OUTCOMES
        assert ("end_reason" not in p) if eid == "end_withdrawn" else p["end_reason"] in END_REASONS
    assert all("outcome" not in props(e) for eid, e in ends.items() if eid not in closing | {"end_withdrawn"})


def test_every_element_is_laid_out_without_overlaps(diagram):
    process = diagram.find("bpmn:process", NS)
    shapes = {s.get("bpmnElement"): s.find("dc:Bounds", NS) for s in diagram.iter(clark("bpmndi", "BPMNShape"))}
    edges = {e.get("bpmnElement"): e for e in diagram.iter(clark("bpmndi", "BPMNEdge"))}
    boxes = {}
    for el in process.iter():
        if local(el) in FLOW_NODES:
            assert el.get("id") in shapes, f"{el.get('id')} has no shape"
            b = shapes[el.get("id")]
            boxes[el.get("id")] = (el.getparent().get("id"), *(float(b.get(k)) for k in ("x", "y", "width", "height")))
        elif local(el) == "sequenceFlow":
            assert len(edges[el.get("id")].findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2
    attached = {(el.get("id"), el.get("attachedToRef")) for el in process.iter(clark("bpmn", "boundaryEvent"))}
    items = list(boxes.items())
    for i, (a, (pa, ax, ay, aw, ah)) in enumerate(items):
        for b, (pb, bx, by, bw, bh) in items[i + 1:]:
            if (a, b) in attached or (b, a) in attached:  # drawn on its host's border, as the modeller does
                bcx, bcy = (ax + aw / 2, ay + ah / 2) if (a, b) in attached else (bx + bw / 2, by + bh / 2)
                hx, hy, hw, hh = (bx, by, bw, bh) if (a, b) in attached else (ax, ay, aw, ah)
                on_border = (abs(bcy - hy) < 1 or abs(bcy - hy - hh) < 1) and hx <= bcx <= hx + hw or \
                    (abs(bcx - hx) < 1 or abs(bcx - hx - hw) < 1) and hy <= bcy <= hy + hh
                assert on_border, f"boundary event {a if (a, b) in attached else b} is not on its host's border"
            elif pa == pb:  # siblings; children sit inside their sub-process
                assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, f"{a} overlaps {b}"


def _bpmnlint() -> str | None:
    return os.environ.get("BPMNLINT") or shutil.which("bpmnlint")


@pytest.mark.skipif(_bpmnlint() is None, reason="bpmnlint is not installed (set BPMNLINT; .ci/run installs it)")
def test_bpmnlint_recommended_has_no_errors(tmp_path):
    (tmp_path / ".bpmnlintrc").write_text('{"extends": "bpmnlint:recommended"}')
    for path in FILES:
        result = subprocess.run([_bpmnlint(), str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and "error" not in result.stdout, result.stdout + result.stderr
