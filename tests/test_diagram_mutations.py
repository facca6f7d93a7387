"""Broken diagrams: the shipped ones, mutated, load or are refused with a DefinitionError worded for people.

Hypothesis deletes, duplicates (with and without ids), re-tags and re-attributes elements of
``processes/*.bpmn``, breaks their references, swaps event definitions and truncates the bytes, one to
three mutations at a time; whatever comes out must load, or be refused the way the foreign corpus is
(every problem placed, no Python words for a crash). The settings are fixed (derandomized, no example
database) so that CI runs the same examples every time.

Below the property, one example for each construct the structural checks refuse (``sedflow/
definitions/structure.py``): what SpiffWorkflow would crash on, hang on or silently get wrong.
"""

from __future__ import annotations

import copy
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from sedflow import PROCESSES_DIR, DefinitionError
from sedflow.definitions import load_sources
from sedflow.definitions.structure import MAX_DEPTH
from sedflow.programmes.se import PROFILE as SE_PROFILE
from sedflow.spiff.parser import UNREADABLE, XSD_PATH

from test_foreign_diagrams import assert_refused_well

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}
SHIPPED = {p.name: p.read_bytes() for p in sorted(PROCESSES_DIR.glob("*.bpmn"))}


def _called_files() -> dict[str, list[str]]:
    """For each shipped file, the other shipped files that define the processes it calls."""
    defines, calls = {}, {}
    for name, data in SHIPPED.items():
        root = etree.fromstring(data)
        defines.update({p.get("id"): name for p in root.iter(f"{{{BPMN}}}process")})
        calls[name] = {c.get("calledElement") for c in root.iter(f"{{{BPMN}}}callActivity")}
    return {name: sorted({defines[c] for c in called if c in defines} - {name}) for name, called in calls.items()}


CALLED = _called_files()
#: Every element name the BPMN XSD declares: what a tag may be changed to.
TAGS = sorted(set(re.findall(r'<xsd:element name="(\w+)"', (XSD_PATH.parent / "Semantic.xsd").read_text())))
FLOW_TAGS = ["task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "subProcess", "transaction",
             "callActivity", "adHocSubProcess", "startEvent", "endEvent", "intermediateCatchEvent",
             "intermediateThrowEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
             "complexGateway"]
EVENT_DEFINITIONS = {"messageEventDefinition": "messageRef", "signalEventDefinition": "signalRef",
                     "errorEventDefinition": "errorRef", "escalationEventDefinition": "escalationRef",
                     "timerEventDefinition": None, "conditionalEventDefinition": None, "cancelEventDefinition": None,
                     "terminateEventDefinition": None, "compensateEventDefinition": None, "linkEventDefinition": None}
REFERENCES = ("sourceRef", "targetRef", "attachedToRef", "default", "calledElement", "errorRef", "messageRef",
              "signalRef", "escalationRef", "processRef", "dataObjectRef", "bpmnElement")
VALUES = ("", " ", "nowhere", "true", "false", "0", "-1", "x y", "ä€", "P1D", "${x}")


def _local(el) -> str:
    return etree.QName(el).localname


def _elements(root, *, bpmn_only: bool = True) -> list:
    prefix = f"{{{BPMN}}}" if bpmn_only else ""
    return [el for el in root.iter(etree.Element) if el is not root and el.tag.startswith(prefix)]


class NothingToMutate(Exception):
    """The tree has nothing of the sort a mutation changes (an earlier one removed it)."""


def _value(constants, ids: list) -> st.SearchStrategy:
    """One of the constants, or (as often) one of the tree's ids."""
    return st.sampled_from(constants) | st.sampled_from(ids) if ids else st.sampled_from(constants)


def _pick(draw, items: list):
    if not items:
        raise NothingToMutate
    return draw(st.sampled_from(items))


def _label(el) -> str:
    return f"{_local(el)}#{el.get('id')}"


# -- mutations: each draws what to change, changes the tree, and says what it did ------------------------


