"""What sedflow refuses (or warns about) in a diagram before SpiffWorkflow sees it.

Each check names the file, element and line of what it finds, so that a process owner can open the
diagram at the right place. The programme's own rules (property vocabularies) are a profile's
``DomainRules.check_definitions``, applied by the loader after these.

No silent stall (issue 11) starts here: every element kind the runtime cannot drive is refused at
load, saying why and what to draw instead (:func:`undrivable`: tasks that would run code or send
messages, message throws). Message catches wait for ``Engine.correlate_message``, signal catches for
``Engine.broadcast_signal`` or a throw in any case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from ..bpmn.index import expressions, flow_nodes, scopes
from ..bpmn.layout import undrawn
from ..bpmn.xml import NS, bpmn, local, owner_id
from ..errors import DefinitionError, ExpressionError
from ..expressions import compile_expression
from ..expressions.juel import CRON_LITERAL
from ..spiff.timers import cron_problem
from .camunda import EXTERNAL_KINDS, external_work


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
    problems.extend(undrivable(process, file))
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


_CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
#: How a Camunda 7 diagram says what a task runs (attributes of the task), and what a connector is.
_IMPLEMENTATIONS = ("class", "delegateExpression", "expression", "type", "topic", "decisionRef")
_NO_CODE = ("sedflow runs no code from diagrams and calls no system from them, and a case would wait here forever "
            "with nothing to drive it; for work a program does, choose Implementation: External with a topic "
            "(camunda:type=\"external\"), which waits for an external-task worker")


def _implementation(el: etree._Element) -> str:
    """What a task says it runs, in words (" (camunda:class 'x.Y')"), or "" for nothing."""
    said = [f"camunda:{name} '{el.get(_CAMUNDA + name)}'" for name in _IMPLEMENTATIONS if el.get(_CAMUNDA + name)]
    if el.find("bpmn:extensionElements/camunda:connector", NS) is not None:
        said.append("a camunda:connector")
    return f" ({', '.join(said)})" if said else ""


def undrivable(process: etree._Element, file: str) -> list[DefinitionError]:
    """Elements no case could get past, whatever the programme: service, send and business rule tasks
    (with any implementation or none), message throws (intermediate and end), and a process's own
    message start events. Each refusal says why and what to draw instead. Service and send tasks and
    message throws drawn as external tasks (``camunda:type="external"``) wait for a worker and pass
    (``camunda.external_problems`` checks how they are drawn)."""
    problems = []
    for el in flow_nodes(process):
        kind, why = local(el), ""
        if kind in EXTERNAL_KINDS and external_work(el):
            continue
        if kind == "serviceTask":
            why = (f"service tasks are refused{_implementation(el)}: {_NO_CODE}; draw a user task for the person "
                   "who does the work (and records its result in the task's form)")
        elif kind == "sendTask":
            why = (f"send tasks are refused{_implementation(el)}: {_NO_CODE}; draw a user task for the person who "
                   "sends the message")
        elif kind == "businessRuleTask":
            why = (f"business rule tasks are refused{_implementation(el)}: sedflow loads no DMN decision tables; "
                   "draw the decision as an exclusive gateway with conditions")
        elif kind in ("intermediateThrowEvent", "endEvent") and el.find("bpmn:messageEventDefinition", NS) is not None:
            what = "end events" if kind == "endEvent" else "intermediate throw events"
            instead = "a none end event" if kind == "endEvent" else "a none intermediate event"
            why = (f"message {what} are refused unless an external-task worker sends the message: sedflow "
                   "delivers no message to another case or system itself; SpiffWorkflow fails the step at a throw "
                   "without a payload, and keeps a message with one unread in the case's state for ever; give the "
                   "message event definition Implementation: External and a topic (camunda:type=\"external\") for "
                   f"a worker that sends it, or draw {instead}, and a user task for the person who passes the message "
                   "on")
        if why:
            problems.append(DefinitionError(why, file=file, element=el.get("id"), line=el.sourceline))
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
