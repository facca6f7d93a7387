"""What Camunda 7 refuses when a diagram is deployed, and what sedflow refuses because it does not run it.

Camunda 7's parser rejects some shapes a modeller lets a process owner draw (an exclusive gateway with
an unconditional flow that is not its default, an event-based gateway leading to a task, ...); sedflow
refuses the same shapes, with Camunda's reasons. It also refuses the constructs it does not run, saying
what to draw instead (transactions, compensation, cancel events, expressions as called elements).
Each problem names the file, element and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from ..bpmn.index import flow_nodes
from ..bpmn.xml import CAMUNDA_NS, bpmn, local
from ..errors import DefinitionError

#: Camunda attributes sedflow does not honour, and why (each refused where it is set; implementations of
#: service work -- class, delegateExpression, expression, connector -- are refused with their tasks,
#: ``checks.undrivable``). Task assignment (``assignee``, ``candidate*``, ``dueDate``, ``followUpDate``,
#: ``priority``) is accepted but not yet shown or enforced: README's element table says so, and task owners
#: are the next piece of work.
_ATTRIBUTES = {
    **dict.fromkeys(("formKey", "formRef"), "sedflow shows generated task forms only (camunda:formData); draw the "
                                            "form's fields as form fields"),
    **dict.fromkeys(("asyncBefore", "asyncAfter", "exclusive", "jobPriority"),
                    "sedflow runs no job executor: every step commits as one transaction; remove it"),
    "initiator": "the case's actor is journaled with every step; remove it",
}
#: Camunda extension elements sedflow does not run, and why.
_EXTENSIONS = {
    "inputOutput": "input/output parameters are not run; pass data with form fields or camunda:in/out",
    "executionListener": "listeners run code, which sedflow does not run from diagrams",
    "taskListener": "listeners run code, which sedflow does not run from diagrams",
    "failedJobRetryTimeCycle": "sedflow runs no job executor: a failing step writes nothing and is reported",
}

#: The elements Camunda 7 lets an external-task worker do (``camunda:type="external"``) that sedflow runs
#: so: tasks carry the attributes, message throw and end events on their message event definition.
EXTERNAL_KINDS = frozenset({"serviceTask", "sendTask", "intermediateThrowEvent", "endEvent"})


def _implementation(el: etree._Element) -> etree._Element:
    if local(el) in ("intermediateThrowEvent", "endEvent"):
        definition = el.find(bpmn("messageEventDefinition"))
        return definition if definition is not None else el
    return el


def external_work(el: etree._Element) -> bool:
    """Whether an element is drawn as external-task work: Implementation External in Camunda Modeler."""
    return local(el) in EXTERNAL_KINDS and _implementation(el).get(f"{{{CAMUNDA_NS}}}type") == "external"


_NO_PRIORITY = "sedflow's workers fetch the oldest external task first and take no priorities; remove it"


def _external_problems(el: etree._Element) -> Iterator[str]:
    """How an external task is drawn: a fixed topic, and none of the Camunda attributes sedflow does not run."""
    if not external_work(el):
        return
    eid, drawn = el.get("id"), _implementation(el)
    topic = (drawn.get(f"{{{CAMUNDA_NS}}}topic") or "").strip()
    if not topic:
        yield (f"external task '{eid}' names no topic (Camunda refuses it too): set Topic (camunda:topic), the name "
               "its workers fetch it by")
    elif "${" in topic or "#{" in topic:
        yield (f"camunda:topic '{topic}' on '{eid}' is refused: sedflow's workers fetch by a fixed topic, and a "
               "topic computed from case data could name one no worker serves; write the topic itself (and branch "
               "with an exclusive gateway to one external task per topic)")
    if drawn.get(f"{{{CAMUNDA_NS}}}taskPriority") is not None:
        yield f"camunda:taskPriority on '{eid}' is refused: {_NO_PRIORITY}"
    for ext in el.iterfind(bpmn("extensionElements")):
        if ext.find(f"{{{CAMUNDA_NS}}}errorEventDefinition") is not None:
            yield (f"camunda:errorEventDefinition on '{eid}' is refused: sedflow evaluates no expressions on a "
                   "worker's result; the worker throws the BPMN error itself (Engine.bpmn_error, or BpmnError in "
                   "a sedflow.worker handler), caught by an error boundary event on the task")


#: What may follow an event-based gateway (BPMN 2.0, 10.5.6).
_AFTER_EVENT_GATEWAY = frozenset({"intermediateCatchEvent", "receiveTask"})


_TTL = f"{{{CAMUNDA_NS}}}historyTimeToLive"
_DAYS = re.compile(r"(?:P(\d{1,6})D|(\d{1,6}))")


def days_of(text: str) -> int | None:
    """Whole days as Camunda 7 writes a time to live (``180`` or ``P180D``), or None when ``text`` is not that."""
    match = _DAYS.fullmatch(text.strip())
    return None if match is None else int(match.group(1) or match.group(2))


def history_days(process: etree._Element) -> int | None:
    """The days an ended case of ``process`` keeps its personal data (``camunda:historyTimeToLive``), or None
    when the process sets none (or a value that is not days, which ``camunda_problems`` refuses).
    ``sedflow store purge`` acts on it."""
    return days_of(process.get(_TTL) or "")


def camunda_problems(process: etree._Element, file: str) -> list[DefinitionError]:
    """Every shape of ``process`` Camunda 7 refuses at deployment or sedflow does not run."""
    flows = list(process.iter(bpmn("sequenceFlow")))
    outgoing: dict[str | None, list[etree._Element]] = {}
    incoming: dict[str | None, list[etree._Element]] = {}
    for f in flows:
        outgoing.setdefault(f.get("sourceRef"), []).append(f)
        incoming.setdefault(f.get("targetRef"), []).append(f)
    nodes = {el.get("id"): el for el in flow_nodes(process)}
    errors = {e.get("id"): e for e in process.getroottree().getroot().iterfind(bpmn("error"))}

    def problem(el: etree._Element, message: str) -> DefinitionError:
        return DefinitionError(message, file=file, element=el.get("id"), line=el.sourceline)

    found: list[DefinitionError] = []
    ttl = process.get(_TTL)
    if ttl is not None and history_days(process) is None:
        found.append(problem(process, f"camunda:historyTimeToLive '{ttl}' on process '{process.get('id')}' is "
                                      "not a number of days: write whole days, as '180' or 'P180D'"))
    if process.get(f"{{{CAMUNDA_NS}}}taskPriority") is not None:
        found.append(problem(process, f"camunda:taskPriority on process '{process.get('id')}' is refused: "
                                      f"{_NO_PRIORITY}"))
    for el in nodes.values():
        kind, outs = local(el), outgoing.get(el.get("id"), [])
        default = el.get("default")
        if default is not None and default not in {f.get("id") for f in outs}:
            found.append(problem(el, f"default flow '{default}' is not a sequence flow leaving '{el.get('id')}': make "
                                     "one of its outgoing flows the default, or remove the default"))
        found += [problem(el, m) for m in _gateway_rules(el, kind, outs, nodes, incoming)]
        found += [problem(el, m) for m in _unsupported(el, kind, errors)]
        found += [problem(el, m) for m in _camunda_extensions(el)]
        found += [problem(el, m) for m in _external_problems(el)]
    for scope in process.iter(bpmn("subProcess"), bpmn("transaction")):
        for kind in ("errorEventDefinition", "escalationEventDefinition"):
            esps = [esp for esp in scope.iterfind(bpmn("subProcess")) if esp.get("triggeredByEvent") == "true"
                    and any(st.find(bpmn(kind)) is not None for st in esp.iterfind(bpmn("startEvent")))]
            boundary = [b for b in process.iter(bpmn("boundaryEvent"))
                        if b.get("attachedToRef") == scope.get("id") and b.find(bpmn(kind)) is not None]
            if esps and (boundary or len(esps) > 1):
                what = kind.removesuffix("EventDefinition")
                rival = f"boundary event '{boundary[0].get('id')}'" if boundary else f"'{esps[1].get('id')}'"
                found.append(problem(esps[0], f"{what} event sub-process '{esps[0].get('id')}' inside sub-process "
                                              f"'{scope.get('id')}' beside {rival} is refused: SpiffWorkflow, which "
                                              "runs the cases, does not give the innermost catch precedence as "
                                              f"Camunda does (keep one {what} catch for the sub-process)"))
    for b in process.iter(bpmn("boundaryEvent")):
        host = nodes.get(b.get("attachedToRef"))
        if host is not None and local(host) in ("subProcess", "callActivity") \
                and host.find(bpmn("multiInstanceLoopCharacteristics")) is not None:
            found.append(problem(b, f"boundary event on multi-instance {local(host)} '{host.get('id')}' is refused: "
                                    "SpiffWorkflow, which runs the cases, loses the instances' sub-processes when it "
                                    "interrupts them (draw a sub-process around the multi-instance activity and put "
                                    "the boundary event on that)"))
    for f in flows:
        target, source = nodes.get(f.get("targetRef")), nodes.get(f.get("sourceRef"))
        gateways = [i.get("sourceRef") for i in incoming.get(f.get("targetRef"), [])
                    if local(nodes.get(i.get("sourceRef"), f)) == "eventBasedGateway"]
        if target is not None and gateways and f.get("sourceRef") not in gateways:
            found.append(problem(f, f"invalid incoming sequence flow for {local(target)} '{target.get('id')}', which "
                                    f"follows event-based gateway '{gateways[0]}': an event after an event-based "
                                    "gateway may be reached only from it"))
        if source is not None and f.get("id") == source.get("default") and _condition(f) is not None:
            found.append(problem(source, f"{local(source)} '{source.get('id')}' has outgoing sequence flow "
                                         f"'{f.get('id')}' which is the default flow but has a condition too "
                                         "(remove the condition: the default is taken when no other flow is)"))
    return found


def _gateway_rules(el: etree._Element, kind: str, outs: list[etree._Element], nodes: dict[str | None, etree._Element],
                   incoming: dict[str | None, list[etree._Element]]) -> Iterator[str]:
    gid = el.get("id")
    if kind == "exclusiveGateway":
        if not outs:
            yield f"exclusive gateway '{gid}' has no outgoing sequence flows (draw where the case goes from here)"
        # Camunda: one flow without a condition and no default is the default; any other such flow is an error.
        bare = [f for f in outs if _condition(f) is None and f.get("id") != el.get("default")]
        for f in bare if el.get("default") or len(bare) > 1 else ():
            yield (f"exclusive gateway '{gid}' has outgoing sequence flow '{f.get('id')}' without condition which "
                   "is not the default flow: give it a condition, or make it the gateway's default flow")
    elif kind == "eventBasedGateway":
        for f in outs:
            target = nodes.get(f.get("targetRef"))
            if target is not None and local(target) not in _AFTER_EVENT_GATEWAY:
                yield (f"event-based gateway '{gid}' leads to {local(target)} '{target.get('id')}': it may only lead "
                       "to events; draw intermediate catch events (timer, message, signal) or receive tasks after it")


def _unsupported(el: etree._Element, kind: str, errors: dict[str | None, etree._Element]) -> Iterator[str]:
    eid = el.get("id")
    if kind == "transaction":
        yield ("transaction sub-processes are refused: sedflow runs no compensation and no cancel events (draw a "
               "sub-process with an error boundary event and the undoing work as tasks on that path)")
    if el.get("isForCompensation") == "true" or el.find(bpmn("compensateEventDefinition")) is not None:
        yield (f"compensation is refused ('{eid}'): sedflow does not run compensation handlers (draw the undoing "
               "work as tasks on an error or escalation path)")
    if el.find(bpmn("cancelEventDefinition")) is not None:
        yield (f"cancel events are refused ('{eid}'): they end transactions, which sedflow does not run (draw an "
               "error end event and an error boundary event)")
    if kind == "receiveTask" and not el.get("messageRef"):
        yield ("receive task names no message: Camunda lets a program trigger it, sedflow delivers messages "
               "(Engine.correlate_message); choose the message it waits for (Message in the modeller)")
    if kind == "callActivity" and "{" in (el.get("calledElement") or ""):
        yield ("calledElement must name a process: sedflow resolves called processes when diagrams load, so an "
               "expression is refused (draw one call activity per called process behind an exclusive gateway)")
    if kind == "startEvent":
        for definition in (*el.iterfind(bpmn("errorEventDefinition")), *el.iterfind(bpmn("escalationEventDefinition"))):
            for name in ("errorCodeVariable", "errorMessageVariable", "escalationCodeVariable"):
                if definition.get(f"{{{CAMUNDA_NS}}}{name}") is not None:
                    yield (f"camunda:{name} on start event '{eid}' of an event sub-process is refused: SpiffWorkflow, "
                           "which runs the cases, does not pass the code to an event sub-process (catch it with a "
                           "boundary event on the sub-process, where the variable is set)")
    for definition in el.iterfind(bpmn("signalEventDefinition")):
        mapped = [*definition.iterfind(f"{bpmn('extensionElements')}/{{{CAMUNDA_NS}}}in"),
                  *el.iterfind(f"{bpmn('extensionElements')}/{{{CAMUNDA_NS}}}in")]
        if kind in ("intermediateThrowEvent", "endEvent") and mapped:
            yield (f"camunda:in on signal throw '{eid}' is refused: sedflow does not pass the thrower's variables "
                   "with a signal yet (Camunda 7 sets them in every catching instance); let the receiving case's "
                   "people record what they need in a form, or broadcast the signal with its data "
                   "(Engine.broadcast_signal, sedflow signal NAME --set k=v)")
    for definition in el.iterfind(bpmn("errorEventDefinition")):
        error = errors.get(definition.get("errorRef"))
        if kind == "endEvent" and error is not None and not error.get("errorCode"):
            yield (f"error end event '{eid}' throws error '{error.get('id')}', which has no errorCode (give the "
                   "<error> an error code that the boundary or event sub-process catching it names)")


def _camunda_extensions(el: etree._Element) -> Iterator[str]:
    for name, why in _ATTRIBUTES.items():
        if el.get(f"{{{CAMUNDA_NS}}}{name}") is not None:
            yield f"camunda:{name} on '{el.get('id')}' is refused: {why}"
    for ext in el.iterfind(bpmn("extensionElements")):
        for child in ext:
            name = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if etree.QName(child).namespace == CAMUNDA_NS and name in _EXTENSIONS:
                yield f"camunda:{name} on '{el.get('id')}' is refused: {_EXTENSIONS[name]}"


def _condition(flow: etree._Element) -> etree._Element | None:
    return flow.find(bpmn("conditionExpression"))


__all__ = ["EXTERNAL_KINDS", "camunda_problems", "days_of", "external_work", "history_days"]