def _some_element(root, draw):
    """An element of the tree; as often a flow node, a flow or an event definition as anything else (most
    elements are incoming/outgoing references, documentation and layout, which the XSD guards)."""
    group = draw(st.sampled_from(["flow node", "sequence flow", "event definition", "any"]))
    elements = _elements(root)
    chosen = [el for el in elements if group == "any" or (group == "flow node" and _local(el) in FLOW_TAGS)
              or (group == "sequence flow" and _local(el) == "sequenceFlow")
              or (group == "event definition" and _local(el) in EVENT_DEFINITIONS)]
    return _pick(draw, chosen or elements)


def delete(root, draw) -> str:
    el = _some_element(root, draw)
    el.getparent().remove(el)
    return f"delete {_label(el)}"


def duplicate(root, draw) -> str:
    el = _some_element(root, draw)
    twin = copy.deepcopy(el)
    keep = draw(st.sampled_from(["with ids", "without its id", "without any id"]))
    for node in twin.iter(etree.Element):
        if keep == "without any id" or (keep == "without its id" and node is twin):
            node.attrib.pop("id", None)
    el.addnext(twin)
    return f"duplicate {_label(el)} {keep}"


def break_reference(root, draw) -> str:
    candidates = [(el, a) for el in _elements(root, bpmn_only=False) for a in REFERENCES if a in el.attrib]
    el, attribute = _pick(draw, candidates)
    ids = [i for e in _elements(root, bpmn_only=False) if (i := e.get("id"))]
    value = draw(_value(["", "nowhere", el.get("id") or "self"], ids))
    el.set(attribute, value)
    return f"{_label(el)}.{attribute} = {value!r}"


def retag(root, draw) -> str:
    el = _some_element(root, draw)
    family = FLOW_TAGS if _local(el) in FLOW_TAGS else list(EVENT_DEFINITIONS) \
        if _local(el) in EVENT_DEFINITIONS else TAGS
    tag = draw(st.sampled_from(family) | st.sampled_from(TAGS))
    before = _label(el)
    el.tag = f"{{{BPMN}}}{tag}"
    return f"retag {before} as {tag}"


def change_attribute(root, draw) -> str:
    candidates = [(el, a) for el in _elements(root, bpmn_only=False) for a in el.attrib]
    el, attribute = _pick(draw, candidates)
    if draw(st.booleans()):
        del el.attrib[attribute]
        return f"remove {_label(el)}.{attribute}"
    ids = [i for e in _elements(root, bpmn_only=False) if (i := e.get("id"))]
    value = draw(_value(VALUES, ids))
    el.set(attribute, value)
    return f"{_label(el)}.{attribute} = {value!r}"


def change_text(root, draw) -> str:
    candidates = [el for el in _elements(root) if (el.text or "").strip() and not len(el)]
    el = _pick(draw, candidates)
    ids = [i for e in _elements(root, bpmn_only=False) if (i := e.get("id"))]
    el.text = draw(_value(VALUES, ids))
    return f"text of {_label(el)} = {el.text!r}"


def swap_event_definition(root, draw) -> str:
    """An event's trigger replaced by another kind, its reference (if any) to something or nothing."""
    events = [el for el in _elements(root) if _local(el).endswith("Event")]
    event = _pick(draw, events)
    kind = draw(st.sampled_from(sorted(EVENT_DEFINITIONS)))
    for old in [c for c in event if _local(c).endswith("EventDefinition")]:
        event.remove(old)
    definition = etree.SubElement(event, f"{{{BPMN}}}{kind}", id="mutated_definition")
    if (attribute := EVENT_DEFINITIONS[kind]) and draw(st.booleans()):
        ids = [i for e in _elements(root) if (i := e.get("id"))]
        definition.set(attribute, draw(_value(["nowhere"], ids)))
    return f"{_label(event)} gets {kind} {dict(definition.attrib)}"


MUTATIONS: dict[str, Callable] = {f.__name__: f for f in (delete, duplicate, break_reference, retag, change_attribute,
                                                          change_text, swap_event_definition)}


