"""What makes a bulk import resumable: every row names its case, so a re-run finds the rows already done.

An import commits in batches, so a crash (a kill, a lost server) leaves the rows of the committed batches
in the store and none of the rest. Re-running the same file must then start exactly the missing rows.
That works because each row's case id is known before anything is written:

- a row with a ``case_id`` column starts that case; a case id already in the store for the same
  participant and process is that row, done before (skipped and reported); a case id held by another
  participant or process is an error naming the row;
- a row without one gets the case id derived from its *import key* ``(process, participant,
  referral_date)`` (``referral_date`` an optional ISO date column, for a participant referred again
  later; without it the key is the process and the participant): the same row gives the same id on
  every run, so it is found again the same way.

A row that repeats an earlier row's case id in the same file is skipped as well.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import TaskDataError

#: The columns of an import row that are not start-form fields.
IMPORT_COLUMNS = ("participant", "process", "case_id", "referral_date")
#: What a case id must look like (as a participant key: letters, digits, . _ : -; at most 64).
CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


@dataclass(frozen=True)
class Skipped:
    """A row not started: its number (from 1), its case id and why (already in the store, or repeated)."""

    row: int
    case_id: str
    why: str

    def to_dict(self) -> dict[str, object]:
        return {"row": self.row, "case_id": self.case_id, "why": self.why}


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the case ids it started, in row order, and the rows it skipped."""

    started: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"started": list(self.started), "skipped": [s.to_dict() for s in self.skipped]}


def cell(row: Mapping[str, Any], column: str) -> str:
    """The text of one of the import columns ("" when empty), or a TaskDataError naming it."""
    value = row.get(column)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TaskDataError(f"column '{column}' must be text, got {type(value).__name__}", field=column)
    return value


def case_id_of(row: Mapping[str, Any], process_id: str, participant: str) -> str:
    """The row's case id: its ``case_id`` column, else the id derived from its import key (see the module)."""
    given = cell(row, "case_id")
    if given:
        if not CASE_ID.match(given):
            raise TaskDataError(f"case id {given[:80]!r} must be letters, digits, . _ : - (at most 64)",
                                field="case_id")
        return given
    referral = cell(row, "referral_date")
    if referral:
        try:
            referral = date.fromisoformat(referral).isoformat()
        except ValueError as exc:
            raise TaskDataError(f"referral_date {referral[:40]!r} is not a date as YYYY-MM-DD",
                                field="referral_date") from exc
    return hashlib.sha256("\n".join((process_id, participant, referral)).encode()).hexdigest()[:12]


def start_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """An import row's start-form fields (empty cells are left out)."""
    return {k: v for k, v in row.items() if k not in IMPORT_COLUMNS and v not in (None, "")}


__all__ = ["CASE_ID", "IMPORT_COLUMNS", "ImportResult", "Skipped", "case_id_of", "cell", "start_fields"]
