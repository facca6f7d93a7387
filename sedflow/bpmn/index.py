"""The element index: what sedflow knows about each diagram element, read from the XML with its line.

SpiffWorkflow's specs lose what sedflow needs to name things to people -- the file and line an element
is on, its lane, its documentation, its extension properties -- so sedflow reads those from the diagram
itself, once at load, into :class:`ElementInfo`. Forms are read by the caller's ``read_form`` (the form
model belongs to ``sedflow.definitions``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from ..errors import DefinitionError
from .elements import FLOW_NODES, SCOPES, ElementRef
from .xml import NS, bpmn, local, owner_id

if TYPE_CHECKING:
    from ..definitions.forms import Form

#: Reads an element's form: (the form or None, the problems found in it); given the element, its id and file.
FormReader = Callable[[etree._Element, str, str], "tuple[Form | None, list[DefinitionError]]"]

#: Elements whose text is an expression of sedflow's expression language.
EXPRESSION_TAGS = frozenset({"conditionExpression", "timeDate", "timeDuration", "timeCycle", "completionCondition",
                             "loopCardinality"})


@dataclass(frozen=True)
class ElementInfo:
    """What sedflow knows about one diagram element, read from the XML (not from SpiffWorkflow)."""

    id: str
    name: str
    kind: str               # BPMN tag without namespace, e.g. "userTask"
    process_id: str
    file: str
    line: int
    lane: str | None = None  # lane code: the lane id without its "lane_" prefix
    parent: str | None = None  # the enclosing sub-process, if any
    interrupting: bool = False  # an interrupting start event, or an event sub-process that has one
    documentation: str = ""
    properties: Mapping[str, str] = field(default_factory=dict)
    form: Form | None = None
    #: What the element catches or throws: its event definition's kind without the suffix ("message",
    #: "signal", "timer", ...; "multiple" for several), "message" for a receive or send task; None for
    #: none. ``event_name`` is the message's or signal's name (what the engine matches), from its ref.
    event: str | None = None
    event_name: str | None = None

    @property
    def ref(self) -> ElementRef:
        return ElementRef(self.process_id, self.id)

    @property
    def stage(self) -> str | None:
        return self.properties.get("stage")

    @property
    def milestone(self) -> str | None:
        return self.properties.get("milestone")

    @property
    def label(self) -> str:
        return self.name or self.id


def index_process(process: etree._Element, file: str,
                  read_form: FormReader) -> tuple[list[ElementInfo], list[DefinitionError]]:
    """Every flow node of ``process`` (including those inside its sub-processes), and the problems in
    their forms."""
    pid = process.get("id")
    lanes = lane_map(process)
    names = _event_names(process)
    infos: list[ElementInfo] = []
    problems: list[DefinitionError] = []
    for el in flow_nodes(process):
        kind, eid = local(el), el.get("id")
        form, form_problems = read_form(el, eid, file)
        problems.extend(form_problems)
        lane_id = lanes.get(eid)
        doc = el.find("bpmn:documentation", NS)
        parent = el.getparent()
        infos.append(ElementInfo(
            id=eid, name=(el.get("name") or "").strip(), kind=kind, process_id=pid, file=file,
            line=el.sourceline, lane=lane_id.removeprefix("lane_") if lane_id else None,
            parent=parent.get("id") if local(parent) in SCOPES else None,
            interrupting=_interrupting(el, kind),
            documentation=(doc.text or "").strip() if doc is not None else "", properties=properties(el), form=form,
            **_event(el, kind, names)))
    return infos, problems


def _event_names(process: etree._Element) -> dict[str, str]:
    """The name of each message and signal of the process's file, by id (the id is local to the file,
    the name is what a throw and a catch are matched by)."""
    root = process.getroottree().getroot()
    return {el.get("id"): el.get("name") or el.get("id") for el in root.iter(bpmn("message"), bpmn("signal"))
            if el.get("id")}


def _event(el: etree._Element, kind: str, names: Mapping[str, str]) -> dict[str, str | None]:
    """``event`` and ``event_name`` of an element (see :class:`ElementInfo`)."""
    if kind in ("receiveTask", "sendTask"):
        ref = el.get("messageRef")
        return {"event": "message", "event_name": names.get(ref, ref) if ref else el.get("name")}
    definitions = [d for d in el if local(d).endswith("EventDefinition")]
    if not definitions:
        return {}
    if len(definitions) > 1:
        return {"event": "multiple", "event_name": None}
    event = local(definitions[0]).removesuffix("EventDefinition")
    if event not in ("message", "signal"):
        return {"event": event}
    ref = definitions[0].get(f"{event}Ref")  # without a ref, SpiffWorkflow names the event by its element
    return {"event": event, "event_name": names.get(ref, ref) if ref else el.get("name")}


def flow_nodes(process: etree._Element) -> Iterator[etree._Element]:
    """The flow nodes of a process and of the sub-processes inside it."""
    return (el for el in process.iter() if local(el) in FLOW_NODES)


def scopes(process: etree._Element) -> Iterator[etree._Element]:
    """The process and the sub-processes in it: what SpiffWorkflow names by id, in one namespace for all files."""
    yield process
    yield from process.iter(*(bpmn(kind) for kind in sorted(SCOPES)))


def called_processes(process: etree._Element) -> set[str]:
    return {called for c in process.iter(bpmn("callActivity")) if (called := c.get("calledElement"))}


def lane_map(process: etree._Element) -> dict[str, str]:
    """Flow node id -> the id of the lane it is drawn in."""
    return {ref.text.strip(): lane.get("id") for lane in process.iter(bpmn("lane"))
            for ref in lane.iterfind("bpmn:flowNodeRef", NS) if ref.text}


def properties(node: etree._Element) -> dict[str, str]:
    """The element's ``camunda:properties``: name -> value."""
    ext = node.find("bpmn:extensionElements", NS)
    if ext is None:
        return {}
    return {p.get("name"): p.get("value", "") for p in ext.iterfind("camunda:properties/camunda:property", NS)}


def expressions(process: etree._Element) -> Iterator[tuple[str, str | None, int]]:
    """(text, id of the element it belongs to, line) of every non-empty expression in the process."""
    for el in process.iter():
        if local(el) in EXPRESSION_TAGS and (el.text or "").strip():
            yield el.text, owner_id(el.getparent()), el.sourceline


def _interrupting(el: etree._Element, kind: str) -> bool:
    if kind == "subProcess":
        return el.get("triggeredByEvent") == "true" and any(
            _interrupting(start, "startEvent") for start in el.iterfind("bpmn:startEvent", NS))
    return kind == "startEvent" and el.getparent().get("triggeredByEvent") == "true" and \
        el.get("isInterrupting", "true") == "true"


__all__ = ["EXPRESSION_TAGS", "ElementInfo", "FormReader", "called_processes", "expressions", "flow_nodes",
           "index_process", "lane_map", "properties", "scopes"]
