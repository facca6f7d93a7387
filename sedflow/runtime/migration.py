"""Deployments, and the policy that says when a running case may move to another version.

A case is refused when a task it has completed, or is working on, was removed or changed in the new
version, because its history or its current step would then no longer be what the diagram says.
Changes to the flow *around* such a task (a task inserted after it, a new branch) are what migration
is for, so changes to a task's connections alone do not count. Completed tasks come from the
journal: the workflow itself keeps only a pruned history. How the workflow lines up with the new
version, and moving it, is ``sedflow.spiff.migration``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..bpmn import ElementRef
from ..bpmn.elements import HUMAN
from ..definitions import ElementInfo, ProcessDefinition
from ..definitions.changes import DefinitionChanges
from ..spiff.migration import CaseAlignment, ElementDiff
from ..spiff.workflow import CaseWorkflow


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


class Migration:
    """The verdict on moving one case's workflow to a new definition, and how to apply it."""

    def __init__(self, case: CaseWorkflow, new: ProcessDefinition, completed: Iterable[ElementRef]):
        self.old, self.new = case.definition, new
        self._alignment = CaseAlignment(case, new)
        self.reasons: list[str] = []
        self.changes: list[str] = []
        self._check(set(completed))

    def plan(self, case_id: str, *, migrated: bool = False) -> MigrationPlan:
        return MigrationPlan(case_id, self.old.process_id, self.old.version, self.new.version, tuple(self.reasons),
                             tuple(self.changes), migrated)

    def apply(self) -> None:
        self._alignment.apply()

    def _check(self, completed: set[ElementRef]) -> None:
        alignment = self._alignment
        self.reasons += [f"the case is inside '{name}', which the new version does not have"
                         for name in alignment.missing_scopes]
        for live in alignment.live:
            if live.waiting_event:
                if live.removed:
                    self.reasons.append(f"the case waits at {_label(live.info)}, which the new version removed")
                elif live.timer_changed:
                    self.changes.append(f"{_label(live.info)} is rescheduled from now (its timer changed)")
            else:
                self._refuse_if_changed(live, "is working on")
        working = {live.info.ref for live in alignment.live}
        for ref in sorted(completed - working):
            info = self.old.element(*ref)
            diff = alignment.element(info) if info is not None else None
            if diff is not None:
                self._refuse_if_changed(diff, "has completed")
        if not self.reasons:
            added, changed = alignment.ahead()
            self.changes += [f"new {_label(info)}" for info in added]
            self.changes += [f"changed ahead: {_label(d.info)} ({', '.join(d.aspects)})" for d in changed]

    def _refuse_if_changed(self, diff: ElementDiff, doing: str) -> None:
        if diff.removed:
            self.reasons.append(f"{_label(diff.info)}, which the case {doing}, was removed")
        elif diff.aspects:
            self.reasons.append(f"{_label(diff.info)}, which the case {doing}, was changed ({', '.join(diff.aspects)})")


def _label(info: ElementInfo) -> str:
    kind = "task" if info.kind in HUMAN else info.kind
    return f"{kind} '{info.id}' ({info.label})" if info.name else f"{kind} '{info.id}'"