@st.composite
def mutated(draw, first: str):
    """(file name, its mutated bytes, what was done): ``first`` first, then up to two more of any kind (and
    for ``truncate``, the bytes cut short after them)."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    root = etree.fromstring(SHIPPED[name])
    done = []
    for kind in [*([first] if first in MUTATIONS else []), *draw(st.lists(st.sampled_from(sorted(MUTATIONS)),
                                                                       max_size=2))]:
        try:
            done.append(MUTATIONS[kind](root, draw))
        except NothingToMutate:
            continue
    data = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    if first == "truncate":
        cut = draw(st.integers(0, len(data) - 1))
        data, done = data[:cut], [*done, f"truncate at byte {cut}"]
    return name, data, done


def _normalised_error_code(sources: dict[str, bytes]) -> bool:
    """A boundary event's errorRef naming no error: sedflow's parser is to read it as the error code, as
    Camunda does (that work is under way in sedflow.spiff); until it lands SpiffWorkflow trips on it."""
    roots = []
    for data in sources.values():
        try:
            roots.append(etree.fromstring(data))
        except etree.XMLSyntaxError:
            continue
    errors = {e.get("id") for r in roots for e in r.iter(f"{{{BPMN}}}error")}
    return any(d.get("errorRef") and d.get("errorRef") not in errors for r in roots
               for d in r.iterfind(".//bpmn:boundaryEvent/bpmn:errorEventDefinition", NS))


MUTATION_SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("first", [*sorted(MUTATIONS), "truncate"])
@MUTATION_SETTINGS
@given(data=st.data())
def test_a_mutated_diagram_loads_or_is_refused_with_placed_problems(first, data):
    name, mutant, done = data.draw(mutated(first))
    profile = data.draw(st.sampled_from([None, SE_PROFILE]))  # the generic engine, and as the CLI loads
    sources = {name: mutant, **{c: SHIPPED[c] for c in CALLED[name]}}
    with time_limit(10, (name, done)):
        try:
            load_sources(sources, profile=profile)
        except DefinitionError as err:
            assert_refused_well(err, sources, (name, done), unreadable_allowed=_normalised_error_code(sources))


@contextmanager
def time_limit(seconds: int, what: object) -> Iterator[None]:
    """Fail instead of hanging: SpiffWorkflow has loops that never end on some diagrams (where there is
    no SIGALRM, a hang is a hang)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum, frame):
        raise AssertionError(f"{what}: loading did not finish within {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- one example of each construct the structural checks refuse ------------------------------------------

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://sedflow.se/tests">\n')


def diagram(body: str, definitions: str = "", process: str = 'id="p" isExecutable="true"') -> dict[str, bytes]:
    """A one-process diagram: ``body`` inside the process (whose start event ``s`` and end event ``e``
    the body connects), ``definitions`` beside it."""
    text = f"{HEAD}{definitions}\n<bpmn:process {process}>\n{body}\n</bpmn:process>\n</bpmn:definitions>\n"
    return {"broken.bpmn": text.encode()}


def chain(*ids: str, start: str = "s", end: str = "e", prefix: str = "f") -> str:
    """Sequence flows ``start -> ids... -> end``."""
    nodes = [start, *ids, end]
    return "".join(f'<bpmn:sequenceFlow id="{prefix}{i}" sourceRef="{a}" targetRef="{b}" />'
                   for i, (a, b) in enumerate(zip(nodes, nodes[1:], strict=False)))


S, E, T = '<bpmn:startEvent id="s" />', '<bpmn:endEvent id="e" />', '<bpmn:userTask id="t" />'
SIMPLE = S + T + E + chain("t")
SUB = ('<bpmn:subProcess id="sub"><bpmn:startEvent id="s1" /><bpmn:userTask id="t1" /><bpmn:endEvent id="e1" />'
       + chain("t1", start="s1", end="e1", prefix="g") + "</bpmn:subProcess>")
TIMER = '<bpmn:timerEventDefinition id="td"><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>'

REFUSALS = {
    "signal that is not there": (diagram(
        S + '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition id="sd" signalRef="nowhere" />'
        '</bpmn:intermediateCatchEvent>' + E + chain("wait")), "wait", "signal 'nowhere' is not defined"),
    "escalation that is not there": (diagram(
        S + '<bpmn:endEvent id="e"><bpmn:escalationEventDefinition escalationRef="nowhere" /></bpmn:endEvent>'
        + chain()), "e", "escalation 'nowhere' is not defined"),
    "message that is not in the file": (diagram(
        '<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="nowhere" /></bpmn:startEvent>' + T + E
        + chain("t")), "s", "message 'nowhere' is not defined in this file"),
    "send task's message that is not there": (diagram(
        S + '<bpmn:sendTask id="send" messageRef="nowhere" />' + E + chain("send")), "send", "message 'nowhere'"),
    "timer without a value": (diagram(
        S + '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition /></bpmn:intermediateCatchEvent>' + E
        + chain("wait")), "wait", "timer has no date, duration or cycle"),
    "timer with an empty duration": (diagram(
        S + '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration> </bpmn:timeDuration>'
        '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>' + E + chain("wait")), "wait", "timer has no"),
    "boundary event attached to nothing": (diagram(
        SIMPLE + f'<bpmn:boundaryEvent id="b" attachedToRef="nowhere">{TIMER}</bpmn:boundaryEvent>'),
        "b", "attached to 'nowhere', which is not in the diagram"),
    "boundary event attached to a gateway": (diagram(
        S + '<bpmn:exclusiveGateway id="g" />' + E + chain("g")
        + f'<bpmn:boundaryEvent id="b" attachedToRef="g">{TIMER}</bpmn:boundaryEvent>'),
        "b", "attached to exclusive gateway 'g'"),
    "boundary event attached across a sub-process border": (diagram(
        S + SUB + E + chain("sub") + f'<bpmn:boundaryEvent id="b" attachedToRef="t1">{TIMER}</bpmn:boundaryEvent>'),
        "b", "drawn in another (sub-)process"),
    "boundary event waiting for nothing": (diagram(
        SIMPLE + '<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:terminateEventDefinition /></bpmn:boundaryEvent>'),
        "b", "waits for nothing SpiffWorkflow can catch"),
    "cancel boundary event on a task": (diagram(
        SIMPLE + '<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:cancelEventDefinition /></bpmn:boundaryEvent>'),
        "b", "cancel events are refused"),
    "flow into a start event": (diagram(
        SIMPLE + '<bpmn:userTask id="t2" /><bpmn:sequenceFlow id="to2" sourceRef="s" targetRef="t2" />'
        '<bpmn:sequenceFlow id="back" sourceRef="t2" targetRef="s" />'), "back", "leads into start event 's'"),
    "flow out of an end event": (diagram(SIMPLE + '<bpmn:userTask id="after" />'
                                         '<bpmn:sequenceFlow id="out" sourceRef="e" targetRef="after" />'),
                                 "out", "leaves end event 'e'"),
    "flow across a sub-process border": (diagram(
        S + SUB.replace(chain("t1", start="s1", end="e1", prefix="g"), chain(start="s1", end="e1", prefix="g"))
        + E + chain("sub") + '<bpmn:sequenceFlow id="cross" sourceRef="t1" targetRef="e" />'),
        "cross", "cannot cross a sub-process's border"),
    "gateway default that is not outgoing": (diagram(
        S + '<bpmn:exclusiveGateway id="g" default="f0" /><bpmn:endEvent id="e2" />' + E + chain("g")
        + '<bpmn:sequenceFlow id="other" sourceRef="g" targetRef="e2"><bpmn:conditionExpression xsi:type='
        '"bpmn:tFormalExpression">x == 1</bpmn:conditionExpression></bpmn:sequenceFlow>'),
        "g", "default flow 'f0' is not a sequence flow leaving 'g'"),
    "gateway flow without a condition": (diagram(
        S + '<bpmn:exclusiveGateway id="g" /><bpmn:endEvent id="e2" />' + E + chain("g")
        + '<bpmn:sequenceFlow id="other" sourceRef="g" targetRef="e2" />'),
        "g", "without condition which is not the default flow"),
    "event-based gateway to a task": (diagram(S + '<bpmn:eventBasedGateway id="g" />' + T + E + chain("g", "t")),
                                      "g", "event-based gateway 'g' leads to userTask 't'"),
    "loop without a condition or maximum": (diagram(
        S + '<bpmn:userTask id="t"><bpmn:standardLoopCharacteristics /></bpmn:userTask>' + E + chain("t")),
        "t", "loop marker without a loop condition or a maximum"),
    "complex gateway": (diagram(S + '<bpmn:complexGateway id="g" />' + E + chain("g")), "g", "complex gateways"),
    "sub-process without a start event": (diagram(
        S + '<bpmn:subProcess id="sub"><bpmn:endEvent id="e1" /></bpmn:subProcess>' + E + chain("sub")),
        "sub", "has no start events"),
    "process without a start event": (diagram(T + E + '<bpmn:sequenceFlow id="f" sourceRef="t" targetRef="e" />'),
                                      "p", "has no start event"),
    "process without an id": (diagram(SIMPLE, process='isExecutable="true"'), "defs", "the process has no id"),
    "flow node without an id": (diagram(SIMPLE + '<bpmn:userTask name="Anonymous" />'), "p",
                                "a user task 'Anonymous' has no id"),
    "message without an id": (diagram(SIMPLE, '<bpmn:message name="m" />'), "defs", "message 'm' has no id"),
    "correlation property without retrieval expression": (diagram(
        SIMPLE, '<bpmn:correlationProperty id="cp" name="key" />'), "cp", "correlation property needs"),
    "data store": (diagram(SIMPLE, '<bpmn:dataStore id="ds" name="Register" />'), "ds", "sedflow has no data stores"),
    "data association with a data store": (diagram(
        S + '<bpmn:dataStoreReference id="dsr" /><bpmn:userTask id="t"><bpmn:dataOutputAssociation id="a">'
        '<bpmn:targetRef>dsr</bpmn:targetRef></bpmn:dataOutputAssociation></bpmn:userTask>' + E + chain("t")),
        "t", "data association with data store 'dsr'"),
    "data association with nothing": (diagram(
        S + '<bpmn:dataObject id="obj" /><bpmn:userTask id="t"><bpmn:dataInputAssociation id="a">'
        '<bpmn:sourceRef>obj</bpmn:sourceRef></bpmn:dataInputAssociation></bpmn:userTask>' + E + chain("t")),
        "t", "names data object 'obj' itself"),
    # SpiffWorkflow 3.2 looks for a data object in the task's scope and the one around it, and then loops
    # forever: this diagram hung the loader.
    "data object two sub-processes out": (diagram(
        '<bpmn:dataObject id="obj" />' + S + '<bpmn:subProcess id="outer"><bpmn:startEvent id="s1" />'
        '<bpmn:subProcess id="inner"><bpmn:startEvent id="s2" /><bpmn:userTask id="t"><bpmn:dataOutputAssociation '
        'id="a"><bpmn:targetRef>ref</bpmn:targetRef></bpmn:dataOutputAssociation></bpmn:userTask>'
        '<bpmn:dataObjectReference id="ref" dataObjectRef="obj" /><bpmn:endEvent id="e2" />'
        + chain("t", start="s2", end="e2", prefix="h") + '</bpmn:subProcess><bpmn:endEvent id="e1" />'
        + chain("inner", start="s1", end="e1", prefix="g") + '</bpmn:subProcess>' + E + chain("outer")),
        "t", "names data object 'obj', which is not drawn in sub-process 'inner' or directly around it"),
    "path too long for SpiffWorkflow's recursion": (diagram(
        S + "".join(f'<bpmn:userTask id="t{i}" />' for i in range(MAX_DEPTH + 50)) + E
        + chain(*(f"t{i}" for i in range(MAX_DEPTH + 50)))), "t199", f"more than {MAX_DEPTH} elements in a row"),
}


REFUSALS["called process that is not executable"] = ({
    **diagram(S + '<bpmn:callActivity id="call" calledElement="q" />' + E + chain("call")),
    "called.bpmn": diagram(SIMPLE, process='id="q" isExecutable="false"')["broken.bpmn"]},
    "q", "process 'p' calls it, but it is not executable")


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_what_spiffworkflow_would_get_wrong_is_refused_first(case):
    sources, element, phrase = REFUSALS[case]
    with time_limit(10, case), pytest.raises(DefinitionError) as info:
        load_sources(sources)
    assert_refused_well(info.value, sources, case)
    found = [p for p in info.value.problems if phrase in p.detail]
    assert found, f"{case}: no problem says {phrase!r}: {[str(p) for p in info.value.problems]}"
    assert found[0].element == element and found[0].file in sources and found[0].line
    assert re.search(r": .*\b(draw|give|complete|enter|choose|attach|connect|make|mark|move)\b", found[0].detail), \
        f"{case}: the message says nothing to do: {found[0].detail}"


@pytest.mark.parametrize("case, sources", [
    ("a diagram with every construct drawn right", diagram(
        '<bpmn:dataObject id="obj" />' + S + SUB.replace('<bpmn:userTask id="t1" />', '<bpmn:userTask id="t1">'
                                                         '<bpmn:dataOutputAssociation id="a"><bpmn:targetRef>ref'
                                                         '</bpmn:targetRef></bpmn:dataOutputAssociation>'
                                                         '</bpmn:userTask><bpmn:dataObjectReference id="ref" '
                                                         'dataObjectRef="obj" />')
        + '<bpmn:intermediateThrowEvent id="go"><bpmn:signalEventDefinition signalRef="sig" />'
        '</bpmn:intermediateThrowEvent><bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition '
        'signalRef="sig" /></bpmn:intermediateCatchEvent>' + E + chain("sub", "go", "wait")
        + f'<bpmn:boundaryEvent id="b" attachedToRef="sub" cancelActivity="false">{TIMER}</bpmn:boundaryEvent>'
        '<bpmn:endEvent id="e3" /><bpmn:sequenceFlow id="late" sourceRef="b" targetRef="e3" />',
        '<bpmn:signal id="sig" name="Go" />')),
    ("a task with two outgoing flows (a parallel split, as Camunda runs it)", diagram(
        SIMPLE + '<bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="second" sourceRef="t" targetRef="e2" />')),
    ("a sub-process without an end event (its path ends implicitly)", diagram(
        S + '<bpmn:subProcess id="sub"><bpmn:startEvent id="s1" /></bpmn:subProcess>' + E + chain("sub"))),
    ("an end event throwing an error no <error> declares (the reference is the code)", diagram(
        S + '<bpmn:endEvent id="e"><bpmn:errorEventDefinition errorRef="nowhere" /></bpmn:endEvent>' + chain())),
    ("a path as long as SpiffWorkflow follows", diagram(
        S + "".join(f'<bpmn:userTask id="t{i}" />' for i in range(MAX_DEPTH - 10)) + E
        + chain(*(f"t{i}" for i in range(MAX_DEPTH - 10))))),
])
def test_the_same_constructs_drawn_right_load(case, sources):
    assert load_sources(sources).get("p")


def test_spiffworkflow_failing_without_a_message_is_reported_by_element_never_by_exception(monkeypatch):
    from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser

    def broken(self):
        raise KeyError("{http://camunda.org/schema/1.0/bpmn}formKey")
    monkeypatch.setattr(UserTaskParser, "get_form", broken)
    with pytest.raises(DefinitionError) as info:
        load_sources(diagram(SIMPLE))
    [problem] = info.value.problems
    assert (problem.detail, problem.element, problem.file, problem.line) == (UNREADABLE, "t", "broken.bpmn", 5)
    assert "KeyError" not in str(info.value) and isinstance(problem.__cause__.__context__, KeyError)


def test_spiffworkflow_failing_on_a_whole_file_is_reported_at_the_file_never_by_exception(monkeypatch):
    from sedflow.spiff.parser import SedflowParser

    def broken(self, bpmn):
        raise ValueError("unexpected")
    monkeypatch.setattr(SedflowParser, "_add_messages", broken)
    with pytest.raises(DefinitionError) as info:
        load_sources(diagram(SIMPLE))
    [problem] = info.value.problems
    assert (problem.detail, problem.file, problem.line) == (UNREADABLE, "broken.bpmn", 2)
    assert "ValueError" not in str(info.value) and isinstance(problem.__cause__, ValueError)
