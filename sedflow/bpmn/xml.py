"""Reading BPMN XML safely: the one parser every diagram goes through, its namespaces, and small helpers.

Diagrams come from process owners' desktops and from other people's repositories, so nothing in them
is trusted: no DTDs or entities (external entities read local files, nested ones are "billion laughs"),
no network, no huge trees, and the root must be ``bpmn:definitions``. The loader, the change report and
the heatmap all parse through :func:`parse_diagram`; none has a parser of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from lxml import etree

from ..errors import DefinitionError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
OMGDI_NS = "http://www.omg.org/spec/DD/20100524/DI"
#: Prefixes for ``find``/``iterfind``/``xpath`` (the prefixes Camunda Modeler writes).
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "bpmndi": DI_NS, "dc": DC_NS, "di": OMGDI_NS}

_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)")


def parse_diagram(data: bytes, name: str) -> etree._ElementTree:
    """The diagram's lxml ElementTree; DefinitionError (with the line) if it is unsafe or not BPMN."""
    # Refuse DTDs outright (entity bombs, external entities) before any parser sees the bytes.
    match = _DECLARATION.search(data)
    if match:
        line = data[:match.start()].count(b"\n") + 1
        raise DefinitionError(f"{match.group(1).decode()} declarations are not allowed in diagrams",
                              file=name, line=line)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DefinitionError(f"not well-formed XML: {exc.msg}", file=name, line=exc.lineno) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype:  # e.g. a DOCTYPE in another encoding than the byte scan saw
        raise DefinitionError("DOCTYPE declarations are not allowed in diagrams", file=name, line=1)
    if root.tag != bpmn("definitions"):
        raise DefinitionError(f"root element is {root.tag}, not bpmn:definitions", file=name, line=root.sourceline)
    return tree


def name_anonymous_flows(tree: etree._ElementTree) -> None:
    """Give every sequence flow without an ``id`` one (``flow_line<N>``, after its line).

    BPMN allows a sequence flow no other element refers to to go without an id, and generated or
    hand-written XML has them; SpiffWorkflow keys flows by id and would drop all but one of them (the
    branches vanish and a case completes at its start). Called after the XSD check, so the diagram is
    judged as written; no layout refers to a flow without an id.
    """
    taken = {el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}
    for flow in tree.iter(bpmn("sequenceFlow")):
        if flow.get("id"):
            continue
        name, n = f"flow_line{flow.sourceline}", 1
        while name in taken:
            n += 1
            name = f"flow_line{flow.sourceline}_{n}"
        taken.add(name)
        flow.set("id", name)


def bpmn(local_name: str) -> str:
    """The Clark name of a BPMN element, for ``iter`` and tag comparisons: ``{...MODEL}userTask``."""
    return f"{{{BPMN_NS}}}{local_name}"


def local(node: etree._Element) -> str:
    """An element's tag without its namespace (``"userTask"``); ``""`` for comments and processing
    instructions, whose tag is not a string."""
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def owner_id(node: etree._Element | None) -> str | None:
    """The id of the nearest element with one, from ``node`` up: what a problem inside an element names."""
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else None


def line_of(trees: Mapping[str, etree._ElementTree], file: str | None, element_id: str | None) -> int | None:
    """The line of the element with ``element_id`` (in ``file`` if given): SpiffWorkflow's errors name the
    element but carry no line."""
    if not element_id:
        return None
    candidates = [trees[file]] if file is not None and file in trees else list(trees.values())
    for tree in candidates:
        found = tree.getroot().xpath("//*[@id=$id]", id=element_id)
        if found:
            return int(found[0].sourceline)
    return None


@lru_cache(maxsize=2)
def _schema(xsd: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd)))


def schema_problems(tree: etree._ElementTree, name: str, xsd: Path) -> list[DefinitionError]:
    """Every XSD violation of the diagram, with its line and the element it is in."""
    schema = _schema(xsd)
    if schema.validate(tree):
        return []
    return [DefinitionError(f"XSD: {err.message}", file=name, element=_element_at_line(tree, err.line), line=err.line)
            for err in schema.error_log]


def _element_at_line(tree: etree._ElementTree, line: int) -> str | None:
    for el in tree.iter():
        if el.sourceline == line and isinstance(el.tag, str):
            return owner_id(el)
    return None


__all__ = ["BPMN_NS", "CAMUNDA_NS", "DC_NS", "DI_NS", "NS", "OMGDI_NS", "bpmn", "line_of", "local", "owner_id",
           "parse_diagram", "schema_problems"]
