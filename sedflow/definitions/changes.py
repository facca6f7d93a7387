"""What changed between two versions of a process, element by element, as a process owner sees it.

Deploying prints this so that whoever edited a diagram in the modeller can check that what they meant
to change is all that changed. It compares the diagram XML, not SpiffWorkflow's specs: the elements
are the ones drawn in the modeller (tasks, events, gateways, sequence flows), and layout (BPMN DI) is
not a change. Whether a running case can move to the new version is a different question, answered by
the runtime's migration policy on SpiffWorkflow's own spec diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ..bpmn.elements import FLOW_NODES
from ..bpmn.index import lane_map
from ..bpmn.xml import BPMN_NS, NS, local, name_anonymous_flows, parse_diagram
from .model import ProcessDefinition

#: The elements a change is reported on; their other parts (event definitions, conditions, forms,
#: documentation) are aspects of them.
_LISTED = FLOW_NODES | {"sequenceFlow", "lane"}
# Derived from the sequence flows (incoming/outgoing) or from the nodes (lane membership): a change there
# is reported on the flow or the node itself.
_DERIVED = {"incoming", "outgoing", "flowNodeRef", "childLaneSet"}


@dataclass(frozen=True)
class ElementChange:
    process_id: str
    element_id: str
    kind: str
    name: str
    aspects: tuple[str, ...] = ()   # for a changed element: what changed (attributes, parts, lane)

    def to_dict(self) -> dict[str, Any]:
        return {"process_id": self.process_id, "element_id": self.element_id, "kind": self.kind, "name": self.name,
                "aspects": list(self.aspects)}

    def describe(self) -> str:
        label = f"{self.element_id} ({self.kind}{', ' + repr(self.name) if self.name else ''})"
        return f"{label}: {', '.join(self.aspects)}" if self.aspects else label


@dataclass(frozen=True)
class DefinitionChanges:
    added: tuple[ElementChange, ...] = ()
    removed: tuple[ElementChange, ...] = ()
    changed: tuple[ElementChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {key: [c.to_dict() for c in getattr(self, key)] for key in ("added", "removed", "changed")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DefinitionChanges:
        def load(key: str) -> tuple[ElementChange, ...]:
            return tuple(ElementChange(c["process_id"], c["element_id"], c["kind"], c["name"], tuple(c["aspects"]))
                         for c in data.get(key, ()))
        return cls(load("added"), load("removed"), load("changed"))


def diff_definitions(old: ProcessDefinition | None, new: ProcessDefinition) -> DefinitionChanges:
    """Elements added, removed and changed from ``old`` to ``new`` (everything is added when ``old`` is None),
    over the process and every process it calls."""
    before = _signatures(old) if old is not None else {}
    after = _signatures(new)
    added = [_change(key, after[key]) for key in after if key not in before]
    removed = [_change(key, before[key]) for key in before if key not in after]
    changed = []
    for key in after.keys() & before.keys():
        aspects = tuple(sorted(part for part in before[key][2].keys() | after[key][2].keys()
                               if before[key][2].get(part) != after[key][2].get(part)))
        if aspects:
            changed.append(_change(key, after[key], aspects))
    return DefinitionChanges(*(tuple(sorted(found, key=lambda c: (c.process_id, c.element_id)))
                               for found in (added, removed, changed)))


_Signature = tuple[str, str, dict[str, Any]]  # kind, name, {aspect: value}


def _change(key: tuple[str, str], signature: _Signature, aspects: tuple[str, ...] = ()) -> ElementChange:
    kind, name, _ = signature
    return ElementChange(key[0], key[1], kind, name, aspects)


def _signatures(definition: ProcessDefinition) -> dict[tuple[str, str], _Signature]:
    """(process id, element id) -> (kind, name, {aspect: value}) for every element with an id in the
    definition's processes; an element's parts that carry their own id are left to those elements."""
    out = {}
    for name, data in definition.sources.items():
        tree = parse_diagram(data, name)
        name_anonymous_flows(tree)  # named as the loader names them
        root = tree.getroot()
        for process in root.iterfind("bpmn:process", NS):
            pid = process.get("id")
            lanes = lane_map(process)
            for el in process.iter():
                if local(el) not in _LISTED:
                    continue
                eid = el.get("id")
                aspects = {f"@{k}": v for k, v in sorted(el.attrib.items()) if k != "id"}
                for child in el:
                    part = local(child)
                    if part and part not in _LISTED and part not in _DERIVED:
                        aspects[part] = aspects.get(part, "") + _canonical(child)
                if eid in lanes:
                    aspects["lane"] = lanes[eid]
                out[(pid, eid)] = (local(el), (el.get("name") or "").strip(), aspects)
    return out


def _canonical(el: etree._Element) -> str:
    """A part's content, whitespace-insensitive, without the ids modellers generate for BPMN parts (an
    event definition's id is not a change; a form field's id is)."""
    copy = etree.fromstring(etree.tostring(el))
    for node in copy.iter():
        if isinstance(node.tag, str):
            if etree.QName(node).namespace == BPMN_NS:
                node.attrib.pop("id", None)
            node.text = (node.text or "").strip() or None
            node.tail = None
    return str(etree.tostring(copy, method="c14n").decode())
