"""BPMN as Camunda 7 runs it (issue 11): elements that ran differently from Camunda, or stalled a case.

Each test draws the smallest diagram that showed the difference and runs it through the real engine
on a real SQLite store.
"""

from __future__ import annotations

import pytest
from sedflow import DefinitionError, Engine, ManualClock, open_store
from sedflow.definitions import load_sources

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="http://sedflow.se/test">\n<bpmn:process id="p" isExecutable="true">\n')
TAIL = "</bpmn:process>\n</bpmn:definitions>\n"


def diagram(body: str) -> bytes:
    return (HEAD + body + TAIL).encode()


@pytest.fixture
def run(tmp_path):
    """Start one case of the diagram; return the engine and the case."""
    def start(source: bytes):
        store = open_store(tmp_path / "cases.db", create=True)
        engine = Engine(store, load_sources({"p.bpmn": source}), clock=ManualClock("2026-01-05T08:00:00Z"))
        return engine, engine.start_case("p", "p-1")
    return start


def test_the_ids_spiffworkflow_keeps_for_itself_are_refused_naming_the_element_and_line():
    """bpmn-engine's and Camunda's samples name their events Start and End; SpiffWorkflow crashed on them."""
    source = diagram('<bpmn:startEvent id="Start" />\n<bpmn:endEvent id="End" />\n'
                     '<bpmn:sequenceFlow id="f" sourceRef="Start" targetRef="End" />\n')
    with pytest.raises(DefinitionError) as refused:
        load_sources({"p.bpmn": source})
    problems = {(p.element, p.line) for p in refused.value.problems}
    assert problems == {("Start", 4), ("End", 5)}
    assert "reserved" in str(refused.value) and "another id" in str(refused.value)


def test_sequence_flows_without_an_id_are_followed(run):
    """A parallel split over two flows that have no id reaches both branches (they used to vanish)."""
    _, case = run(diagram(
        '<bpmn:startEvent id="s" />\n<bpmn:parallelGateway id="split" />\n'
        '<bpmn:userTask id="a" />\n<bpmn:userTask id="b" />\n'
        '<bpmn:sequenceFlow sourceRef="s" targetRef="split" />\n'
        '<bpmn:sequenceFlow sourceRef="split" targetRef="a" />\n'
        '<bpmn:sequenceFlow sourceRef="split" targetRef="b" />\n'))
    assert case.status == "active" and sorted(t.element_id for t in case.tasks) == ["a", "b"]


@pytest.mark.parametrize("kind", ["task", "manualTask"])
def test_plain_and_manual_tasks_complete_on_arrival_as_in_camunda(run, kind):
    engine, case = run(diagram(
        f'<bpmn:startEvent id="s" />\n<bpmn:{kind} id="outside" name="Görs utanför" />\n'
        '<bpmn:userTask id="next" />\n<bpmn:endEvent id="e" />\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="outside" />\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="outside" targetRef="next" />\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="next" targetRef="e" />\n'))
    assert [t.element_id for t in case.tasks] == ["next"]
    journal = [(e.kind, e.element_id) for e in engine.case_history(case.case_id) if e.element_id == "outside"]
    assert journal == [("task_completed", "outside")]
    assert engine.complete_task(case.case_id, "next").status == "completed"


def _form_task(field: str) -> bytes:
    return diagram(
        '<bpmn:startEvent id="s" />\n<bpmn:userTask id="t">\n<bpmn:extensionElements>\n'
        '<camunda:formData xmlns:camunda="http://camunda.org/schema/1.0/bpmn">\n' + field +
        '\n</camunda:formData>\n</bpmn:extensionElements>\n</bpmn:userTask>\n'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t" />\n')


@pytest.mark.parametrize("field, why", [
    ('<camunda:formField id="ok" type="boolean" defaultValue="__import__(\'os\').system(\'x\')" />', "does not fit"),
    ('<camunda:formField id="n" type="long" defaultValue="many" />', "does not fit"),
    ('<camunda:formField id="d" type="date" defaultValue="${today()}" />', "literal defaults only"),
])
def test_a_form_default_that_is_no_value_of_its_field_is_refused_at_load(field, why):
    with pytest.raises(DefinitionError, match=why) as refused:
        load_sources({"p.bpmn": _form_task(field)})
    assert (refused.value.element, refused.value.line) == ("t", 8)


def test_a_literal_form_default_fills_an_empty_field(run):
    engine, case = run(_form_task('<camunda:formField id="done" type="boolean" defaultValue="false" />'))
    assert engine.complete_task(case.case_id, "t").data["done"] is False


@pytest.mark.parametrize("element, why", [
    ('<bpmn:businessRuleTask id="step" />', "exclusive gateway"),   # no DMN: draw the decision instead
    ('<bpmn:callActivity id="step" />', "names no process to call"),  # KeyError/TypeError before
])
def test_an_element_sedflow_cannot_run_is_refused_at_load_saying_what_to_do(element, why):
    source = diagram(f'<bpmn:startEvent id="s" />\n{element}\n'
                     '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="step" />\n')
    with pytest.raises(DefinitionError, match=why) as refused:
        load_sources({"p.bpmn": source})
    assert (refused.value.element, refused.value.line) == ("step", 5)


def test_a_default_is_read_as_the_programme_reads_it():
    """With the SE profile a boolean default may be 'ja', and a text default may not be a personnummer."""
    from sedflow.programmes.se import PROFILE
    yes = _form_task('<camunda:formField id="ok" type="boolean" defaultValue="ja" />')
    assert load_sources({"p.bpmn": yes}, profile=PROFILE).get("p")
    who = _form_task('<camunda:formField id="who" type="string" defaultValue="19980101-1234" />')
    with pytest.raises(DefinitionError, match="direct identifier"):
        load_sources({"p.bpmn": who}, profile=PROFILE)


def test_the_change_list_names_an_anonymous_flow_as_the_loader_does(tmp_path):
    from sedflow import diff_definitions
    body = ('<bpmn:startEvent id="s" />\n<bpmn:parallelGateway id="split" />\n'
            '<bpmn:userTask id="a" />\n<bpmn:userTask id="b" />\n'
            '<bpmn:sequenceFlow sourceRef="s" targetRef="split" />\n'
            '<bpmn:sequenceFlow sourceRef="split" targetRef="a" />\n'
            '<bpmn:sequenceFlow sourceRef="split" targetRef="{last}" />\n')
    old = load_sources({"p.bpmn": diagram(body.format(last="b"))}).get("p")
    new = load_sources({"p.bpmn": diagram(body.format(last="a"))}).get("p")
    changed = [c.element_id for c in diff_definitions(old, new).changed]
    assert changed == ["flow_line10"]  # the third flow, on line 10
