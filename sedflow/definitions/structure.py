"""What SpiffWorkflow's parser would crash on, hang on or silently get wrong, found in the XML first.

Diagrams come from other people's modellers, and SpiffWorkflow 3.2 reads some well-formed, XSD-valid
BPMN badly: a reference to a signal that is not there is a ``TypeError`` inside the library, a message
that is not there an ``AssertionError``, a data object two sub-processes out loops forever, a boundary
event attached to nothing is dropped without a word (and with it the reminder it drew), a flow out of
an end event lets a case go on after it has ended. Each check here finds one such construct in the
tree, before SpiffWorkflow sees it, and says what to draw instead, with file, element and line.

The checks read the tree defensively: they run on every file, also on one the XSD has refused, and
look only at executable processes' flow (SpiffWorkflow builds no other), but at every file's
definitions (SpiffWorkflow reads those of every file it is given).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from ..bpmn.elements import ACTIVITIES, FLOW_NODES
from ..bpmn.xml import BPMN_NS, NS, bpmn, owner_id
from ..errors import DefinitionError

#: What SpiffWorkflow parses as a process of its own: a flow node's scope.
SCOPE_KINDS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
#: The triggers SpiffWorkflow can wait for on a boundary event.
BOUNDARY_TRIGGERS = frozenset({"timer", "message", "signal", "error", "escalation", "cancel", "conditional"})
#: How deep SpiffWorkflow may follow a (sub-)process's flow: it reads it recursively, and at about 450
#: elements in a row Python's recursion limit is reached (the limit is kept well below that).
MAX_DEPTH = 200
#: Elements that refer to a message, signal, error or escalation, or carry a timer.
REFERRING = tuple(bpmn(kind) for kind in ("messageEventDefinition", "sendTask", "receiveTask", "signalEventDefinition",
                                          "escalationEventDefinition", "errorEventDefinition", "timerEventDefinition"))
#: Root-level elements SpiffWorkflow indexes by id (and refuses without a word of where, if one has none).
CATALOGUED = ("message", "signal", "error", "escalation")


@dataclass(frozen=True)
class Catalogue:
    """The ids of the messages, signals, errors and escalations of every file loaded together.

    SpiffWorkflow looks signals, errors and escalations (and the messages of send and receive tasks) up
    across all files; Camunda's message events look only in their own file (:meth:`messages_in`).
    """

    messages: frozenset[str]
    signals: frozenset[str]
    errors: frozenset[str]
    escalations: frozenset[str]

    @classmethod
    def of(cls, trees: Iterable[etree._ElementTree]) -> Catalogue:
        found: dict[str, set[str]] = {kind: set() for kind in CATALOGUED}
        for tree in trees:
            for kind in CATALOGUED:
                found[kind].update(i for el in tree.iter(bpmn(kind)) if (i := el.get("id")))
        return cls(*(frozenset(found[kind]) for kind in CATALOGUED))

    @staticmethod
    def messages_in(tree: etree._ElementTree) -> frozenset[str]:
        return frozenset(i for el in tree.iter(bpmn("message")) if (i := el.get("id")))


def check_structure(tree: etree._ElementTree, file: str, catalogue: Catalogue) -> list[DefinitionError]:
    """Every construct in the file that SpiffWorkflow would crash on, hang on or silently get wrong."""
    return list(_Checker(tree, file, catalogue).problems())


class _Checker:
    def __init__(self, tree: etree._ElementTree, file: str, catalogue: Catalogue):
        self.root = tree.getroot()
        self.file = file
        self.catalogue = catalogue
        self.own_messages = Catalogue.messages_in(tree)
        self.by_id = {i: el for el in self.root.iter(etree.Element) if (i := el.get("id"))}

    def problem(self, message: str, el: etree._Element, element: str | None = None) -> DefinitionError:
        return DefinitionError(message, file=self.file, element=element or owner_id(el), line=el.sourceline)

    def problems(self) -> Iterator[DefinitionError]:
        yield from self.definitions()
        for process in self.root.iterfind("bpmn:process", NS):
            if not process.get("id"):
                yield self.problem("the process has no id: give it one (cases are started by the process id)",
                                   process)
            if process.get("isExecutable", "false").lower() != "true":
                continue  # never built: SpiffWorkflow reads only its definitions
            for scope in _scopes(process):
                yield from self.scope(scope)
            for el in process.iter(*REFERRING):
                yield from self.references(el)
            yield from self.data(process)

    # -- the definitions every file contributes ---------------------------------------------------------

    def definitions(self) -> Iterator[DefinitionError]:
        for kind in CATALOGUED:
            for el in self.root.iter(bpmn(kind)):
                if not el.get("id"):
                    yield self.problem(f"{_words(kind)} {_named(el)}has no id: give it one (events refer to it "
                                       "by its id)", el)
        for el in self.root.iter(bpmn("dataStore")):
            yield self.problem(f"data store {_named(el)}is refused: sedflow has no data stores (keep the data in "
                               "the case: draw form fields on the tasks that record it, and remove the data store)",
                               el, element=el.get("id"))
        for el in self.root.iter(bpmn("correlationProperty")):
            expressions = el.findall("bpmn:correlationPropertyRetrievalExpression", NS)
            if el.get("id") is None or not expressions or any(e.get("messageRef") is None for e in expressions):
                yield self.problem("correlation property needs an id and, for each message it reads, a retrieval "
                                   "expression naming that message: complete it or remove it", el)

    # -- one process or sub-process: its nodes and the flows between them -------------------------------

    def scope(self, scope: etree._Element) -> Iterator[DefinitionError]:
        kind = _local(scope)
        nodes = [el for el in scope if _local(el) in FLOW_NODES]
        flows = [el for el in scope if _local(el) == "sequenceFlow"]
        for el in nodes:
            if not el.get("id"):
                yield self.problem(f"{_a(_local(el))} {_named(el)}has no id: give it one (sedflow and "
                                   "SpiffWorkflow name every step by its id; Camunda Modeler gives each one)", el)
        yield from self.start_and_end(scope, kind, nodes)
        outgoing: dict[str, list[etree._Element]] = {}
        for flow in flows:
            outgoing.setdefault(flow.get("sourceRef") or "", []).append(flow)
            yield from self.flow(scope, flow)
        for el in nodes:
            yield from self.node(el, outgoing.get(el.get("id") or "", []))
        yield from self.depth(scope, nodes, outgoing)

    def start_and_end(self, scope: etree._Element, kind: str, nodes: list[etree._Element]
                      ) -> Iterator[DefinitionError]:
        starts = [el for el in nodes if _local(el) == "startEvent"]
        if kind == "process" and not starts:
            yield self.problem("the process has no start event: draw one where a case begins", scope)
        elif kind in ("subProcess", "transaction"):
            what = "event sub-process" if scope.get("triggeredByEvent") == "true" else _words(kind)
            if len(starts) != 1:
                yield self.problem(f"{what} {_named(scope)}has {len(starts) or 'no'} start events; it needs exactly "
                                   "one: draw one start event inside it (to react to several triggers, draw one "
                                   "event sub-process per trigger)", scope)

    def flow(self, scope: etree._Element, flow: etree._Element) -> Iterator[DefinitionError]:
        source, target = self.by_id.get(flow.get("sourceRef") or ""), self.by_id.get(flow.get("targetRef") or "")
        for end, node in (("source", source), ("target", target)):
            if node is not None and _local(node) in FLOW_NODES and node.getparent() is not scope:
                inside = _scope_of(node)
                yield self.problem(
                    f"sequence flow's {end} '{node.get('id')}' is drawn in {_words(_local(inside))} "
                    f"'{inside.get('id')}', not where the flow is: a sequence flow cannot cross a sub-process's "
                    "border (end the flow inside the sub-process, and connect the sub-process itself)", flow)
        if target is not None and _local(target) in ("startEvent", "boundaryEvent"):
            yield self.problem(f"sequence flow leads into {_words(_local(target))} '{target.get('id')}', which "
                               "cannot have incoming flows: connect the flow to the task or gateway after it", flow)
        if source is not None and _local(source) == "endEvent":
            yield self.problem(f"sequence flow leaves end event '{source.get('id')}': a case ends there, so nothing "
                               "may follow (draw an intermediate event instead, or remove the flow)", flow)

    def node(self, el: etree._Element, outgoing: list[etree._Element]) -> Iterator[DefinitionError]:
        kind = _local(el)
        if kind == "complexGateway":
            yield self.problem("complex gateways are not supported: draw an inclusive gateway (conditions on its "
                               "outgoing flows) or an exclusive one", el)
        # Several flows leaving an activity, gateway rules and event-based gateway targets: see
        # sedflow.spiff.rewrite (what Camunda means) and .camunda (what it refuses).
        if kind == "boundaryEvent":
            yield from self.boundary(el)
        for loop in el.iterfind("bpmn:standardLoopCharacteristics", NS):
            condition = loop.find("bpmn:loopCondition", NS)
            if loop.get("loopMaximum") is None and (condition is None or not (condition.text or "").strip()):
                yield self.problem("loop marker without a loop condition or a maximum: give it one (SpiffWorkflow, "
                                   "which runs sedflow's cases, repeats the task until the condition holds or the "
                                   "maximum is reached), or remove the marker", el)

    def boundary(self, el: etree._Element) -> Iterator[DefinitionError]:
        ref = el.get("attachedToRef") or ""
        host = self.by_id.get(ref)
        if host is None or _local(host) not in ACTIVITIES:
            what = f"{_words(_local(host))} '{ref}'" if host is not None else f"'{ref}', which is not in the diagram"
            yield self.problem(f"boundary event is attached to {what}: attach it to a task or sub-process (drag it "
                               "onto the task's border)", el)
        elif host.getparent() is not el.getparent():
            yield self.problem(f"boundary event is attached to '{ref}', which is drawn in another (sub-)process: "
                               "draw the boundary event on the task's border", el)
        triggers = {_local(d).removesuffix("EventDefinition") for d in el if _local(d).endswith("EventDefinition")}
        if not triggers & BOUNDARY_TRIGGERS:
            yield self.problem("boundary event waits for nothing SpiffWorkflow can catch: make it a timer, message, "
                               "signal, error, escalation or conditional boundary event, or remove it", el)

    def depth(self, scope: etree._Element, nodes: list[etree._Element],
              outgoing: dict[str, list[etree._Element]]) -> Iterator[DefinitionError]:
        """SpiffWorkflow reads a scope depth first from its start events (boundary events before outgoing
        flows, both in document order) by recursion: refuse a path too deep for it before it overflows."""
        ids = {i for el in nodes if (i := el.get("id"))}
        attached: dict[str, list[str]] = {}
        for el in nodes:
            if _local(el) == "boundaryEvent" and el.get("id"):
                attached.setdefault(el.get("attachedToRef") or "", []).append(el.get("id"))

        def successors(node: str) -> Iterator[str]:
            yield from attached.get(node, ())
            yield from (t for f in outgoing.get(node, ()) if (t := f.get("targetRef") or "") in ids)

        starts = [i for el in nodes if _local(el) == "startEvent" and (i := el.get("id"))]
        seen: set[str] = set()
        for start in starts:
            if start in seen:
                continue
            seen.add(start)
            stack = [(start, successors(start))]
            while stack:
                if len(stack) > MAX_DEPTH:
                    deep = self.by_id[stack[-1][0]]
                    yield self.problem(
                        f"{_words(_local(scope))} '{scope.get('id')}' has a path of more than {MAX_DEPTH} elements "
                        "in a row; SpiffWorkflow, which runs sedflow's cases, reads a (sub-)process recursively and "
                        "cannot follow one that long: move a part of it into a sub-process or a called process",
                        deep)
                    return
                nxt = next((n for n in stack[-1][1] if n not in seen), None)
                if nxt is None:
                    stack.pop()
                else:
                    seen.add(nxt)
                    stack.append((nxt, successors(nxt)))

    # -- references from events to the definitions --------------------------------------------------------

    def references(self, el: etree._Element) -> Iterator[DefinitionError]:
        """Named by the event (or task), which is what the modeller shows, at the definition's line."""
        kind = _local(el)
        event = el.getparent()
        event_kind = _local(event) if event is not None else ""
        named = owner_id(event if kind.endswith("EventDefinition") and event is not None else el)
        yield from self._references(el, kind, event_kind, named)

    def _references(self, el: etree._Element, kind: str, event_kind: str, named: str | None
                    ) -> Iterator[DefinitionError]:
        if kind in ("messageEventDefinition", "sendTask", "receiveTask"):
            # Camunda's event parser looks a message up in the event's own file (and only if there is a
            # reference); send and receive tasks, SpiffWorkflow's own, in every file (even an empty reference)
            task = kind != "messageEventDefinition" or event_kind in ("sendTask", "receiveTask")
            ref = el.get("messageRef")
            known = self.catalogue.messages if task else self.own_messages
            if (ref is not None if task else bool(ref)) and ref not in known:
                where = "the diagrams loaded" if task else "this file"
                yield self.problem(f"message '{ref}' is not defined in {where}: choose a message (Global message "
                                   "reference in the modeller), or draw the message", el, named)
        elif kind == "signalEventDefinition" and (ref := el.get("signalRef")) and ref not in self.catalogue.signals:
            yield self.problem(f"signal '{ref}' is not defined in the diagrams loaded: choose a signal (Global signal "
                               "reference in the modeller), or draw the signal", el, named)
        elif kind == "escalationEventDefinition" and (ref := el.get("escalationRef")) and \
                ref not in self.catalogue.escalations:
            yield self.problem(f"escalation '{ref}' is not defined in the diagrams loaded: choose an escalation "
                               "(Global escalation reference in the modeller), or draw the escalation", el, named)
        elif kind == "timerEventDefinition":
            values = [c for c in el if _local(c) in ("timeDate", "timeDuration", "timeCycle")]
            if not any((c.text or "").strip() for c in values):
                yield self.problem("timer has no date, duration or cycle: enter one (Timer definition in the "
                                   "modeller, e.g. the duration P14D)", el, named)

    # -- data objects and data stores ---------------------------------------------------------------------

    def data(self, process: etree._Element) -> Iterator[DefinitionError]:
        for association in process.iter(bpmn("dataInputAssociation"), bpmn("dataOutputAssociation")):
            el = association.getparent()
            if el is not None and _local(el) in FLOW_NODES:  # what SpiffWorkflow resolves: a step's associations
                end = "sourceRef" if _local(association) == "dataInputAssociation" else "targetRef"
                for ref in association.iterfind(f"bpmn:{end}", NS):
                    yield from self.data_reference(el, ref.text or "")

    def data_reference(self, el: etree._Element, ref: str) -> Iterator[DefinitionError]:
        target = self.by_id.get(ref)
        kind = _local(target) if target is not None else ""
        if kind == "dataStoreReference":
            yield self.problem(f"data association with data store '{ref}' is refused: sedflow has no data stores "
                               "(draw form fields on the task instead, and remove the association)", el)
        elif kind == "dataObject":
            yield self.problem(f"data association names data object '{ref}' itself: connect the task to a data "
                               "object reference instead (the data object as drawn in the diagram)", el)
        elif kind != "dataObjectReference" or target is None:
            what = f"{_words(kind)} '{ref}'" if target is not None else f"'{ref}', which is not in the diagram,"
            yield self.problem(f"data association names {what} and not a data object reference: connect the task "
                               "to a data object drawn in its (sub-)process, or remove the association", el)
        else:
            # SpiffWorkflow finds a data object in the task's own (sub-)process or the one directly around it;
            # further out it loops forever, so this is checked here.
            obj = target.get("dataObjectRef") or ""
            scope = _scope_of(el)
            around = _scope_of(scope) if _local(scope) != "process" else None
            if not any(_local(c) == "dataObject" and c.get("id") == obj
                       for s in (scope, around) if s is not None for c in s):
                yield self.problem(
                    f"data object reference '{ref}' names data object '{obj}', which is not drawn in "
                    f"{_words(_local(scope))} '{scope.get('id')}' or directly around it: draw the data object "
                    "there (SpiffWorkflow, which runs sedflow's cases, looks no further)", el)


