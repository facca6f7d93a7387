"""Drawing what Camunda 7 means in the terms SpiffWorkflow runs.

Camunda 7 reads a few shapes of a diagram differently from SpiffWorkflow 3.2, which refuses or
mis-runs them. Before the specs are built, a copy of each diagram is rewritten into the equivalent
shape SpiffWorkflow runs as Camunda does (the diagram a process owner edits, its element index and
its version are the original's):

- several flows leaving an activity or event: without conditions they all start (a parallel split);
  with conditions, those whose condition holds and every unconditional one start, and the default
  flow only when none does (an inclusive split). SpiffWorkflow refuses several outgoing flows on an
  activity and ignores conditions there; sedflow draws the split as a gateway after the element.
- a flow without a condition leaving an inclusive gateway (and not its default) counts as true, where
  SpiffWorkflow refuses it; on an exclusive gateway without a default, the one flow without a condition
  is the default (Camunda refuses any other unconditional flow there, and so does sedflow's loader).
- a flow node with no outgoing flow ends its path, as if an end event followed it (sub-processes
  without end events end when their last path does; SpiffWorkflow requires an end event).
- a boundary error event's ``errorRef`` that names no ``<error>`` element is the error code itself.
- a signal end event is a signal throw followed by an end (SpiffWorkflow loses a signal thrown by the
  end event of a sub-process that ends with it).
- a multi-instance ``inputDataItem``/``outputDataItem`` named by ``name`` alone (as Camunda writes it)
  is the variable of that name (SpiffWorkflow reads the variable from the ``id``).

The elements added carry ids ``<element>__split`` / ``<element>__end`` / ``<element>__to_split``; they
are not in the element index, so the journal shows the diagram's own elements only.
"""

from __future__ import annotations

import copy

from lxml import etree

from ..bpmn.elements import CONTAINERS, FLOW_NODES, GATEWAYS
from ..bpmn.xml import bpmn, local

#: Nodes whose missing outgoing flow means something other than "this path ends here".
_NO_IMPLICIT_END = frozenset({"endEvent", "boundaryEvent", "eventBasedGateway"})


def camunda_semantics(tree: etree._ElementTree) -> etree._ElementTree:
    """A rewritten copy of ``tree`` (the original is left as it is)."""
    tree = copy.deepcopy(tree)
    root = tree.getroot()
    taken = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for scope in [*root.iterfind(bpmn("process")), *(el for el in root.iter() if local(el) in CONTAINERS)]:
        if local(scope) != "adHocSubProcess":
            _rewrite_scope(scope, taken)
    _declare_error_codes(root)
    for item in (*root.iter(bpmn("inputDataItem")), *root.iter(bpmn("outputDataItem"))):
        if item.get("id") is None and item.get("name"):
            item.set("id", item.get("name", ""))
    return tree


def _rewrite_scope(scope: etree._Element, taken: set[str]) -> None:
    nodes = [el for el in scope if local(el) in FLOW_NODES]
    flows = [el for el in scope if local(el) == "sequenceFlow"]
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in flows:
        outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
    for node in nodes:
        kind, nid, outs = local(node), node.get("id", ""), outgoing.get(node.get("id", ""), [])
        if kind == "endEvent" and node.find(bpmn("signalEventDefinition")) is not None:
            node.tag = bpmn("intermediateThrowEvent")
            end = _add(scope, "endEvent", _fresh(f"{nid}__end", taken))
            _connect(scope, nid, end.get("id", ""), _fresh(f"{nid}__to_end", taken))
            continue
        if kind == "exclusiveGateway" and len(outs) > 1 and not node.get("default"):
            bare = [f for f in outs if _condition(f) is None]
            if len(bare) == 1:  # Camunda 7 takes the one flow without a condition as the default
                node.set("default", bare[0].get("id", ""))
        elif kind == "inclusiveGateway":
            for flow in outs:
                if _condition(flow) is None and flow.get("id") != node.get("default") and len(outs) > 1:
                    _set_condition(flow, "True")
        elif not outs and kind not in _NO_IMPLICIT_END and not _no_path(node):
            end = _add(scope, "endEvent", _fresh(f"{nid}__end", taken))
            _connect(scope, nid, end.get("id", ""), _fresh(f"{nid}__to_end", taken))
        elif (len(outs) > 1 or any(_condition(f) is not None for f in outs)) and kind not in GATEWAYS:
            _split(scope, node, outs, taken)


def _split(scope: etree._Element, node: etree._Element, outs: list[etree._Element], taken: set[str]) -> None:
    """Move the node's outgoing flows onto a gateway that follows it."""
    nid = node.get("id", "")
    default = node.attrib.pop("default", None)
    conditional = default is not None or any(_condition(f) is not None for f in outs)
    gateway = _add(scope, "inclusiveGateway" if conditional else "parallelGateway", _fresh(f"{nid}__split", taken))
    if default is not None:
        gateway.set("default", default)
    for flow in outs:
        flow.set("sourceRef", gateway.get("id", ""))
        if conditional and _condition(flow) is None and flow.get("id") != default:
            _set_condition(flow, "True")
    for ref in node.iterfind(bpmn("outgoing")):
        node.remove(ref)
    _connect(scope, nid, gateway.get("id", ""), _fresh(f"{nid}__to_split", taken))


def _no_path(node: etree._Element) -> bool:
    """Elements without an outgoing flow by design (event sub-processes, compensation handlers and throws, link
    throws): not the end of a path."""
    by_design = ("linkEventDefinition", "compensateEventDefinition")
    return node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true" \
        or any(node.find(bpmn(kind)) is not None for kind in by_design)


def _condition(flow: etree._Element) -> etree._Element | None:
    return flow.find(bpmn("conditionExpression"))


def _set_condition(flow: etree._Element, text: str) -> None:
    condition = etree.SubElement(flow, bpmn("conditionExpression"))
    condition.text = text


def _add(scope: etree._Element, kind: str, element_id: str) -> etree._Element:
    return etree.SubElement(scope, bpmn(kind), id=element_id)


def _connect(scope: etree._Element, source: str, target: str, flow_id: str) -> None:
    etree.SubElement(scope, bpmn("sequenceFlow"), id=flow_id, sourceRef=source, targetRef=target)


def _fresh(wanted: str, taken: set[str]) -> str:
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}{n}"
    taken.add(name)
    return name


def _declare_error_codes(root: etree._Element) -> None:
    """Camunda 7 reads an ``errorRef`` naming no ``<error>`` as the error code: declare that error."""
    declared = {el.get("id") for el in root.iterfind(bpmn("error"))}
    refs = {d.get("errorRef") for d in root.iter(bpmn("errorEventDefinition")) if d.get("errorRef")}
    for ref in sorted(r for r in refs if r and r not in declared):
        root.insert(0, etree.Element(bpmn("error"), id=ref, name=ref, errorCode=ref))

