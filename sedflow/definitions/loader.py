"""Loading diagrams safely into immutable, content-versioned process definitions.

A definition is parsed once and shared by every case that runs on it; cases refer to it by its
*version*, a hash of the diagram files it was built from. Loading is defensive because diagrams come
from process owners' desktops: no DTDs or entities, no network, XSD validation, script tasks refused,
every expression checked by the safe evaluator, and every problem reported with file, element and line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import XSD_PATH
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.task import TaskState
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from ..bpmn import ElementRef
from ..errors import DefinitionError, ExpressionError, UnknownProcessError
from ..expressions import compile_expression
from ..vocabulary import END_REASONS, OUTCOMES
from .forms import FIELD_TYPES, Form, FormField
from .timers import CLOCKED, use_engine_clock

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "bpmndi": DI_NS}
MAX_FILE_BYTES = 5 * 1024 * 1024

FLOW_NODES = {
    "task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
    "scriptTask", "callActivity", "subProcess", "transaction", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
_EXPRESSION_TAGS = ("conditionExpression", "timeDate", "timeDuration", "timeCycle", "completionCondition",
                    "loopCardinality")
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ElementInfo:
    """What sedflow knows about one diagram element, read from the XML (not from SpiffWorkflow)."""

    id: str
    name: str
    kind: str               # BPMN tag without namespace, e.g. "userTask"
    process_id: str
    file: str
    line: int
    lane: str | None = None  # lane code: the lane id without its "lane_" prefix
    parent: str | None = None  # the enclosing sub-process, if any
    interrupting: bool = False  # an interrupting start event, or an event sub-process that has one
    documentation: str = ""
    properties: Mapping[str, str] = field(default_factory=dict)
    form: Form | None = None

    @property
    def stage(self) -> str | None:
        return self.properties.get("stage")

    @property
    def milestone(self) -> str | None:
        return self.properties.get("milestone")

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def ref(self) -> ElementRef:
        return ElementRef(self.process_id, self.id)


@dataclass(frozen=True, eq=False)
class ProcessDefinition:
    """One executable process at one version: the parsed spec plus sedflow's element index.

    Immutable by convention; shared by every case on this version (SpiffWorkflow specs are not
    modified by running workflows).
    """

    process_id: str
    name: str
    version: str
    sources: Mapping[str, bytes]            # file name -> content, for every file the version needs
    spec: Any                               # SpiffWorkflow BpmnProcessSpec
    subprocess_specs: Mapping[str, Any]
    elements: Mapping[tuple[str, str], ElementInfo]   # (process id, element id) -> info
    properties: Mapping[str, str]

    def element(self, process_id: str, element_id: str) -> ElementInfo | None:
        return self.elements.get((process_id, element_id))

    @property
    def start_event(self) -> ElementInfo | None:
        """The process's start event that carries a form: what `start_case` data must fit."""
        return next((e for e in self.elements.values() if e.process_id == self.process_id and e.kind == "startEvent"
                     and e.parent is None and e.form is not None), None)

    @property
    def start_form(self) -> Form | None:
        return self.start_event.form if self.start_event else None

    @property
    def field_ids(self) -> frozenset[str]:
        """Every form field of the process and the processes it calls: the case data's vocabulary."""
        return frozenset(f.id for e in self.elements.values() if e.form for f in e.form.fields)

    @property
    def interrupting_event_subprocesses(self) -> frozenset[str]:
        return frozenset(e.id for e in self.elements.values() if e.kind == "subProcess" and e.interrupting)

    def user_tasks(self) -> list[ElementInfo]:
        return [e for e in self.elements.values() if e.kind == "userTask"]


