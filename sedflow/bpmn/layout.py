"""The layout a process owner drew (BPMN DI): shapes and edges with their bounds, for redrawing a process.

``bpmndi:BPMNPlane`` holds where each element sits; the semantic elements (in ``bpmn:process`` and the
collaboration's participants) say what each one is. :func:`process_layout` joins the two for one
process, so a renderer (the heatmap) draws from plain records and never reads XML itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from ..errors import DefinitionError, UnknownProcessError
from .elements import FLOW_NODES
from .xml import DI_NS, NS, local, parse_diagram


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass(frozen=True)
class Shape:
    """A drawn element: a flow node, a participant (pool), a lane or a text annotation."""

    id: str
    kind: str
    name: str
    box: Box
    label: Box | None               # where the modeller put its external label, if it did
    expanded: bool = False          # an expanded sub-process (its contents are drawn inside it)
    horizontal: bool = True         # pools and lanes: name band on the left
    attributes: Mapping[str, str] = field(default_factory=dict)
    event_definitions: frozenset[str] = frozenset()  # e.g. {"timerEventDefinition"}
    text: str = ""                  # a text annotation's text

    def get(self, attribute: str) -> str | None:
        """A BPMN attribute of the element (``isInterrupting``, ``triggeredByEvent``, ...)."""
        return self.attributes.get(attribute)


@dataclass(frozen=True)
class Edge:
    """A drawn sequence flow or association."""

    id: str
    kind: str
    name: str
    points: tuple[tuple[float, float], ...]
    label: Box | None
    source_kind: str | None = None  # the kind of the element it leaves
    conditional: bool = False       # has a condition expression
    default: bool = False           # the default flow of its gateway or activity


@dataclass(frozen=True)
class ProcessLayout:
    process_id: str
    name: str
    shapes: tuple[Shape, ...]   # in DI order
    edges: tuple[Edge, ...]
    element_ids: frozenset[str]  # every element of the process (drawn or not) and its participants


def process_layout(sources: Mapping[str, bytes], process_id: str) -> ProcessLayout:
    """The layout of ``process_id`` from the file among ``sources`` that defines it (parsed safely)."""
    root, process = _find_process(sources, process_id)
    plane = _find_plane(root, process)
    semantic = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    for participant in root.iterfind("bpmn:collaboration/bpmn:participant", NS):
        if participant.get("processRef") == process_id:
            semantic[participant.get("id")] = participant
    defaults = {el.get("default") for el in semantic.values() if el.get("default")}
    shapes: list[Shape] = []
    edges: list[Edge] = []
    for di in plane:
        target = semantic.get(di.get("bpmnElement"))
        if target is None:
            continue
        label = _bounds(di.find("bpmndi:BPMNLabel/dc:Bounds", NS))
        if local(di) == "BPMNShape":
            box = _bounds(di.find("dc:Bounds", NS))
            if box is not None:
                shapes.append(_shape(di, target, box, label))
        elif local(di) == "BPMNEdge":
            points = tuple((float(p.get("x")), float(p.get("y"))) for p in di.iterfind("di:waypoint", NS))
            if len(points) >= 2:
                source = semantic.get(target.get("sourceRef"))
                edges.append(Edge(
                    id=target.get("id"), kind=local(target), name=(target.get("name") or "").strip(), points=points,
                    label=label, source_kind=local(source) if source is not None else None,
                    conditional=target.find("bpmn:conditionExpression", NS) is not None,
                    default=target.get("id") in defaults))
    return ProcessLayout(process_id, process.get("name") or process_id, tuple(shapes), tuple(edges),
                         frozenset(semantic))


def _shape(di: etree._Element, target: etree._Element, box: Box, label: Box | None) -> Shape:
    kind = local(target)
    return Shape(
        id=target.get("id"), kind=kind, name=(target.get("name") or "").strip(), box=box, label=label,
        expanded=di.get("isExpanded") == "true", horizontal=di.get("isHorizontal", "true") != "false",
        attributes=dict(target.attrib),
        event_definitions=frozenset(local(c) for c in target if local(c).endswith("EventDefinition")),
        text=(target.findtext("bpmn:text", namespaces=NS) or "").strip() if kind == "textAnnotation" else "")


def _find_process(sources: Mapping[str, bytes], pid: str) -> tuple[etree._Element, etree._Element]:
    for name, data in sources.items():
        root = parse_diagram(data, name).getroot()
        for process in root.iterfind("bpmn:process", NS):
            if process.get("id") == pid:
                return root, process
    raise UnknownProcessError(f"process '{pid}' is not defined in this definition's files "
                              f"({', '.join(sorted(map(str, sources)))})")


def _find_plane(root: etree._Element, process: etree._Element) -> etree._Element:
    pid = process.get("id")
    owners = {pid}
    for collab in root.iterfind("bpmn:collaboration", NS):
        if any(p.get("processRef") == pid for p in collab.iterfind("bpmn:participant", NS)):
            owners.add(collab.get("id"))
    for plane in root.iter(f"{{{DI_NS}}}BPMNPlane"):
        if plane.get("bpmnElement") in owners:
            return plane
    raise DefinitionError(f"process '{pid}' has no diagram layout (no BPMNPlane for it or its collaboration)",
                          element=pid)


def _bounds(el: etree._Element | None) -> Box | None:
    if el is None:
        return None
    try:
        return Box(float(el.get("x")), float(el.get("y")), float(el.get("width")), float(el.get("height")))
    except (TypeError, ValueError):
        return None


def undrawn(tree: etree._ElementTree) -> list[str]:
    """Ids of the flow nodes and sequence flows that have no shape or edge in the diagram's layout."""
    drawn = {el.get("bpmnElement") for el in tree.iter(f"{{{DI_NS}}}BPMNShape", f"{{{DI_NS}}}BPMNEdge")}
    return [el.get("id") for el in tree.iter() if (local(el) in FLOW_NODES or local(el) == "sequenceFlow")
            and el.get("id") not in drawn]


__all__ = ["Box", "Edge", "ProcessLayout", "Shape", "process_layout", "undrawn"]
