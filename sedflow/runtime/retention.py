"""Retention and erasure: which ended cases are past their time, and what a case keeps of its data.

An ended case keeps its personal data for the days its process's ``camunda:historyTimeToLive`` gives (a
process without one: the store's default, ``retention_days`` in its metadata; neither: for ever), counted
from the day it ended. Then ``Engine.purge`` anonymises it (``Transaction.anonymise_case``): a new random
case id, a participant pseudonym made from it, no workflow state, no journal data, and of its case data
only the fields the programme's reports read (``ReportProfile.kept_fields``), so that every report counts
it as before. ``Engine.erase_participant`` does the same at once for every ended case of one participant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..definitions.camunda import days_of
from ..errors import TaskDataError
from ..store import CaseRecord

#: The store metadata key of the default retention in days, for processes without historyTimeToLive.
RETENTION_KEY = "retention_days"


@dataclass(frozen=True)
class Anonymised:
    """The cases a purge or an erasure anonymised (a dry run: would anonymise), by the ids they had."""

    cases: tuple[str, ...]
    dry_run: bool = False


def parse_days(value: int | str, *, field: str = "days") -> int:
    """Whole days, given as a number, ``180`` or ``P180D`` (TaskDataError naming ``field`` otherwise)."""
    days = value if isinstance(value, int) and not isinstance(value, bool) else days_of(str(value))
    if days is None or days < 0:
        raise TaskDataError(f"{field} {value!r:.40} is not a number of days (write 180 or P180D)", field=field)
    return days


def past_retention(record: CaseRecord, days: int | None, now: datetime) -> bool:
    """Whether ended ``record``, kept ``days`` (None: for ever), is past its time at ``now``."""
    return days is not None and record.ended_at is not None and record.ended_at + timedelta(days=days) <= now


def kept_data(data: Mapping[str, Any], kept: frozenset[str]) -> dict[str, Any]:
    """The case data an anonymised case keeps: the fields the reports read, nothing else."""
    return {name: value for name, value in data.items() if name in kept}