class Definitions:
    """The set of process definitions loaded from one directory (or list of files)."""

    def __init__(self, processes: Iterable[ProcessDefinition], warnings: Iterable[str] = ()):
        self._by_id = {p.process_id: p for p in processes}
        self._by_version = {p.version: p for p in self._by_id.values()}
        self.warnings = list(warnings)

    def __iter__(self) -> Iterator[ProcessDefinition]:
        return iter(sorted(self._by_id.values(), key=lambda p: p.process_id))

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, process_id: str) -> ProcessDefinition:
        try:
            return self._by_id[process_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise UnknownProcessError(f"unknown process '{process_id}' (known: {known})") from None

    def by_version(self, version: str) -> ProcessDefinition | None:
        return self._by_version.get(version)


def load_directory(path: str | Path) -> Definitions:
    """Load every ``*.bpmn`` file in ``path`` (not recursive)."""
    directory = Path(path)
    if not directory.is_dir():
        raise DefinitionError(f"process directory {directory} does not exist")
    files = sorted(directory.glob("*.bpmn"))
    if not files:
        raise DefinitionError(f"no .bpmn files in {directory}")
    return load_files(files)


def load_files(paths: Iterable[str | Path]) -> Definitions:
    sources: dict[str, bytes] = {}
    for p in map(Path, paths):
        try:
            if p.stat().st_size > MAX_FILE_BYTES:
                raise DefinitionError(f"file is larger than {MAX_FILE_BYTES} bytes", file=str(p))
            sources[str(p)] = p.read_bytes()
        except OSError as exc:
            raise DefinitionError(f"cannot read: {exc.strerror}", file=str(p)) from None
    return load_sources(sources)


def load_sources(sources: Mapping[str, bytes]) -> Definitions:
    """Build definitions from in-memory files; raise one DefinitionError listing every problem found."""
    problems: list[DefinitionError] = []
    warnings: list[str] = []
    trees: dict[str, etree._ElementTree] = {}
    for name, data in sources.items():
        try:
            trees[name] = parse_diagram(data, name)
        except DefinitionError as exc:
            problems.extend(exc.problems)
    index: dict[tuple[str, str], ElementInfo] = {}
    process_props: dict[str, dict[str, str]] = {}
    process_files: dict[str, str] = {}
    calls: dict[str, set[str]] = {}
    names_used: list[tuple[str, frozenset[str], str, str, int]] = []  # process, names, file, element, line
    scopes: dict[str, str] = {}  # process or sub-process id -> where it is defined
    for name, tree in trees.items():
        problems.extend(_check_xsd(tree, name))
        for process in tree.getroot().iterfind("bpmn:process", NS):
            pid = process.get("id")
            process_files[pid] = name
            # SpiffWorkflow names processes and sub-processes by id, in one namespace across all files.
            for scope in (process, *process.iter(f"{{{BPMN_NS}}}subProcess", f"{{{BPMN_NS}}}transaction")):
                sid = scope.get("id")
                if sid in scopes:
                    problems.append(DefinitionError(
                        f"{_local(scope.tag)} id '{sid}' is also used at {scopes[sid]}: process and sub-process ids "
                        "must be unique across all loaded diagrams (prefix it with the programme)",
                        file=name, element=sid, line=scope.sourceline))
                scopes[sid] = f"{name}:{scope.sourceline}"
            process_props[pid] = _properties(process)
            calls[pid] = {c.get("calledElement") for c in process.iter(f"{{{BPMN_NS}}}callActivity")}
            problems.extend(_index_process(process, pid, name, tree, index, names_used))
        warnings.extend(_check_di(tree, name))
    if problems:
        raise _collect(problems)

    parser = CamundaParser()
    for name, tree in trees.items():
        try:
            parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as exc:
            problems.append(_from_spiff(exc, trees))
        except Exception as exc:  # SpiffWorkflow reports some structural errors as plain exceptions
            problems.append(DefinitionError(f"SpiffWorkflow cannot parse it: {type(exc).__name__}: {exc}", file=name))
    definitions = []
    for pid, name in sorted(process_files.items()):
        root_process = trees[name].getroot().find(f"bpmn:process[@id='{pid}']", NS)
        if root_process.get("isExecutable", "false").lower() != "true":
            continue
        missing = sorted(c for c in _closure(pid, calls) if c not in process_files)
        if missing:
            problems.append(DefinitionError(f"calls process '{missing[0]}', which is not defined in any file",
                                            file=name, element=pid, line=root_process.sourceline))
            continue
        try:
            spec = parser.get_spec(pid)
            subprocess_specs = parser.get_subprocess_specs(pid)
        except ValidationException as exc:
            problems.append(_from_spiff(exc, trees))
            continue
        except Exception as exc:
            problems.append(DefinitionError(f"SpiffWorkflow cannot build it: {type(exc).__name__}: {exc}",
                                            file=name, element=pid))
            continue
        for process_spec in (spec, *subprocess_specs.values()):
            _adapt_spec(process_spec)
        needed = sorted({name} | {process_files[c] for c in _closure(pid, calls)})
        used = {pid, *_closure(pid, calls)}
        definitions.append(ProcessDefinition(
            process_id=pid,
            name=root_process.get("name") or pid,
            version=_version({f: sources[f] for f in needed}),
            sources={f: sources[f] for f in needed},
            spec=spec,
            subprocess_specs=subprocess_specs,
            elements={k: v for k, v in index.items() if k[0] in used},
            properties=process_props[pid],
        ))
    if problems:
        raise _collect(problems)
    for definition in definitions:
        for pid, names, file, element, line in names_used:
            unknown = sorted(names - definition.field_ids) if pid == definition.process_id else []
            if unknown:
                warnings.append(f"{file}:{line}: element '{element}' uses {', '.join(map(repr, unknown))}, which no "
                                f"form of process '{pid}' defines (a typo? it fails when evaluated)")
    return Definitions(definitions, warnings)


class SharedSpecStart(BpmnStartTask):
    """A start task that starts event sub-processes without rewiring the spec.

    SpiffWorkflow 3.2 connects ``Start -> event sub-process -> End`` into the *spec* the first time an
    event sub-process is triggered; with a spec shared by many cases (and cached by version), every
    later case would then run that sub-process as soon as it starts. Instead the links are made once at
    load: ``-> End`` fully (so a triggered sub-process can finish its process) and ``Start ->`` on the
    sub-process's side only, so that it has an input but ``Start`` never spawns it.
    """

    def trigger_wf(self, my_task: Any, spec_name: str) -> Any:
        child = my_task._add_child(self._wf_spec.task_specs[spec_name], TaskState.FUTURE)
        child.triggered = True
        child.task_spec._update(child)
        return child.id


def _adapt_spec(process_spec: Any) -> None:
    """Fix, once at load, what SpiffWorkflow would otherwise do wrong with a shared, cached spec."""
    for task_spec in process_spec.task_specs.values():
        use_engine_clock(task_spec)
    start = process_spec.start
    for name in start.trigger_specs:
        task_spec = process_spec.task_specs[name]
        if process_spec.end not in task_spec.outputs:
            task_spec.connect(process_spec.end)
        if start not in task_spec.inputs:
            task_spec._connect_notify(start)
    start.__class__ = SharedSpecStart


@lru_cache(maxsize=1)
def serializer_registry() -> Any:
    """SpiffWorkflow's Camunda serializer registry, also converting the spec classes ``_adapt_spec`` swaps
    in (as the classes they extend): workflow state is written with it, and SpiffWorkflow's spec diff
    needs it to compare two versions."""
    adapted = {SharedSpecStart: CAMUNDA_CONFIG[BpmnStartTask],
               **{clocked: CAMUNDA_CONFIG[base] for base, clocked in CLOCKED.items()}}
    return BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, **adapted})


