"""What callers of the engine read: cases and tasks as views, without workflow state."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..definitions import Form
from ..store import CaseRecord, CaseStatus, Incident, IncidentKind, OpenKind, OpenTask


@dataclass(frozen=True)
class TaskView:
    """Something a case waits for: a task for a person (with what they need to do it), a timer, or (in the
    due list) someone to mend a case in incident: ``kind`` incident, ``element_id`` where it is stuck,
    ``reason`` why, ``since`` when it stalled, and no ``task_id``."""

    case_id: str
    task_id: str
    element_id: str
    name: str
    process_id: str
    lane: str | None
    stage: str | None
    since: datetime
    participant: str | None = None
    documentation: str = ""
    form: Form | None = None
    kind: OpenKind = OpenKind.TASK   # a task for a person, or a timer
    due_at: datetime | None = None   # when a timer fires
    reason: str | None = None        # why a case in incident is stuck

    @classmethod
    def incident_of(cls, r: CaseRecord, incident: Incident, *, name: str = "") -> TaskView:
        return cls(case_id=r.case_id, task_id="", element_id=incident.element_id or "", name=name,
                   process_id=incident.process_id, lane=None, stage=None, since=incident.since,
                   participant=r.participant, kind=OpenKind.INCIDENT, reason=incident.reason)

    @classmethod
    def of(cls, row: OpenTask, *, documentation: str = "", form: Form | None = None) -> TaskView:
        return cls(case_id=row.case_id, task_id=row.task_id, element_id=row.element_id, name=row.name,
                   process_id=row.process_id, lane=row.lane, stage=row.stage, since=row.since,
                   participant=row.participant, documentation=documentation, form=form, kind=row.kind,
                   due_at=row.due_at)

    def to_dict(self) -> dict[str, Any]:
        fields = [] if self.form is None else [f.to_dict() for f in self.form.fields]
        return {"case_id": self.case_id, "task_id": self.task_id, "element_id": self.element_id, "name": self.name,
                "process_id": self.process_id, "lane": self.lane, "stage": self.stage,
                "since": self.since.isoformat(timespec="seconds"), "participant": self.participant, "fields": fields,
                "kind": self.kind, "due_at": self.due_at.isoformat(timespec="seconds") if self.due_at else None,
                "reason": self.reason}


@dataclass(frozen=True)
class Case:
    """A participant's case as a reader sees it (no workflow state)."""

    case_id: str
    participant: str
    process_id: str
    definition_version: str
    status: CaseStatus
    revision: int
    stages: list[str]
    data: dict[str, Any]
    milestones: dict[str, str]
    outcome: str | None
    end_reason: str | None
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    tasks: list[TaskView] = field(default_factory=list)
    #: Set while the case is active and nothing can advance it (see ``runtime/step.py``).
    incident: Incident | None = None

    @classmethod
    def of(cls, r: CaseRecord, tasks: list[TaskView] | None = None) -> Case:
        return cls(case_id=r.case_id, participant=r.participant, process_id=r.process_id,
                   definition_version=r.definition_version, status=r.status, revision=r.revision,
                   stages=list(r.stages), data=dict(r.data), milestones=dict(r.milestones), outcome=r.outcome,
                   end_reason=r.end_reason, started_at=r.started_at, updated_at=r.updated_at, ended_at=r.ended_at,
                   tasks=tasks or [], incident=r.incident)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("started_at", "updated_at", "ended_at"):
            out[key] = out[key].isoformat(timespec="seconds") if out[key] else None
        out["tasks"] = [t.to_dict() for t in self.tasks]
        if self.incident is not None:
            out["incident"]["since"] = self.incident.since.isoformat(timespec="seconds")
        return out


@dataclass(frozen=True)
class IncidentView:
    """An open incident: the case it stops (its id names the incident: a case has at most one), where
    and why, since when, and how many attempts a worker made (``retries``; 0 for a stalled case)."""

    case_id: str
    participant: str
    process_id: str
    kind: IncidentKind
    element_id: str | None
    element_name: str
    reason: str
    since: datetime
    retries: int

    @classmethod
    def of(cls, r: CaseRecord, incident: Incident, *, element_name: str = "") -> IncidentView:
        return cls(case_id=r.case_id, participant=r.participant, process_id=r.process_id, kind=incident.kind,
                   element_id=incident.element_id, element_name=element_name, reason=incident.reason,
                   since=incident.since, retries=r.failures)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "since": self.since.isoformat(timespec="seconds")}
