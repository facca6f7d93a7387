"""The journal: an append-only record of every transition of every case.

Rows are shaped like XES events (case, activity, timestamp, lifecycle, resource) so that reports and
process-mining exports read them directly. Entries are produced by :mod:`sedflow.spiff.transitions`
from a before/after diff of task states, so they also catch what the engine did on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class JournalKind(StrEnum):
    """What a journal row records. A ``str``: rows compare, sort and serialize as their code."""

    CASE_STARTED = "case_started"
    CASE_ENDED = "case_ended"
    TASK_READY = "task_ready"
    TASK_COMPLETED = "task_completed"
    TASK_CANCELLED = "task_cancelled"
    GATEWAY_TAKEN = "gateway_taken"
    EVENT_REACHED = "event_reached"
    ACTIVITY_STARTED = "activity_started"
    ACTIVITY_COMPLETED = "activity_completed"
    TIMER_WAITING = "timer_waiting"
    TIMER_FIRED = "timer_fired"
    CASE_MIGRATED = "case_migrated"
    #: The step left an active case with nothing that can advance it (a silent stall): ``element_id`` is
    #: where it is stuck, ``data`` the reason and every element it is stuck at.
    INCIDENT_OPENED = "incident_opened"
    #: A later step (a migration, a cancel, a withdrawal) left the case able to advance again, or ended it.
    INCIDENT_RESOLVED = "incident_resolved"
    #: A message reached the case (``Engine.correlate_message``): ``element_id`` caught it, ``data`` holds the
    #: message's name and the variables it brought.
    MESSAGE_RECEIVED = "message_received"
    #: The case was suspended (``data``: the reason): nothing advances it until it is resumed.
    CASE_SUSPENDED = "case_suspended"
    #: A suspended case was resumed (``data``: the reason, when it was suspended).
    CASE_RESUMED = "case_resumed"
    #: Recorded fields were corrected outside a task (``data``: ``reason``, and ``old``/``new`` per field).
    CASE_DATA_CORRECTED = "case_data_corrected"
    #: A signal reached the case (``Engine.broadcast_signal`` or a throw in another case): ``element_id``
    #: caught it, ``data`` holds the signal's name, where it came from and the variables it brought.
    SIGNAL_RECEIVED = "signal_received"
    #: An external-task worker reported a failure (``data``: worker, error, retries left, when it is fetchable
    #: again); with no retries left an ``incident_opened`` row follows in the same step.
    EXTERNAL_TASK_FAILED = "external_task_failed"


# The kinds as module constants, for code that names one kind often.
(CASE_STARTED, CASE_ENDED, TASK_READY, TASK_COMPLETED, TASK_CANCELLED, GATEWAY_TAKEN, EVENT_REACHED, ACTIVITY_STARTED,
 ACTIVITY_COMPLETED, TIMER_WAITING, TIMER_FIRED, CASE_MIGRATED, INCIDENT_OPENED, INCIDENT_RESOLVED,
 MESSAGE_RECEIVED, CASE_SUSPENDED, CASE_RESUMED, CASE_DATA_CORRECTED, SIGNAL_RECEIVED,
 EXTERNAL_TASK_FAILED) = JournalKind
KINDS = tuple(JournalKind)


#: A text column of a journal row that may be empty.
OptionalText = str | None


@dataclass(frozen=True)
class JournalEntry:
    """One transition. ``seq`` is assigned by the store when the entry is committed."""

    case_id: str
    at: datetime
    kind: JournalKind
    process_id: str
    definition_version: str
    element_id: OptionalText = None
    element_name: OptionalText = None
    element_type: OptionalText = None
    lane: OptionalText = None
    actor: OptionalText = None
    task_id: OptionalText = None
    data: dict[str, Any] = field(default_factory=dict)
    outcome: OptionalText = None
    end_reason: OptionalText = None
    duration: float | None = None  # on task_completed: seconds the task was waiting (ready to done)
    seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "case_id": self.case_id, "at": self.at.isoformat(timespec="microseconds"),
            "kind": self.kind, "process_id": self.process_id, "definition_version": self.definition_version,
            "element_id": self.element_id, "element_name": self.element_name, "element_type": self.element_type,
            "lane": self.lane, "actor": self.actor, "task_id": self.task_id, "data": self.data,
            "outcome": self.outcome, "end_reason": self.end_reason, "duration": self.duration,
        }


__all__ = ["KINDS", "JournalEntry", "JournalKind", *[k.upper() for k in KINDS]]
