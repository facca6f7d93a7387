"""What the event-log exports (XES in ``xes.py``, OCEL 2.0 in ``ocel.py``) share.

Both exports read the store only through its public interface: ``list_cases`` for the cases (oldest
first) and ``read_journal(case_id)`` for one case's journal at a time, so memory holds one case's
entries while the output is written incrementally. The case list itself is loaded whole, as
``list_cases`` returns it.

Privacy: form data is never exported (it holds free text). The profile's personal fields (for
Supported Employment: gender, birth year, referral source, income support) and, in XES, the
participant key are left out unless ``include_personal=True``. OCEL needs a participant object to link
a person's cases, so its id is the pseudonymous participant key (the engine refuses anything its
profile takes for a direct identifier).

The store is read as it is while the export runs: on a live store, a case written meanwhile may show a
summary (status, outcome) a step ahead of or behind its exported events.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..journal import CASE_ENDED, CASE_STARTED, JournalEntry
from ..store import CaseFilter, CaseRecord, Store
from .profile import GENERIC_REPORTS, ExportFields

if TYPE_CHECKING:
    from ..profile import Profile

CASE_STARTED_NAME = "Case started"
CASE_ENDED_NAME = "Case ended"

#: Where an export is written: a path (replaced only when the export succeeds) or a binary file object.
Target = str | os.PathLike[str] | IO[bytes]


def export_fields(profile: Profile) -> ExportFields:
    """The profile's export field map (none for a profile without reports)."""
    return (profile.reports or GENERIC_REPORTS).export


def activity_name(entry: JournalEntry) -> str:
    """The activity an entry is about, as a process miner sees it."""
    if entry.kind == CASE_STARTED:
        return CASE_STARTED_NAME
    if entry.kind == CASE_ENDED:
        return CASE_ENDED_NAME
    return entry.element_name or entry.element_id or entry.kind


def iso(moment: datetime) -> str:
    """ISO 8601 with an explicit offset (the journal's times are aware UTC; a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="microseconds")


def cases(store: Store, process_id: str | None) -> list[CaseRecord]:
    return store.list_cases(CaseFilter(process_id=process_id))


@contextmanager
def binary_output(target: Target) -> Iterator[IO[bytes]]:
    """A binary stream to write to: a file object as given, or a path written via a temporary file in the
    same directory and renamed into place only when the export succeeds (no half-written logs)."""
    if not isinstance(target, str | os.PathLike):
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