def _version(files: Mapping[str, bytes]) -> str:
    """Content hash over the files a process needs; file *names* do not matter, only their bytes."""
    digest = hashlib.sha256()
    for content in sorted(hashlib.sha256(data).digest() for data in files.values()):
        digest.update(content)
    return digest.hexdigest()[:16]


def _closure(pid: str, calls: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(calls.get(pid, ()))
    while todo:
        called = todo.pop()
        if called not in seen:
            seen.add(called)
            todo.extend(calls.get(called, ()))
    return seen


def parse_diagram(data: bytes, name: str) -> etree._ElementTree:
    # Refuse DTDs outright (entity bombs, external entities) before any parser sees the bytes.
    match = re.search(rb"<!(DOCTYPE|ENTITY)", data)
    if match:
        line = data[:match.start()].count(b"\n") + 1
        raise DefinitionError(f"{match.group(1).decode()} declarations are not allowed in diagrams",
                              file=name, line=line)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DefinitionError(f"not well-formed XML: {exc.msg}", file=name, line=exc.lineno) from None
    tree = root.getroottree()
    if tree.docinfo.doctype:  # e.g. a DOCTYPE in another encoding than the byte scan saw
        raise DefinitionError("DOCTYPE declarations are not allowed in diagrams", file=name, line=1)
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise DefinitionError(f"root element is {root.tag}, not bpmn:definitions", file=name, line=root.sourceline)
    return tree


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(XSD_PATH))


