"""Event-log export for process mining: XES 2.0 (one trace per case) and OCEL 2.0 JSON (object-centric).

Both exports read the store only through its public interface: ``list_cases`` for the cases (oldest
first) and ``read_journal(case_id)`` for one case's journal at a time, so memory holds one case's
entries while the output is written incrementally (``lxml.etree.xmlfile`` for XES; spooled temporary
files for the two big OCEL arrays). The case list itself is loaded whole, as ``list_cases`` returns it.

Privacy: form data is never exported (it holds free text). The participant's reporting attributes
(gender, birth year, referral source, income support) and, in XES, the participant key are left out
unless ``include_personal=True``. OCEL needs a participant object to link a person's cases, so its id is
the pseudonymous participant key (the engine refuses anything that looks like a personal identity number).

The store is read as it is while the export runs: on a live store, a case written meanwhile may show a
summary (status, outcome) a step ahead of or behind its exported events.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Any

from lxml import etree

from ..journal import (ACTIVITY_COMPLETED, ACTIVITY_STARTED, CASE_ENDED, CASE_STARTED, EVENT_REACHED, GATEWAY_TAKEN,
                       TASK_CANCELLED, TASK_COMPLETED, TASK_READY, TIMER_FIRED, JournalEntry)
from ..store.persistence import CaseFilter, CaseRecord, Store

# ------------------------------------------------------------------------------------------ shared

#: Reporting attributes about the person, exported only with ``include_personal=True``.
PERSONAL_FIELDS = ("gender", "birth_year", "referral_source", "income_support")
#: Of those, the ones that describe the person rather than one referral (OCEL puts them on the participant).
PARTICIPANT_FIELDS = ("gender", "birth_year")

CASE_STARTED_NAME = "Case started"
CASE_ENDED_NAME = "Case ended"


def activity_name(entry: JournalEntry) -> str:
    """The activity an entry is about, as a process miner sees it."""
    if entry.kind == CASE_STARTED:
        return CASE_STARTED_NAME
    if entry.kind == CASE_ENDED:
        return CASE_ENDED_NAME
    return entry.element_name or entry.element_id or entry.kind


def _iso(moment: datetime) -> str:
    """ISO 8601 with an explicit offset (the journal's times are aware UTC; a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="microseconds")


def _cases(store: Store, process_id: str | None) -> list[CaseRecord]:
    return store.list_cases(CaseFilter(process_id=process_id))


@contextmanager
def _binary_output(target: str | os.PathLike[str] | IO[bytes]) -> Iterator[IO[bytes]]:
    """A binary stream to write to: a file object as given, or a path written via a temporary file in the
    same directory and renamed into place only when the export succeeds (no half-written logs)."""
    if not isinstance(target, (str, os.PathLike)):
        yield target
        return
    path = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------- XES

XES_NS = "http://www.xes-standard.org/"
XES_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
)
#: Journal kind -> XES standard lifecycle transition. Only these kinds become XES events (``timer_waiting``
#: is a wait, not an activity).
XES_LIFECYCLE = {
    CASE_STARTED: "start",
    TASK_READY: "schedule",
    TASK_COMPLETED: "complete",
    TASK_CANCELLED: "ate_abort",
    TIMER_FIRED: "complete",
    GATEWAY_TAKEN: "complete",
    EVENT_REACHED: "complete",
    ACTIVITY_STARTED: "start",
    ACTIVITY_COMPLETED: "complete",
    CASE_ENDED: "complete",
}
XES_KINDS = frozenset(XES_LIFECYCLE)


def _xes_attribute(parent: Any, key: str, value: Any) -> None:
    """A typed XES attribute (``<string>``, ``<int>``, ``<float>``, ``<boolean>``, ``<date>``); None is left out."""
    if value is None:
        return
    if isinstance(value, bool):
        tag, text = "boolean", "true" if value else "false"
    elif isinstance(value, int):
        tag, text = "int", str(value)
    elif isinstance(value, float):
        tag, text = "float", repr(value)
    elif isinstance(value, datetime):
        tag, text = "date", _iso(value)
    else:
        tag, text = "string", str(value)
    etree.SubElement(parent, tag, key=key, value=text)


def _xes_header() -> list[Any]:
    """Extensions, globals, classifier and log attributes, in the order XES requires."""
    parts: list[Any] = [etree.Element("extension", name=name, prefix=prefix, uri=uri)
                        for name, prefix, uri in XES_EXTENSIONS]
    trace_globals = etree.Element("global", scope="trace")
    _xes_attribute(trace_globals, "concept:name", "__INVALID__")
    event_globals = etree.Element("global", scope="event")
    _xes_attribute(event_globals, "concept:name", "__INVALID__")
    _xes_attribute(event_globals, "time:timestamp", datetime(1970, 1, 1, tzinfo=timezone.utc))
    _xes_attribute(event_globals, "lifecycle:transition", "complete")
    parts += [trace_globals, event_globals,
              etree.Element("classifier", name="Activity", keys="concept:name lifecycle:transition")]
    return parts


