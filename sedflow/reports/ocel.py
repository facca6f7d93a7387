"""Event-log export as OCEL 2.0 JSON (object-centric): participants, cases, placements and the objects
task data names (e.g. employers), with the completed work as events.

The two big arrays (objects, events) are spooled to temporary files while the store is read, so memory
holds one case's journal at a time. What is exported, and what is left out for privacy, is described in
:mod:`sedflow.reports.eventlog`; which fields are personal, which name objects and which start
placements is the profile's (:class:`~sedflow.reports.profile.ExportFields`).
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any

from ..journal import CASE_ENDED, CASE_STARTED, EVENT_REACHED, TASK_COMPLETED, TIMER_FIRED, JournalEntry
from ..store import CaseRecord, Store
from .eventlog import Target, activity_name, binary_output, cases, export_fields, iso
from .profile import ExportFields

if TYPE_CHECKING:
    from ..profile import Profile

#: Journal kinds that become OCEL events (completed work, fired timers, the case's own start and end).
OCEL_KINDS = frozenset({TASK_COMPLETED, TIMER_FIRED, CASE_STARTED, CASE_ENDED})


def _ocel_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, datetime):
        return "time"
    return "string"


def _ocel_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Types:
    """Event or object types seen so far, each with its attributes' names and types, in order of use."""

    def __init__(self) -> None:
        self._types: dict[str, dict[str, str]] = {}

    def use(self, name: str, attributes: list[dict[str, Any]]) -> None:
        declared = self._types.setdefault(name, {})
        for attribute in attributes:
            declared.setdefault(attribute["name"], _ocel_type(attribute["value"]))

    def __contains__(self, name: str) -> bool:
        return name in self._types

    def declarations(self) -> list[dict[str, Any]]:
        return [{"name": name, "attributes": [{"name": a, "type": t} for a, t in attributes.items()]}
                for name, attributes in self._types.items()]


class _JsonArray:
    """A JSON array written item by item to a spooled temporary file (memory up to a few MB, then disk)."""

    def __init__(self) -> None:
        # open for the writer's whole life (closed by close()), so not a with-block
        self.file = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=8 << 20, mode="w+", encoding="utf-8", newline="\n")
        self.count = 0

    def add(self, item: Mapping[str, Any]) -> None:
        self.file.write(",\n" if self.count else "\n")
        self.file.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        self.count += 1

    def copy_to(self, out: IO[str]) -> None:
        out.write("[")
        self.file.seek(0)
        shutil.copyfileobj(self.file, out)
        out.write("\n]" if self.count else "]")

    def close(self) -> None:
        self.file.close()


def _attributes(pairs: Iterable[tuple[str, Any]], at: str | None = None) -> list[dict[str, Any]]:
    """OCEL attribute values from (name, value) pairs, None left out; object attributes carry a time."""
    return [{"name": name, **({"time": at} if at is not None else {}), "value": _ocel_value(value)}
            for name, value in pairs if value is not None]


def participant_object_id(participant: str) -> str:
    return f"participant:{participant}"


def case_object_id(case_id: str) -> str:
    return f"case:{case_id}"