def _check_xsd(tree: etree._ElementTree, name: str) -> list[DefinitionError]:
    schema = _schema()
    if schema.validate(tree):
        return []
    return [DefinitionError(f"XSD: {err.message}", file=name, element=_element_at_line(tree, err.line), line=err.line)
            for err in schema.error_log]


def _element_at_line(tree: etree._ElementTree, line: int) -> str | None:
    for el in tree.iter():
        if el.sourceline == line and isinstance(el.tag, str):
            node = el
            while node is not None and not node.get("id"):
                node = node.getparent()
            return node.get("id") if node is not None else None
    return None


def _line_of(trees: Mapping[str, etree._ElementTree], file: str | None, element_id: str | None) -> int | None:
    """SpiffWorkflow's errors carry no line number; recover it from the element id."""
    if not element_id:
        return None
    candidates = [trees[file]] if file in trees else list(trees.values())
    for tree in candidates:
        found = tree.getroot().xpath("//*[@id=$id]", id=element_id)
        if found:
            return found[0].sourceline
    return None


def _from_spiff(exc: ValidationException, trees: Mapping[str, etree._ElementTree]) -> DefinitionError:
    message = str(exc.args[0]) if exc.args else str(exc)
    file = exc.file_name or None
    return DefinitionError(message, file=file, element=exc.id or None, line=_line_of(trees, file, exc.id))


def _collect(problems: list[DefinitionError]) -> DefinitionError:
    first = problems[0]
    extra = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    return DefinitionError(first.detail + extra, file=first.file, element=first.element, line=first.line,
                           problems=problems)


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _properties(node: etree._Element) -> dict[str, str]:
    ext = node.find("bpmn:extensionElements", NS)
    if ext is None:
        return {}
    return {p.get("name"): p.get("value", "") for p in ext.iterfind("camunda:properties/camunda:property", NS)}


def _index_process(process: etree._Element, pid: str, file: str, tree: etree._ElementTree,
                   index: dict[tuple[str, str], ElementInfo],
                   names_used: list[tuple[str, frozenset[str], str, str, int]]) -> list[DefinitionError]:
    problems: list[DefinitionError] = []
    lanes = {ref.text.strip(): lane.get("id") for lane in process.iter(f"{{{BPMN_NS}}}lane")
             for ref in lane.iterfind("bpmn:flowNodeRef", NS) if ref.text}
    nodes = {}
    for el in process.iter():
        kind = _local(el.tag)
        if kind not in FLOW_NODES or el.getparent() is None:
            continue
        eid = el.get("id")
        nodes[eid] = el
        if kind == "scriptTask":
            problems.append(DefinitionError(
                "script tasks are refused: sedflow runs no code from diagrams (model the step as a user task "
                "or a gateway condition)", file=file, element=eid, line=el.sourceline))
        form, form_problems = _form(el, eid, file)
        problems.extend(form_problems)
        props = _properties(el)
        if kind == "endEvent":
            problems.extend(_check_end_event(props, eid, file, el.sourceline))
        lane_id = lanes.get(eid)
        doc = el.find("bpmn:documentation", NS)
        parent = el.getparent()
        index[(pid, eid)] = ElementInfo(
            id=eid, name=(el.get("name") or "").strip(), kind=kind, process_id=pid, file=file,
            line=el.sourceline, lane=lane_id.removeprefix("lane_") if lane_id else None,
            parent=parent.get("id") if _local(parent.tag) == "subProcess" else None,
            interrupting=_interrupting(el, kind),
            documentation=(doc.text or "").strip() if doc is not None else "", properties=props, form=form)
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in nodes:
                problems.append(DefinitionError(
                    f"sequence flow {end} '{flow.get(end)}' is not a flow node of process '{pid}'",
                    file=file, element=flow.get("id"), line=flow.sourceline))
    for el in process.iter():
        if _local(el.tag) in _EXPRESSION_TAGS and (el.text or "").strip():
            owner = el.getparent()
            while owner.get("id") is None and owner.getparent() is not None:
                owner = owner.getparent()
            try:
                names_used.append((pid, compile_expression(el.text).names, file, owner.get("id"), el.sourceline))
            except ExpressionError as exc:
                problems.append(DefinitionError(str(exc), file=file, element=owner.get("id"), line=el.sourceline))
    return problems