def _xes_trace(case: CaseRecord, entries: list[JournalEntry], include_personal: bool) -> Any:
    trace = etree.Element("trace")
    for key, value in (("concept:name", case.case_id), ("process", case.process_id),
                       ("definition_version", case.definition_version), ("status", case.status),
                       ("outcome", case.outcome), ("end_reason", case.end_reason)):
        _xes_attribute(trace, key, value)
    if include_personal:
        _xes_attribute(trace, "participant", case.participant)
        for name in PERSONAL_FIELDS:
            _xes_attribute(trace, name, case.data.get(name))
    for entry in entries:
        event = etree.SubElement(trace, "event")
        _xes_attribute(event, "concept:name", activity_name(entry))
        _xes_attribute(event, "element_id", entry.element_id)
        _xes_attribute(event, "time:timestamp", entry.at)
        _xes_attribute(event, "lifecycle:transition", XES_LIFECYCLE[entry.kind])
        _xes_attribute(event, "org:resource", entry.actor)
        _xes_attribute(event, "org:role", entry.lane)
        _xes_attribute(event, "kind", entry.kind)
        if entry.kind == CASE_ENDED:
            _xes_attribute(event, "outcome", entry.outcome)
            _xes_attribute(event, "end_reason", entry.end_reason)
    return trace


def write_xes(store: Store, path_or_file: str | os.PathLike[str] | IO[bytes], *, process_id: str | None = None,
              include_personal: bool = False) -> dict[str, int]:
    """Write the journal as an IEEE 1849 XES 2.0 log (UTF-8): one trace per case, ordered by case start,
    its events in journal order. Returns ``{"traces": n, "events": m}``."""
    traces = events = 0
    cases = _cases(store, process_id)
    with _binary_output(path_or_file) as out, etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        # Children are written without a namespace inside the log's default namespace, so they serialize as
        # plain <trace>/<event> and parse back as elements of the XES namespace.
        with xf.element("log", {"xes.version": "2.0", "xes.features": "nested-attributes"}, nsmap={None: XES_NS}):
            xf.write("\n")
            for part in _xes_header():
                xf.write(part, pretty_print=True)
            log_attributes = etree.Element("log")
            _xes_attribute(log_attributes, "concept:name", f"sedflow {process_id}" if process_id else "sedflow")
            _xes_attribute(log_attributes, "lifecycle:model", "standard")
            for attribute in log_attributes:
                xf.write(attribute, pretty_print=True)
            for case in cases:
                entries = [e for e in store.read_journal(case.case_id) if e.kind in XES_KINDS]
                xf.write(_xes_trace(case, entries, include_personal), pretty_print=True)
                traces += 1
                events += len(entries)
    return {"traces": traces, "events": events}


# ---------------------------------------------------------------------------------------- OCEL 2.0

#: Journal kinds that become OCEL events (completed work, fired timers, the case's own start and end).
OCEL_KINDS = frozenset({TASK_COMPLETED, TIMER_FIRED, CASE_STARTED, CASE_ENDED})
#: Form fields that identify an employer (none in the shipped diagrams; a local diagram may add one).
EMPLOYER_FIELDS = ("employer_id", "workplace_id")
#: Form field that starts a placement -> (placement type, field that ends it, whether the placement spans
#: the rest of the (sub)process the starting task belongs to, as a Supported Training period does).
PLACEMENT_FIELDS: Mapping[str, tuple[str, str, bool]] = {
    "placement_start": ("work_placement", "placement_end", False),
    "st_period_start": ("supported_training", "st_assessment_end_date", True),
}


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
        return _iso(value)
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
        self.file = tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+", encoding="utf-8", newline="\n")
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


def _attributes(pairs: Any, at: str | None = None) -> list[dict[str, Any]]:
    """OCEL attribute values from (name, value) pairs, None left out; object attributes carry a time."""
    return [{"name": name, **({"time": at} if at is not None else {}), "value": _ocel_value(value)}
            for name, value in pairs if value is not None]


def participant_object_id(participant: str) -> str:
    return f"participant:{participant}"


def case_object_id(case_id: str) -> str:
    return f"case:{case_id}"