def _scopes(process: etree._Element) -> Iterator[etree._Element]:
    yield process
    yield from process.iter(*(bpmn(kind) for kind in sorted(SCOPE_KINDS - {"process"})))


def _scope_of(el: etree._Element) -> etree._Element:
    """The (sub-)process ``el`` is drawn in (the root if it is in none)."""
    node = el.getparent()
    while node is not None and _local(node) not in SCOPE_KINDS:
        node = node.getparent()
    return node if node is not None else el.getroottree().getroot()


def _local(el: etree._Element | None) -> str:
    """A BPMN element's tag without its namespace; ``""`` for anything else (this runs on every element, so
    it avoids ``etree.QName``)."""
    tag = el.tag if el is not None else None
    return tag[len(_PREFIX):] if isinstance(tag, str) and tag.startswith(_PREFIX) else ""


_PREFIX = f"{{{BPMN_NS}}}"


def _words(kind: str) -> str:
    """``userTask`` -> ``user task``, ``subProcess`` -> ``sub-process``."""
    return _WORDS.get(kind) or re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()


_WORDS = {"subProcess": "sub-process", "adHocSubProcess": "ad-hoc sub-process",
          "eventBasedGateway": "event-based gateway"}


def _a(kind: str) -> str:
    """The kind's words with their article: ``an exclusive gateway``."""
    words = _words(kind)
    return f"{'an' if words[:1] in set('aeio') else 'a'} {words}"


def _named(el: etree._Element) -> str:
    name = (el.get("name") or "").strip()
    return f"'{name}' " if name else ""


__all__ = ["MAX_DEPTH", "Catalogue", "check_structure"]
