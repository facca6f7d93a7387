"""Building SpiffWorkflow specs from diagrams sedflow has already parsed and checked.

sedflow parses every file itself (:func:`sedflow.bpmn.xml.parse_diagram`: no DTDs, no network) and
hands the trees to :class:`SedflowParser`, SpiffWorkflow's Camunda parser extended the way the library
means it to be (``OVERRIDE_PARSER_CLASSES``): its event parsers build clocked timer definitions
(:mod:`.timers`) in place of SpiffWorkflow's wall-clock ones. What the library would otherwise do wrong
with a spec shared by many cases is fixed once per spec (:func:`_share`). SpiffWorkflow's own
errors become :class:`~sedflow.errors.DefinitionError` with file, element and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import XSD_PATH as _SPIFF_XSD
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.node_parser import NodeParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    StartEvent,
)
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, SubWorkflowParser, UserTaskParser

from ..bpmn.elements import PASS_THROUGH
from ..bpmn.xml import line_of, local
from ..errors import DefinitionError
from .call_activity import CamundaCallActivity, CamundaCallActivityParser
from .codes import CodeVariables
from .events import BoundaryParser
from .external import ExternalParser, ExternalServiceTask
from .messages import MessageParser
from .multi_instance import MultiInstanceParser
from .rewrite import camunda_semantics
from .timers import CLOCKED, ClockCycle, ClockFirstOccurrence

#: The BPMN 2.0 XSD SpiffWorkflow ships (diagrams are validated against it before they are parsed).
XSD_PATH = Path(_SPIFF_XSD)


class _ClockedTimers:
    """Event parser mixin: a timer event gets the clocked definition of its kind. A cycle repeats only where
    a timer can fire again and again (a non-interrupting boundary event or event sub-process start); anywhere
    else it fires once, at its first occurrence (Camunda 7)."""

    node: etree._Element

    def parse_timer_event(self, event: etree._Element) -> Any:
        parsed = super().parse_timer_event(event)  # type: ignore[misc]
        kind = CLOCKED[type(parsed)]
        if kind is ClockCycle and not _repeats(self.node):
            kind = ClockFirstOccurrence
        clocked = kind(parsed.name, parsed.expression, description=parsed.description)
        clocked.element_id = self.bpmn_id  # type: ignore[attr-defined]
        return clocked


def _repeats(event: etree._Element) -> bool:
    if local(event) == "boundaryEvent":
        return bool(event.get("cancelActivity", "true") == "false")
    parent = event.getparent()
    return bool(local(event) == "startEvent" and parent is not None and parent.get("triggeredByEvent") == "true"
                and event.get("isInterrupting", "true") == "false")


class _StartEventParser(MessageParser, CodeVariables, _ClockedTimers, CamundaStartEventParser):  # type: ignore[misc]
    pass


class _IntermediateCatchEventParser(MessageParser, _ClockedTimers, CamundaIntermediateCatchEventParser):  # type: ignore[misc]
    pass


class _BoundaryEventParser(MessageParser, CodeVariables, _ClockedTimers, CamundaBoundaryEventParser):  # type: ignore[misc]
    pass


class _EndEventParser(ExternalParser, CodeVariables, CamundaEndEventParser):  # type: ignore[misc]
    pass


class _ThrowEventParser(ExternalParser, CodeVariables, CamundaIntermediateThrowEventParser):  # type: ignore[misc]
    pass


class _Activity(BoundaryParser, MultiInstanceParser):
    """Task parser mixin for the activities sedflow runs: its boundary joins and multi-instance reading."""


class _TaskParser(_Activity, CamundaTaskParser):  # type: ignore[misc]
    pass


class _ExternalTaskParser(ExternalParser, _Activity, CamundaTaskParser):  # type: ignore[misc]
    pass


class _UserTaskParser(_Activity, UserTaskParser):  # type: ignore[misc]
    pass


class _SubProcessParser(_Activity, SubWorkflowParser):  # type: ignore[misc]
    pass


class _CallActivityParser(_Activity, CamundaCallActivityParser):
    pass


class PassThroughTask(BpmnSpecMixin):  # type: ignore[misc]
    """A plain or manual task: completed as soon as a case reaches it (Camunda 7), waiting for no one."""


class SedflowParser(CamundaParser):  # type: ignore[misc]
    """The Camunda parser (forms, properties, lanes) whose timers read the engine's clock.

    Only start, intermediate catch and boundary events carry timers; an event-based gateway's timers are
    the intermediate catch events after it. A plain ``task`` and a ``manualTask`` complete on arrival,
    as in Camunda 7 (SpiffWorkflow would wait for someone to complete them). External service and send
    tasks and message throws wait for a worker (:mod:`.external`).
    """

    def get_document_positions(self, root: Any) -> dict[str, Any]:
        """No positions: SpiffWorkflow orders a gateway's outgoing flows by where their targets are drawn,
        Camunda 7 by the order the flows are written (the first true condition of an exclusive gateway
        wins); with every position equal the written order stays."""
        return {}

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (_StartEventParser, StartEvent),
        full_tag("intermediateCatchEvent"): (_IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (_BoundaryEventParser, BoundaryEvent),
        full_tag("endEvent"): (_EndEventParser, EndEvent),
        full_tag("intermediateThrowEvent"): (_ThrowEventParser, IntermediateThrowEvent),
        **{full_tag(kind): (_TaskParser, PassThroughTask) for kind in sorted(PASS_THROUGH)},
        # Only external ones get here (``checks.undrivable`` refuses the rest): they wait for a worker.
        **{full_tag(kind): (_ExternalTaskParser, ExternalServiceTask) for kind in ("serviceTask", "sendTask")},
        full_tag("userTask"): (_UserTaskParser, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("userTask")][1]),
        full_tag("subProcess"): (_SubProcessParser, CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][1]),
        full_tag("callActivity"): (_CallActivityParser, CamundaCallActivity),
    }


#: What a problem says when SpiffWorkflow failed in a way sedflow has no check for (a bug to report).
UNREADABLE = ("SpiffWorkflow, which runs sedflow's cases, cannot read this element, and sedflow has no check that "
              "says why yet: compare it with what Camunda Modeler draws for such an element and redraw it (or "
              "remove it), and report the diagram to sedflow's maintainers")


class SpecBuilder:
    """Specs for the processes of a set of diagrams, every SpiffWorkflow error as a DefinitionError."""

    def __init__(self, trees: Mapping[str, etree._ElementTree]):
        self._trees = trees
        self._parser = SedflowParser()
        #: What SpiffWorkflow refused while reading the files.
        self.problems: list[DefinitionError] = []
        for name, tree in trees.items():
            self.problems += _reserved_ids(tree, name)
            try:
                self._parser.add_bpmn_xml(camunda_semantics(tree), filename=name)
            except ValidationException as exc:
                self.problems.append(self._problem(exc))
            except Exception as exc:  # SpiffWorkflow reports some structural errors as plain exceptions
                self.problems.append(self._unexpected(exc, name))

    def build(self, process_id: str, file: str) -> tuple[Any, dict[str, Any]]:
        """The process's spec and the specs of the processes it calls (SpiffWorkflow ``BpmnProcessSpec``s),
        ready to be shared by every case."""
        try:
            spec = self._parser.get_spec(process_id)
            subprocess_specs = self._parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            raise self._problem(exc) from exc
        except Exception as exc:
            raise self._unexpected(exc, file, _element_in(exc) or process_id) from exc
        for process_spec in (spec, *subprocess_specs.values()):
            _share(process_spec)
        return spec, dict(subprocess_specs)

    def _problem(self, exc: ValidationException) -> DefinitionError:
        message = str(exc.args[0]) if exc.args else str(exc)
        file = exc.file_name or None
        inner = exc.__context__
        if inner is not None and not isinstance(inner, ValidationException) and message == repr(inner):
            return self._unexpected(exc, file, exc.id or None)  # a task parser's wrapping of another error
        return _caused(DefinitionError(message, file=file, element=exc.id or None,
                                       line=line_of(self._trees, file, exc.id)), exc)

    def _unexpected(self, exc: Exception, file: str | None, element: str | None = None) -> DefinitionError:
        """What SpiffWorkflow failed on without a message for people: named by the element it was reading,
        its Python error kept as the cause (never shown: it names library internals, not the diagram)."""
        element = element or _element_in(exc)
        line = line_of(self._trees, file, element)
        if line is None and file is not None and file in self._trees:  # nothing more precise: the file's root
            line = self._trees[file].getroot().sourceline
        return _caused(DefinitionError(UNREADABLE, file=file, element=element, line=line), exc)


#: Names SpiffWorkflow gives the internal tasks of every process spec: an element with one of these ids
#: would replace them (``WorkflowException: No output task connected`` when a case starts).
RESERVED_IDS = frozenset({"Start", "End"})


def _reserved_ids(tree: etree._ElementTree, file: str) -> list[DefinitionError]:
    return [DefinitionError(f"the id '{el.get('id')}' is reserved by SpiffWorkflow, which runs sedflow's cases, "
                            f"for a task of its own; give the element another id (e.g. '{el.get('id').lower()}_event')",
                            file=file, element=el.get("id"), line=el.sourceline)
            for el in tree.iter() if isinstance(el.tag, str) and el.get("id") in RESERVED_IDS]


def _element_in(exc: BaseException) -> str | None:
    """The id of the innermost diagram element SpiffWorkflow was reading when ``exc`` was raised."""
    tb, frames = exc.__traceback__, []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            node = value.node if isinstance(value, NodeParser) else value
            if isinstance(node, etree._Element) and node.get("id"):
                return str(node.get("id"))
    return None


def _caused(error: DefinitionError, cause: BaseException) -> DefinitionError:
    """A problem collected (not raised) keeps what SpiffWorkflow raised as its cause."""
    error.__cause__ = cause
    return error


def _share(process_spec: Any) -> None:
    """Link event sub-processes once, at load, so that triggering one never rewires the shared spec.

    SpiffWorkflow 3.2 connects ``Start -> event sub-process -> End`` into the *spec* the first time an
    event sub-process is triggered, unless ``Start`` is already among the sub-process's inputs; with a
    spec shared by many cases (and cached by version), every later case would then run that sub-process
    as soon as it starts. So the links are made here: ``-> End`` fully (a triggered sub-process can
    finish its process) and ``Start ->`` on the sub-process's side only, so that it has an input (and
    ``trigger_wf`` adds nothing) but ``Start`` never spawns it.
    """
    start = process_spec.start
    for name in start.trigger_specs:
        task_spec = process_spec.task_specs[name]
        if process_spec.end not in task_spec.outputs:
            task_spec.connect(process_spec.end)
        if start not in task_spec.inputs:
            task_spec.inputs = [*task_spec.inputs, start]  # inputs is a computed list: set it whole


__all__ = ["UNREADABLE", "XSD_PATH", "SedflowParser", "SpecBuilder"]