class _OcelWriter:
    def __init__(self, include_personal: bool) -> None:
        self.include_personal = include_personal
        self.event_types = _Types()
        self.object_types = _Types()
        self.events = _JsonArray()
        self.objects = _JsonArray()
        self.participants: dict[str, list[dict[str, Any]]] = {}  # id -> attributes (values over time)
        self.employers: set[str] = set()
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
        started = _iso(case.started_at)
        self._participant(participant, case, started)

        attributes = _attributes((("process", case.process_id), ("definition_version", case.definition_version),
                                  ("status", "active")), started)
        if self.include_personal:
            attributes += _attributes(((name, case.data.get(name)) for name in PERSONAL_FIELDS
                                       if name not in PARTICIPANT_FIELDS), started)
        if case.ended_at is not None:
            attributes += _attributes((("status", case.status), ("outcome", case.outcome),
                                       ("end_reason", case.end_reason)), _iso(case.ended_at))
        elif case.status != "active":
            attributes += _attributes((("status", case.status),), _iso(case.updated_at))
        self.add_object(case_id, "case", attributes, [{"objectId": participant, "qualifier": "participant"}])

        period: tuple[str, str] | None = None  # (placement object id, process id) of an open placement period
        for entry in journal:
            related = [{"objectId": case_id, "qualifier": "case"},
                       {"objectId": participant, "qualifier": "participant"}]
            if entry.kind == TASK_COMPLETED:
                employer = self._employer(entry.data)
                if employer is not None:
                    related.append({"objectId": employer, "qualifier": "employer"})
                placement = self._placement(case, entry, participant, employer)
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
        for name in PARTICIPANT_FIELDS:
            value = case.data.get(name)
            latest = next((a["value"] for a in reversed(attributes) if a["name"] == name), None)
            if value is not None and value != latest:
                attributes += _attributes(((name, value),), started)

    def _employer(self, data: Mapping[str, Any]) -> str | None:
        key = next((data[f] for f in EMPLOYER_FIELDS if data.get(f) not in (None, "")), None)
        if key is None:
            return None
        object_id = f"employer:{key}"
        self.employers.add(object_id)
        return object_id

    def _placement(self, case: CaseRecord, entry: JournalEntry, participant: str,
                   employer: str | None) -> tuple[str, bool] | None:
        """A placement object for a task whose data starts one: (its id, whether it spans a period)."""
        field = next((f for f in PLACEMENT_FIELDS if entry.data.get(f) not in (None, "")), None)
        if field is None:
            return None
        placement_type, end_field, spans = PLACEMENT_FIELDS[field]
        object_id = f"placement:{case.case_id}:{entry.seq}"
        relationships = [{"objectId": case_object_id(case.case_id), "qualifier": "case"},
                         {"objectId": participant, "qualifier": "participant"}]
        if employer is not None:
            relationships.append({"objectId": employer, "qualifier": "employer"})
        attributes = _attributes((("placement_type", placement_type), ("start", entry.data.get(field)),
                                  ("end", entry.data.get(end_field))), _iso(entry.at))
        self.add_object(object_id, "placement", attributes, relationships)
        return object_id, spans

    def _event(self, entry: JournalEntry, relationships: list[dict[str, str]]) -> None:
        event_type = activity_name(entry)
        attributes = _attributes((("element_id", entry.element_id), ("kind", entry.kind),
                                  ("resource", entry.actor), ("role", entry.lane)))
        if entry.kind == CASE_ENDED:
            attributes += _attributes((("outcome", entry.outcome), ("end_reason", entry.end_reason)))
        self.event_types.use(event_type, attributes)
        self.events.add({"id": f"event:{entry.seq}", "type": event_type, "time": _iso(entry.at),
                         "attributes": attributes, "relationships": relationships})

    def finish(self, out: IO[str]) -> None:
        for object_id, attributes in self.participants.items():
            self.add_object(object_id, "participant", attributes, [])
        for object_id in sorted(self.employers):
            self.add_object(object_id, "employer", [], [])
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


def write_ocel(store: Store, path: str | os.PathLike[str] | IO[bytes], *, process_id: str | None = None,
               include_personal: bool = False) -> dict[str, Any]:
    """Write the journal as an OCEL 2.0 JSON log (UTF-8).

    Objects: one ``participant`` per participant key, one ``case`` per case, a ``placement`` per work
    placement or Supported Training period whose task data records its start, and an ``employer`` per
    employer identifier found in task data (none unless a diagram records one). Events: completed tasks,
    fired timers and each case's start and end, typed by activity name, each related to its case and
    participant (and to the placement or employer it concerns). Returns counts of events and objects.
    """
    writer = _OcelWriter(include_personal)
    try:
        for case in _cases(store, process_id):
            writer.add_case(case, store.read_journal(case.case_id))
        with _binary_output(path) as raw:
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


__all__ = ["OCEL_KINDS", "PERSONAL_FIELDS", "XES_KINDS", "XES_LIFECYCLE", "activity_name", "write_ocel",
           "write_xes"]
