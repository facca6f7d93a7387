"""How a running case's workflow lines up with another version of its process, and moving it there.

SpiffWorkflow's diff aligns the old and the new specs task by task (by BPMN id, then by position) and
``migrate_workflow`` re-points a workflow's tasks at the new specs and re-plans what is ready or
waiting. This module reports that alignment in sedflow's terms (diagram elements: removed, or changed
in which aspects beyond their connections) so that the runtime's migration *policy* needs no
SpiffWorkflow, and applies it, keeping the due time of waiting timers whose definition did not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, diff_dependencies, migrate_workflow
from SpiffWorkflow.task import TaskState

from ..bpmn.elements import HUMAN, SUB_PROCESSES
from ..definitions import ElementInfo, ProcessDefinition
from .serializer import serializer_registry
from .workflow import CaseWorkflow

#: Spec attributes that only say how a task is connected: the flow around it, not the task.
FLOW_ONLY = frozenset({"inputs", "outputs"})
_WORKING = TaskState.READY | TaskState.STARTED | TaskState.WAITING


@dataclass(frozen=True)
class ElementDiff:
    """One element of the old version against the new: removed, or changed in ``aspects``."""

    info: ElementInfo
    removed: bool = False
    aspects: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.removed or bool(self.aspects)


@dataclass(frozen=True)
class LiveElementDiff(ElementDiff):
    """An element the case is working on or waiting at now."""

    waiting_event: bool = False   # a waiting catch event or timer, not a person's task or an activity
    timer_changed: bool = False   # its timer definition changed (it restarts from now)


@lru_cache(maxsize=32)
def _spec_diffs(old: ProcessDefinition, new: ProcessDefinition) -> dict[str, SpecDiff | None]:
    """SpiffWorkflow's diff of each spec of ``old`` (the process and every sub-process and called process)
    against ``new``; None for a spec ``new`` lacks. Definitions are immutable and shared, so one diff
    serves every case migrated between the same two versions."""
    registry = serializer_registry()
    diffs: dict[str, SpecDiff | None] = {old.process_id: SpecDiff(registry, old.spec, new.spec)}
    diffs.update(diff_dependencies(registry, old.subprocess_specs, new.subprocess_specs)[0])
    return diffs


class CaseAlignment:
    """One case's workflow against a new definition: what it is inside, working on, has ahead."""

    def __init__(self, case: CaseWorkflow, new: ProcessDefinition):
        self._case, self.old, self.new = case, case.definition, new
        self._diffs = _spec_diffs(self.old, new)
        self._owners = {d.version: {e.id: e.process_id for e in d.elements.values() if e.kind == "subProcess"}
                        for d in (self.old, new)}
        #: Sub-processes or called processes the case is inside that the new version does not have.
        self.missing_scopes: list[str] = []
        self.live: list[LiveElementDiff] = []
        for wf, spec_name in self._workflows():
            diff = self._diffs.get(spec_name)
            if diff is None:
                self.missing_scopes.append(spec_name)
                continue
            for task in wf.get_tasks(state=_WORKING, skip_subprocesses=True):
                info = self._info(task.task_spec)
                if info is None:
                    continue
                changed = diff.changed.get(task.task_spec, ())
                self.live.append(LiveElementDiff(
                    info, removed=task.task_spec in diff.removed, aspects=_aspects(changed),
                    waiting_event=task.has_state(TaskState.WAITING) and info.kind not in HUMAN | SUB_PROCESSES,
                    timer_changed="event_definition" in changed))

    def element(self, info: ElementInfo) -> ElementDiff | None:
        """An element of the old version (e.g. one the case completed) against the new; None if unknown."""
        name = info.parent or info.process_id
        spec = self.old.spec if name == self.old.process_id else self.old.subprocess_specs.get(name)
        task_spec = spec.task_specs.get(info.id) if spec is not None else None
        diff = self._diffs.get(name)
        if task_spec is None or diff is None:
            return None
        return ElementDiff(info, removed=task_spec in diff.removed, aspects=_aspects(diff.changed.get(task_spec, ())))

    def ahead(self) -> tuple[list[ElementInfo], list[ElementDiff]]:
        """Tasks and activities the new version adds, and those it changes (by the old version's element)."""
        added, changed = [], []
        for diff in self._diffs.values():
            if diff is None:
                continue
            for spec in diff.added:
                info = self._info(spec, self.new)
                if info is not None and info.kind in HUMAN | SUB_PROCESSES:
                    added.append(info)
            for spec, attributes in diff.changed.items():
                info = self._info(spec)
                if _aspects(attributes) and info is not None and info.kind in HUMAN | SUB_PROCESSES:
                    changed.append(ElementDiff(info, aspects=_aspects(attributes)))
        return added, changed

    def apply(self) -> None:
        """Re-point the workflow at the new specs; waiting timers keep their due time unless they changed."""
        keep = {}
        for wf, spec_name in self._workflows():
            diff = self._diffs[spec_name]
            if diff is None:  # refused by the policy before it gets here
                continue
            for task in wf.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
                if "event_definition" not in diff.changed.get(task.task_spec, ()):
                    keep[task.id] = dict(task.internal_data)
        workflow = self._case.spiff
        subprocesses = list(workflow.subprocesses.values())
        migrate_workflow(WorkflowDiff(workflow, self._diffs[self.old.process_id]), workflow, self.new.spec)
        for sub in subprocesses:
            name = sub.spec.name
            migrate_workflow(WorkflowDiff(sub, self._diffs[name]), sub, self.new.subprocess_specs[name])
        workflow.subprocess_specs = dict(self.new.subprocess_specs)
        for wf in (workflow, *workflow.subprocesses.values()):
            for task_id, internal in keep.items():
                task = wf.tasks.get(task_id)
                if task is not None and task.has_state(TaskState.WAITING):
                    task.internal_data.update(internal)
        self._case.definition = self.new

    # --------------------------------------------------------------------------------- lookups

    def _workflows(self) -> list[tuple[Any, str]]:
        """The case's workflow and its running subprocesses, each with the name of its spec."""
        wf = self._case.spiff
        return [(wf, self.old.process_id)] + [(sub, sub.spec.name) for sub in wf.subprocesses.values()]

    def _info(self, spec: Any, definition: ProcessDefinition | None = None) -> ElementInfo | None:
        """The diagram element a task spec runs (None for SpiffWorkflow's internal specs)."""
        if spec.bpmn_id is None:
            return None
        definition = definition or self.old
        # Embedded and event sub-processes are specs of their own, named by their element; the element
        # index files their tasks under the process that draws them.
        name = spec._wf_spec.name
        return definition.element(self._owners[definition.version].get(name, name), spec.bpmn_id)


def _aspects(attributes: Any) -> tuple[str, ...]:
    return tuple(sorted(set(attributes) - FLOW_ONLY))
