"""Moving a running case to another version of its process, and the policy that says when it is safe.

SpiffWorkflow's diff aligns the old and the new specs task by task (by BPMN id, then by position) and
``migrate_workflow`` re-points a workflow's tasks at the new specs and re-plans what is ready or
waiting. sedflow adds the policy: a case is refused when a task it has completed, or is working on,
was removed or changed in the new version, because its history or its current step would then no
longer be what the diagram says. Changes to the flow *around* such a task (a task inserted after it,
a new branch) are what migration is for, so changes to a task's inputs and outputs alone do not count.
Completed tasks come from the journal: the workflow itself keeps only a pruned history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, diff_dependencies, migrate_workflow
from SpiffWorkflow.task import TaskState

from ..definitions import ElementInfo, ProcessDefinition
from ..definitions.changes import DefinitionChanges
from ..spiff.serializer import serializer_registry
from ..journal.transitions import ACTIVITIES, HUMAN

#: Spec attributes that only say how a task is connected: the flow around it, not the task.
FLOW_ONLY = frozenset({"inputs", "outputs"})


@dataclass(frozen=True)
class Deployment:
    """What deploying one process did: ``deployed`` False when ``version`` was already the current one."""

    process_id: str
    version: str
    previous: str | None
    deployed: bool
    changes: DefinitionChanges = field(default_factory=DefinitionChanges)

    def to_dict(self) -> dict[str, Any]:
        return {"process_id": self.process_id, "version": self.version, "previous": self.previous,
                "deployed": self.deployed, "changes": self.changes.to_dict()}


@dataclass(frozen=True)
class MigrationPlan:
    """One case's migration, planned or done: refused (``reasons`` say why) or allowed (``changes`` say
    what it means for the case); ``migrated`` once it is committed."""

    case_id: str
    process_id: str
    from_version: str
    to_version: str
    reasons: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    migrated: bool = False

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def action(self) -> str:
        if self.from_version == self.to_version:
            return "current"
        if self.migrated:
            return "migrated"
        return "migrate" if self.allowed else "refuse"

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "process_id": self.process_id, "from_version": self.from_version,
                "to_version": self.to_version, "action": self.action, "reasons": list(self.reasons),
                "changes": list(self.changes)}


@lru_cache(maxsize=32)
def spec_diffs(old: ProcessDefinition, new: ProcessDefinition) -> dict[str, SpecDiff | None]:
    """SpiffWorkflow's diff of each spec of ``old`` (the process and every sub-process and called process)
    against ``new``; None for a spec ``new`` lacks. Definitions are immutable and shared, so one diff
    serves every case migrated between the same two versions."""
    registry = serializer_registry()
    diffs: dict[str, SpecDiff | None] = {old.process_id: SpecDiff(registry, old.spec, new.spec)}
    diffs.update(diff_dependencies(registry, old.subprocess_specs, new.subprocess_specs)[0])
    return diffs


class Migration:
    """The diff of one case's workflow against a new definition, its verdict, and how to apply it."""

    def __init__(self, workflow: Any, old: ProcessDefinition, new: ProcessDefinition,
                 completed: Iterable[tuple[str, str]]):
        self.workflow, self.old, self.new = workflow, old, new
        self.spec_diffs = spec_diffs(old, new)
        self._owners = {d.version: {e.id: e.process_id for e in d.elements.values() if e.kind == "subProcess"}
                        for d in (old, new)}
        self.reasons: list[str] = []
        self.changes: list[str] = []
        self._check(set(completed))

    def plan(self, case_id: str, *, migrated: bool = False) -> MigrationPlan:
        return MigrationPlan(case_id, self.old.process_id, self.old.version, self.new.version, tuple(self.reasons),
                             tuple(self.changes), migrated)

    # --------------------------------------------------------------------------------- policy

    def _check(self, completed: set[tuple[str, str]]) -> None:
        working = []
        for wf, spec_name in self._workflows():
            diff = self.spec_diffs.get(spec_name)
            if diff is None:
                self.reasons.append(f"the case is inside '{spec_name}', which the new version does not have")
                continue
            for task in wf.get_tasks(state=TaskState.READY | TaskState.STARTED | TaskState.WAITING,
                                     skip_subprocesses=True):
                info = self._info(task.task_spec)
                if info is None:
                    continue
                working.append((info.process_id, info.id))
                if task.has_state(TaskState.WAITING) and info.kind not in HUMAN | ACTIVITIES:
                    if task.task_spec in diff.removed:
                        self.reasons.append(f"the case waits at {_label(info)}, which the new version removed")
                    elif "event_definition" in diff.changed.get(task.task_spec, ()):
                        self.changes.append(f"{_label(info)} is rescheduled from now (its timer changed)")
                    continue
                self._refuse_if_changed(diff, task.task_spec, info, "is working on")
        for key in sorted(completed - set(working)):
            info = self.old.element(*key)
            spec = self._old_spec(info) if info is not None else None
            diff = self.spec_diffs.get(_spec_name(info)) if info is not None else None
            if spec is None or diff is None:
                continue
            self._refuse_if_changed(diff, spec, info, "has completed")
        if not self.reasons:
            self._describe_ahead()

    def _refuse_if_changed(self, diff: SpecDiff, spec: Any, info: ElementInfo, doing: str) -> None:
        if spec in diff.removed:
            self.reasons.append(f"{_label(info)}, which the case {doing}, was removed")
            return
        aspects = sorted(set(diff.changed.get(spec, ())) - FLOW_ONLY)
        if aspects:
            self.reasons.append(f"{_label(info)}, which the case {doing}, was changed ({', '.join(aspects)})")

    def _describe_ahead(self) -> None:
        for diff in self.spec_diffs.values():
            if diff is None:
                continue
            for spec in diff.added:
                info = self._info(spec, self.new)
                if info is not None and info.kind in HUMAN | ACTIVITIES:
                    self.changes.append(f"new {_label(info)}")
            for spec, attributes in diff.changed.items():
                aspects = sorted(set(attributes) - FLOW_ONLY)
                info = self._info(spec)
                if aspects and info is not None and info.kind in HUMAN | ACTIVITIES:
                    self.changes.append(f"changed ahead: {_label(info)} ({', '.join(aspects)})")

    # --------------------------------------------------------------------------------- apply

    def apply(self) -> None:
        """Re-point the workflow at the new specs; waiting timers keep their due time unless they changed."""
        keep = {}
        for wf, spec_name in self._workflows():
            diff = self.spec_diffs[spec_name]
            for task in wf.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
                if "event_definition" not in diff.changed.get(task.task_spec, ()):
                    keep[task.id] = dict(task.internal_data)
        workflow = self.workflow
        subprocesses = list(workflow.subprocesses.values())
        migrate_workflow(WorkflowDiff(workflow, self.spec_diffs[self.old.process_id]), workflow, self.new.spec)
        for sub in subprocesses:
            name = sub.spec.name
            migrate_workflow(WorkflowDiff(sub, self.spec_diffs[name]), sub, self.new.subprocess_specs[name])
        workflow.subprocess_specs = dict(self.new.subprocess_specs)
        for wf in (workflow, *workflow.subprocesses.values()):
            for task_id, internal in keep.items():
                task = wf.tasks.get(task_id)
                if task is not None and task.has_state(TaskState.WAITING):
                    task.internal_data.update(internal)

    # --------------------------------------------------------------------------------- lookups

    def _workflows(self) -> list[tuple[Any, str]]:
        """The case's workflow and its running subprocesses, each with the name of its spec."""
        wf = self.workflow
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

    def _old_spec(self, info: ElementInfo) -> Any:
        name = _spec_name(info)
        spec = self.old.spec if name == self.old.process_id else self.old.subprocess_specs.get(name)
        return spec.task_specs.get(info.id) if spec is not None else None


def _spec_name(info: ElementInfo) -> str:
    """The spec an element's task runs in: its embedded sub-process's, else its process's."""
    return info.parent or info.process_id


def _label(info: ElementInfo) -> str:
    kind = "task" if info.kind in HUMAN else info.kind
    return f"{kind} '{info.id}' ({info.label})" if info.name else f"{kind} '{info.id}'"
