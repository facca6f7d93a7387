"""Event-log export as IEEE 1849 XES 2.0: one trace per case, written incrementally (``lxml.etree.xmlfile``).

What is exported, and what is left out for privacy, is described in :mod:`sedflow.reports.eventlog`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..journal import (
    ACTIVITY_COMPLETED,
    ACTIVITY_STARTED,
    CASE_ENDED,
    CASE_STARTED,
    EVENT_REACHED,
    GATEWAY_TAKEN,
    TASK_CANCELLED,
    TASK_COMPLETED,
    TASK_READY,
    TIMER_FIRED,
    JournalEntry,
)
from ..store import CaseRecord, Store
from .eventlog import Target, activity_name, binary_output, cases, export_fields, iso

if TYPE_CHECKING:
    from ..profile import Profile

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
        tag, text = "date", iso(value)
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
    _xes_attribute(event_globals, "time:timestamp", datetime(1970, 1, 1, tzinfo=UTC))
    _xes_attribute(event_globals, "lifecycle:transition", "complete")
    parts += [trace_globals, event_globals,
              etree.Element("classifier", name="Activity", keys="concept:name lifecycle:transition")]
    return parts


def _xes_trace(case: CaseRecord, entries: list[JournalEntry], personal: tuple[str, ...] | None) -> Any:
    """A case's trace; ``personal``: the personal fields to include with the participant key (None: neither)."""
    trace = etree.Element("trace")
    for key, value in (("concept:name", case.case_id), ("process", case.process_id),
                       ("definition_version", case.definition_version), ("status", case.status),
                       ("outcome", case.outcome), ("end_reason", case.end_reason)):
        _xes_attribute(trace, key, value)
    if personal is not None:
        _xes_attribute(trace, "participant", case.participant)
        for name in personal:
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


def write_xes(store: Store, target: Target, *, profile: Profile, process_id: str | None = None,
              include_personal: bool = False) -> dict[str, int]:
    """Write the journal as an IEEE 1849 XES 2.0 log (UTF-8): one trace per case, ordered by case start,
    its events in journal order; the profile says which case-data fields are personal.
    Returns ``{"traces": n, "events": m}``."""
    personal = export_fields(profile).personal if include_personal else None
    traces = events = 0
    selected = cases(store, process_id)
    with binary_output(target) as out, etree.xmlfile(out, encoding="utf-8") as xf:
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
            for case in selected:
                entries = [e for e in store.read_journal(case.case_id) if e.kind in XES_KINDS]
                xf.write(_xes_trace(case, entries, personal), pretty_print=True)
                traces += 1
                events += len(entries)
    return {"traces": traces, "events": events}


