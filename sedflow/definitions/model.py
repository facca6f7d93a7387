"""Process definitions: what a loaded diagram is to the rest of sedflow.

A definition is parsed once and shared by every case that runs on it; cases refer to it by its
*version*, a hash of the diagram files it was built from (:mod:`.version`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..bpmn.index import ElementInfo
from ..errors import UnknownProcessError
from .forms import Form


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
    spec: Any                               # SpiffWorkflow BpmnProcessSpec (untyped library)
    subprocess_specs: Mapping[str, Any]
    elements: Mapping[tuple[str, str], ElementInfo]   # (process id, element id) -> info
    properties: Mapping[str, str]
    #: Days an ended case keeps its personal data (``camunda:historyTimeToLive``); None: the store's default.
    history_days: int | None = None

    def element(self, process_id: str, element_id: str) -> ElementInfo | None:
        return self.elements.get((process_id, element_id))

    @property
    def start_event(self) -> ElementInfo | None:
        """The process's start event that carries a form: what `start_case` data must fit."""
        return next((e for e in self.elements.values() if e.process_id == self.process_id and e.kind == "startEvent"
                     and e.parent is None and e.form is not None), None)

    @property
    def message_start(self) -> str | None:
        """The message whose arrival starts a case of the process (its start event catches it), if any."""
        return next((e.event_name for e in self.elements.values() if e.process_id == self.process_id
                     and e.kind == "startEvent" and e.parent is None and e.event == "message"), None)

    @property
    def signal_starts(self) -> frozenset[str]:
        """The signals whose throw or broadcast starts a case of the process (its start events catch them)."""
        return frozenset(e.event_name for e in self.elements.values() if e.process_id == self.process_id
                         and e.kind == "startEvent" and e.parent is None and e.event == "signal" and e.event_name)

    @cached_property
    def caught_signals(self) -> frozenset[str]:
        """Every signal an element of the process (or of what it calls) catches: a case of it that catches
        none never waits for one, so its steps need not look."""
        return frozenset(e.event_name for e in self.elements.values() if e.event == "signal" and e.event_name
                         and e.kind in ("intermediateCatchEvent", "boundaryEvent", "startEvent"))

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
        except KeyError as exc:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise UnknownProcessError(f"unknown process '{process_id}' (known: {known})") from exc

    def by_version(self, version: str) -> ProcessDefinition | None:
        return self._by_version.get(version)
