"""What sedflow refuses (or warns about) in a diagram before SpiffWorkflow sees it.

Each check names the file, element and line of what it finds, so that a process owner can open the
diagram at the right place. The programme's own rules (property vocabularies) are a profile's
``DomainRules.check_definitions``, applied by the loader after these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from ..bpmn.index import expressions, flow_nodes, scopes
from ..bpmn.layout import undrawn
from ..bpmn.xml import bpmn, local, owner_id
from ..errors import DefinitionError, ExpressionError
from ..expressions import compile_expression
from ..expressions.juel import CRON_LITERAL
from ..spiff.timers import cron_problem


@dataclass(frozen=True)
class NamesUsed:
    """The data names an expression reads: checked against the process's form fields once it is built."""

    process_id: str
    names: frozenset[str]
    file: str
    element: str | None
    line: int


class UniqueScopes:
    """SpiffWorkflow names processes and sub-processes by id, in one namespace across all files."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def check(self, process: etree._Element, file: str) -> list[DefinitionError]:
        problems = []
        for scope in scopes(process):
            sid = scope.get("id")
            if sid in self._seen:
                problems.append(DefinitionError(
                    f"{local(scope)} id '{sid}' is also used at {self._seen[sid]}: process and sub-process ids "
                    "must be unique across all loaded diagrams (prefix it with the programme)",
                    file=file, element=sid, line=scope.sourceline))
            self._seen[sid] = f"{file}:{scope.sourceline}"
        return problems


def check_process(process: etree._Element, file: str, names_used: list[NamesUsed]) -> list[DefinitionError]:
    """Script tasks, flows that connect nothing, and expressions outside the safe language; the names the
    expressions read are added to ``names_used``."""
    pid = process.get("id")
    problems: list[DefinitionError] = []
    nodes = set()
    for el in flow_nodes(process):
        nodes.add(el.get("id"))
        if local(el) == "scriptTask":
            problems.append(DefinitionError(
                "script tasks are refused: sedflow runs no code from diagrams (model the step as a user task "
                "or a gateway condition)", file=file, element=el.get("id"), line=el.sourceline))
        elif local(el) == "callActivity" and not el.get("calledElement"):
            problems.append(DefinitionError(
                "call activity names no process to call (set calledElement, 'Called element' in the modeller)",
                file=file, element=el.get("id"), line=el.sourceline))
        elif local(el) == "businessRuleTask":
            problems.append(DefinitionError(
                "business rule tasks are refused: sedflow loads no DMN decision tables (draw the decision as an "
                "exclusive gateway with conditions)", file=file, element=el.get("id"), line=el.sourceline))
    for flow in process.iter(bpmn("sequenceFlow")):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in nodes:
                problems.append(DefinitionError(
                    f"sequence flow {end} '{flow.get(end)}' is not a flow node of process '{pid}'",
                    file=file, element=flow.get("id"), line=flow.sourceline))
    for cycle in process.iter(bpmn("timeCycle")):
        text = (cycle.text or "").strip()
        problem = cron_problem(text) if CRON_LITERAL.match(text) else None
        if problem:
            problems.append(DefinitionError(f"timeCycle '{text}': {problem}", file=file,
                                            element=owner_id(cycle.getparent()), line=cycle.sourceline))
    for text, owner, line in expressions(process):
        try:
            names_used.append(NamesUsed(pid, compile_expression(text).names, file, owner, line))
        except ExpressionError as exc:
            problems.append(DefinitionError(str(exc), file=file, element=owner, line=line))
    return problems


def layout_warnings(tree: etree._ElementTree, file: str) -> list[str]:
    """Diagrams without layout run, but a process owner cannot open them usefully: warn."""
    return [f"{file}: element '{eid}' has no diagram layout (BPMN DI)" for eid in undrawn(tree)]


def unknown_names(names_used: Iterable[NamesUsed], process_id: str, field_ids: frozenset[str]) -> list[str]:
    """Warnings for names an expression of the process reads that none of its forms defines."""
    warnings = []
    for used in names_used:
        unknown = sorted(used.names - field_ids) if used.process_id == process_id else []
        if unknown:
            warnings.append(f"{used.file}:{used.line}: element '{used.element}' uses {', '.join(map(repr, unknown))}, "
                            f"which no form of process '{process_id}' defines (a typo? it fails when evaluated)")
    return warnings