class _OcelWriter:
    def __init__(self, fields: ExportFields, include_personal: bool) -> None:
        self.fields = fields
        self.include_personal = include_personal
        self.event_types = _Types()
        self.object_types = _Types()
        self.events = _JsonArray()
        self.objects = _JsonArray()
        self.participants: dict[str, list[dict[str, Any]]] = {}  # id -> attributes (values over time)
        self.linked: dict[str, set[str]] = {t: set() for t in fields.objects}  # object type -> ids named in task data
        self.counts: dict[str, int] = {}

    def close(self) -> None:
        self.events.close()
        self.objects.close()

    def add_object(self, object_id: str, object_type: str, attributes: list[dict[str, Any]],
                   relationships: list[dict[str, str]]) -> None:
        self.object_types.use(object_type, attributes)
        self.objects.add({"id": object_id, "type": object_type, "attributes": attributes,
                          "relationships": relationships})
        self.counts[object_type] = self.counts.get(object_type, 0) + 1

    def add_case(self, case: CaseRecord, journal: list[JournalEntry]) -> None:
        participant = participant_object_id(case.participant)
        case_id = case_object_id(case.case_id)
        started = iso(case.started_at)
        self._participant(participant, case, started)

        attributes = _attributes((("process", case.process_id), ("definition_version", case.definition_version),
                                  ("status", "active")), started)
        if self.include_personal:
            attributes += _attributes(((name, case.data.get(name)) for name in self.fields.personal
                                       if name not in self.fields.participant), started)
        if case.ended_at is not None:
            attributes += _attributes((("status", case.status), ("outcome", case.outcome),
                                       ("end_reason", case.end_reason)), iso(case.ended_at))
        elif case.status != "active":
            attributes += _attributes((("status", case.status),), iso(case.updated_at))
        self.add_object(case_id, "case", attributes, [{"objectId": participant, "qualifier": "participant"}])

        period: tuple[str, str] | None = None  # (placement object id, process id) of an open placement period
        for entry in journal:
            related = [{"objectId": case_id, "qualifier": "case"},
                       {"objectId": participant, "qualifier": "participant"}]
            if entry.kind == TASK_COMPLETED:
                linked = self._linked(entry.data)
                related += linked
                placement = self._placement(case, entry, participant, linked)
                if placement is not None:
                    related.append({"objectId": placement[0], "qualifier": "placement"})
                    period = (placement[0], entry.process_id) if placement[1] else period
                elif period is not None and entry.process_id == period[1]:
                    related.append({"objectId": period[0], "qualifier": "placement"})
            elif entry.kind == TIMER_FIRED and period is not None and entry.process_id == period[1]:
                related.append({"objectId": period[0], "qualifier": "placement"})
            if entry.kind in OCEL_KINDS:
                self._event(entry, related)
            if period is not None and (entry.kind == CASE_ENDED or (
                    entry.kind == EVENT_REACHED and entry.element_type == "endEvent"
                    and entry.process_id == period[1])):
                period = None

    def _participant(self, object_id: str, case: CaseRecord, started: str) -> None:
        attributes = self.participants.setdefault(object_id, [])
        if not self.include_personal:
            return
        for name in self.fields.participant:
            value = case.data.get(name)
            latest = next((a["value"] for a in reversed(attributes) if a["name"] == name), None)
            if value is not None and value != latest:
                attributes += _attributes(((name, value),), started)

    def _linked(self, data: Mapping[str, Any]) -> list[dict[str, str]]:
        """Relationships to the objects (an employer, ...) a task's data names, one per object type at most."""
        related = []
        for object_type, names in self.fields.objects.items():
            key = next((data[f] for f in names if data.get(f) not in (None, "")), None)
            if key is not None:
                object_id = f"{object_type}:{key}"
                self.linked[object_type].add(object_id)
                related.append({"objectId": object_id, "qualifier": object_type})
        return related

    def _placement(self, case: CaseRecord, entry: JournalEntry, participant: str,
                   linked: list[dict[str, str]]) -> tuple[str, bool] | None:
        """A placement object for a task whose data starts one: (its id, whether it spans a period)."""
        placements = self.fields.placements
        field = next((f for f in placements if entry.data.get(f) not in (None, "")), None)
        if field is None:
            return None
        placement = placements[field]
        object_id = f"placement:{case.case_id}:{entry.seq}"
        relationships = [{"objectId": case_object_id(case.case_id), "qualifier": "case"},
                         {"objectId": participant, "qualifier": "participant"}]
        relationships += linked
        attributes = _attributes((("placement_type", placement.placement_type), ("start", entry.data.get(field)),
                                  ("end", entry.data.get(placement.end_field))), iso(entry.at))
        self.add_object(object_id, "placement", attributes, relationships)
        return object_id, placement.spans

    def _event(self, entry: JournalEntry, relationships: list[dict[str, str]]) -> None:
        event_type = activity_name(entry)
        attributes = _attributes((("element_id", entry.element_id), ("kind", entry.kind),
                                  ("resource", entry.actor), ("role", entry.lane)))
        if entry.kind == CASE_ENDED:
            attributes += _attributes((("outcome", entry.outcome), ("end_reason", entry.end_reason)))
        self.event_types.use(event_type, attributes)
        self.events.add({"id": f"event:{entry.seq}", "type": event_type, "time": iso(entry.at),
                         "attributes": attributes, "relationships": relationships})

    def finish(self, out: IO[str]) -> None:
        for object_id, attributes in self.participants.items():
            self.add_object(object_id, "participant", attributes, [])
        for object_type, ids in self.linked.items():
            for object_id in sorted(ids):
                self.add_object(object_id, object_type, [], [])
        if "participant" not in self.object_types:  # an empty export still declares its core types
            self.object_types.use("participant", [])
        if "case" not in self.object_types:
            self.object_types.use("case", [])
        out.write('{\n"objectTypes": ')
        json.dump(self.object_types.declarations(), out, ensure_ascii=False)
        out.write(',\n"eventTypes": ')
        json.dump(self.event_types.declarations(), out, ensure_ascii=False)
        out.write(',\n"objects": ')
        self.objects.copy_to(out)
        out.write(',\n"events": ')
        self.events.copy_to(out)
        out.write("\n}\n")


def write_ocel(store: Store, target: Target, *, profile: Profile, process_id: str | None = None,
               include_personal: bool = False) -> dict[str, Any]:
    """Write the journal as an OCEL 2.0 JSON log (UTF-8).

    Objects: one ``participant`` per participant key, one ``case`` per case, a ``placement`` per work
    placement (e.g. a Supported Training period) whose task data records its start, and an object per
    identifier of the profile's object types found in task data (SE: ``employer``, none unless a diagram
    records one). Events: completed tasks, fired timers and each case's start and end, typed by activity
    name, each related to its case and participant (and to the placement or object it concerns).
    Returns counts of events and objects.
    """
    writer = _OcelWriter(export_fields(profile), include_personal)
    try:
        for case in cases(store, process_id):
            writer.add_case(case, store.read_journal(case.case_id))
        with binary_output(target) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            try:
                writer.finish(out)
                out.flush()
            finally:
                out.detach()
    finally:
        writer.close()
    return {"events": writer.events.count, "objects": writer.objects.count,
            "event_types": len(writer.event_types.declarations()), "objects_by_type": dict(writer.counts)}


