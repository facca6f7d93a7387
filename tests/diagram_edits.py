"""Edits a process owner makes in the modeller, applied to the shipped diagrams with lxml (layout left out:
the loader only warns about undrawn elements)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from sedflow import PROCESSES_DIR

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}


def copy_processes(target: Path, **edits) -> Path:
    """The shipped diagrams copied to ``target``; ``edits`` maps a file stem to a function of its root."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(PROCESSES_DIR.glob("*.bpmn")):
        if path.stem not in edits:  # byte for byte: an untouched diagram keeps its version
            (target / path.name).write_bytes(path.read_bytes())
            continue
        root = etree.parse(str(path)).getroot()
        edits.pop(path.stem)(root)
        (target / path.name).write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert not edits, f"no such diagrams: {sorted(edits)}"
    return target


def _element(root, element_id):
    [found] = root.xpath("//*[@id=$id]", id=element_id)
    return found


def insert_task_after(element_id: str, new_id: str, name: str):
    """A user task between ``element_id`` and what followed it."""
    def edit(root):
        node = _element(root, element_id)
        parent = node.getparent()
        [flow] = parent.xpath("bpmn:sequenceFlow[@sourceRef=$id]", namespaces=NS, id=element_id)
        target = _element(root, flow.get("targetRef"))
        flow.set("targetRef", new_id)
        task = etree.SubElement(parent, f"{{{BPMN}}}userTask", id=new_id, name=name)
        etree.SubElement(task, f"{{{BPMN}}}incoming").text = flow.get("id")
        etree.SubElement(task, f"{{{BPMN}}}outgoing").text = f"flow_{new_id}"
        etree.SubElement(parent, f"{{{BPMN}}}sequenceFlow", id=f"flow_{new_id}", sourceRef=new_id,
                         targetRef=target.get("id"))
        for incoming in target.findall(f"{{{BPMN}}}incoming"):
            if incoming.text == flow.get("id"):
                incoming.text = f"flow_{new_id}"
        lane = root.xpath("//bpmn:lane[bpmn:flowNodeRef=$id]", namespaces=NS, id=element_id)
        if lane:
            etree.SubElement(lane[0], f"{{{BPMN}}}flowNodeRef").text = new_id
    return edit


def rename(element_id: str, name: str):
    """The label a process owner sees and edits."""
    def edit(root):
        _element(root, element_id).set("name", name)
    return edit


def set_timer(event_id: str, duration: str):
    """The timer of ``event_id`` becomes a ``timeDuration`` (whatever it was: a duration, a date, a cycle)."""
    def edit(root):
        definition = _element(root, event_id).find(f"{{{BPMN}}}timerEventDefinition")
        for child in list(definition):
            definition.remove(child)
        etree.SubElement(definition, f"{{{BPMN}}}timeDuration").text = duration
    return edit


def both(*edits):
    def edit(root):
        for one in edits:
            one(root)
    return edit
