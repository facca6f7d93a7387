"""Loading diagrams safely into immutable, content-versioned process definitions.

Loading is defensive because diagrams come from process owners' desktops: each file is parsed safely
and indexed (:mod:`sedflow.bpmn`), validated against the XSD, checked for what SpiffWorkflow would crash
on or get wrong (:mod:`.structure`), checked by sedflow (:mod:`.checks`: no script tasks, every
expression in the safe language, nothing the runtime cannot drive; :mod:`.camunda`: Camunda 7's
deployment rules and what sedflow does not run), built into SpiffWorkflow specs
(:mod:`sedflow.spiff.parser`), and checked against the programme's rules if a profile is given.
Every problem is reported with file, element and line, all of them in one DefinitionError.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path

from lxml import etree

from ..bpmn.index import ElementInfo, called_processes, index_process, properties
from ..bpmn.xml import NS, name_anonymous_flows, parse_diagram, schema_problems
from ..errors import DefinitionError
from ..profile import Profile
from ..spiff.parser import XSD_PATH, SpecBuilder
from .camunda import camunda_problems, history_days
from .checks import NamesUsed, UniqueScopes, check_process, layout_warnings, unknown_names
from .forms import read_form
from .model import Definitions, ProcessDefinition
from .structure import Catalogue, check_structure
from .version import content_version

MAX_FILE_BYTES = 5 * 1024 * 1024


def load_directory(path: str | Path, *, profile: Profile | None = None) -> Definitions:
    """Load every ``*.bpmn`` file in ``path`` (not recursive)."""
    directory = Path(path)
    if not directory.is_dir():
        raise DefinitionError(f"process directory {directory} does not exist")
    files = sorted(directory.glob("*.bpmn"))
    if not files:
        raise DefinitionError(f"no .bpmn files in {directory}")
    return load_files(files, profile=profile)


def load_files(paths: Iterable[str | Path], *, profile: Profile | None = None) -> Definitions:
    sources: dict[str, bytes] = {}
    for p in map(Path, paths):
        try:
            if p.stat().st_size > MAX_FILE_BYTES:
                raise DefinitionError(f"file is larger than {MAX_FILE_BYTES} bytes", file=str(p))
            sources[str(p)] = p.read_bytes()
        except OSError as exc:
            raise DefinitionError(f"cannot read: {exc.strerror}", file=str(p)) from exc
    return load_sources(sources, profile=profile)


def load_sources(sources: Mapping[str, bytes], *, profile: Profile | None = None) -> Definitions:
    """Build definitions from in-memory files; raise one DefinitionError listing every problem found.

    With a ``profile``, its rules' problems (e.g. an end event's outcome outside the vocabulary) are
    problems of the load too.
    """
    problems: list[DefinitionError] = []
    rules = profile.rules if profile is not None else None
    trees: dict[str, etree._ElementTree] = {}
    for name, data in sources.items():
        try:
            trees[name] = parse_diagram(data, name)
        except DefinitionError as exc:
            problems.extend(exc.problems)
    index: dict[tuple[str, str], ElementInfo] = {}
    processes: dict[str, tuple[str, etree._Element]] = {}  # process id -> (file, element)
    calls: dict[str, set[str]] = {}
    names_used: list[NamesUsed] = []
    warnings: list[str] = []
    unique = UniqueScopes()
    catalogue = Catalogue.of(trees.values())
    for name, tree in trees.items():
        problems.extend(schema_problems(tree, name, XSD_PATH))
        name_anonymous_flows(tree)
        problems.extend(check_structure(tree, name, catalogue))
        for process in tree.getroot().iterfind("bpmn:process", NS):
            pid = process.get("id")
            if not pid:
                continue  # refused by check_structure: nothing can call or start it
            processes[pid] = (name, process)
            calls[pid] = called_processes(process)
            problems.extend(unique.check(process, name))
            problems.extend(check_process(process, name, names_used))
            problems.extend(camunda_problems(process, name))
            infos, form_problems = index_process(process, name, partial(read_form, rules=rules))
            problems.extend(form_problems)
            index.update({info.ref: info for info in infos})
        warnings.extend(layout_warnings(tree, name))

    drafts = []  # every executable process, its spec not built yet
    for pid, (name, process) in sorted(processes.items()):
        if not _executable(process):
            continue
        called = _closure(pid, calls)
        missing = sorted(c for c in called if c not in processes)
        if missing:
            problems.append(DefinitionError(f"calls process '{missing[0]}', which is not defined in any file",
                                            file=name, element=pid, line=process.sourceline))
            continue
        idle = sorted(c for c in called if not _executable(processes[c][1]))
        if idle:  # SpiffWorkflow builds no spec for it ("Process ... is not executable")
            file, callee = processes[idle[0]]
            problems.append(DefinitionError(f"process '{pid}' calls it, but it is not executable: mark it executable "
                                            "(the process's Executable property in the modeller)",
                                            file=file, element=idle[0], line=callee.sourceline))
            continue
        needed = {f: sources[f] for f in sorted({name} | {processes[c][0] for c in called})}
        drafts.append(ProcessDefinition(
            process_id=pid, name=process.get("name") or pid, version=content_version(needed), sources=needed,
            spec=None, subprocess_specs={}, elements={k: v for k, v in index.items() if k[0] in {pid, *called}},
            properties=properties(process), history_days=history_days(process)))
    if profile is not None:  # without one, which messages the engine delivers is checked by the Engine
        problems.extend(profile.rules.check_definitions(drafts))
    if problems:
        raise DefinitionError.collect(problems)

    builder = SpecBuilder(trees)
    problems.extend(builder.problems)
    definitions = []
    for draft in drafts:
        try:
            spec, subprocess_specs = builder.build(draft.process_id, processes[draft.process_id][0])
        except DefinitionError as exc:
            problems.append(exc)
            continue
        definitions.append(replace(draft, spec=spec, subprocess_specs=subprocess_specs))
    if problems:
        raise DefinitionError.collect(problems)
    for definition in definitions:
        warnings.extend(unknown_names(names_used, definition.process_id, definition.field_ids))
    return Definitions(definitions, warnings)


def _executable(process: etree._Element) -> bool:
    return str(process.get("isExecutable", "false")).lower() == "true"


def _closure(pid: str, calls: Mapping[str, set[str]]) -> set[str]:
    """Every process ``pid`` calls, directly or through the processes it calls."""
    seen: set[str] = set()
    todo = list(calls.get(pid, ()))
    while todo:
        called = todo.pop()
        if called not in seen:
            seen.add(called)
            todo.extend(calls.get(called, ()))
    return seen