def _interrupting(el: etree._Element, kind: str) -> bool:
    if kind == "subProcess":
        return el.get("triggeredByEvent") == "true" and any(
            _interrupting(start, "startEvent") for start in el.iterfind("bpmn:startEvent", NS))
    return kind == "startEvent" and el.getparent().get("triggeredByEvent") == "true" and \
        el.get("isInterrupting", "true") == "true"


def _check_end_event(props: Mapping[str, str], eid: str, file: str, line: int) -> list[DefinitionError]:
    problems = []
    if "outcome" in props and props["outcome"] not in OUTCOMES:
        problems.append(DefinitionError(f"outcome '{props['outcome']}' is not one of {', '.join(sorted(OUTCOMES))}",
                                        file=file, element=eid, line=line))
    if "end_reason" in props and props["end_reason"] not in END_REASONS:
        problems.append(DefinitionError(
            f"end_reason '{props['end_reason']}' is not one of {', '.join(sorted(END_REASONS))}",
            file=file, element=eid, line=line))
    return problems


def _form(el: etree._Element, eid: str, file: str) -> tuple[Form | None, list[DefinitionError]]:
    xml_fields = el.findall("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
    if not xml_fields:
        return None, []
    problems, fields, seen = [], [], set()
    for xf in xml_fields:
        fid, ftype = xf.get("id") or "", xf.get("type") or "string"
        if not _IDENT.match(fid) or fid in seen:
            problems.append(DefinitionError(f"form field id '{fid}' must be a unique identifier (letters, digits, _)",
                                            file=file, element=eid, line=xf.sourceline))
        if ftype not in FIELD_TYPES:
            problems.append(DefinitionError(f"form field '{fid}' has type '{ftype}'; sedflow supports "
                                            f"{', '.join(FIELD_TYPES)}", file=file, element=eid, line=xf.sourceline))
        seen.add(fid)
        constraints = {c.get("name"): c.get("config") for c in xf.iterfind("camunda:validation/camunda:constraint", NS)}
        options = tuple((v.get("id"), v.get("name") or v.get("id")) for v in xf.iterfind("camunda:value", NS))
        if ftype == "enum" and not options:
            problems.append(DefinitionError(f"enum form field '{fid}' lists no values", file=file, element=eid,
                                            line=xf.sourceline))
        fields.append(FormField(id=fid, label=xf.get("label") or fid, type=ftype, required="required" in constraints,
                                options=options, default=xf.get("defaultValue"), constraints=constraints))
    return Form(tuple(fields)), problems


def _check_di(tree: etree._ElementTree, name: str) -> list[str]:
    """Diagrams without layout run, but a process owner cannot open them usefully: warn."""
    drawn = {el.get("bpmnElement") for el in tree.iter(f"{{{DI_NS}}}BPMNShape", f"{{{DI_NS}}}BPMNEdge")}
    missing = [el.get("id") for el in tree.iter() if (_local(el.tag) in FLOW_NODES or _local(el.tag) == "sequenceFlow")
               and el.get("id") not in drawn]
    return [f"{name}: element '{eid}' has no diagram layout (BPMN DI)" for eid in missing]
