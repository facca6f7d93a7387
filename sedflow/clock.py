"""Clocks: the single source of "now" for a running engine.

SpiffWorkflow reads the wall clock itself; sedflow does not. Journal timestamps and timers' due times
come from the engine's clock so that tests and simulations can drive a whole programme through months
of simulated time without sleeping or patching library internals. :func:`add_duration` is the calendar
arithmetic those due times need.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests, simulations and the demo."""

    def __init__(self, start: datetime | str):
        self._now = _as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime | str) -> None:
        when = _as_utc(when)
        if when < self._now:
            raise ValueError(f"a clock does not move backwards ({when} < {self._now})")
        self._now = when

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


#: The last moment a clock may be set to: timers and leases add years to "now", which must still be a date.
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _as_utc(when: datetime | str) -> datetime:
    """``when`` in UTC (naive: UTC), or ValueError outside the years 1 to 9000 (what date arithmetic keeps)."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    try:
        utc = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{when.isoformat()} is outside the years 1 to 9000") from exc
    if utc >= LATEST:
        raise ValueError(f"{when.isoformat()} is after the year 9000; a clock stops before it")
    return utc


# --- ISO 8601 durations --------------------------------------------------------------------------------

_DURATION = re.compile(
    r"P(?:(?P<years>[\d.,]+)Y)?(?:(?P<months>[\d.,]+)M)?(?:(?P<weeks>[\d.,]+)W)?(?:(?P<days>[\d.,]+)D)?"
    r"(?P<t>T(?:(?P<hours>[\d.,]+)H)?(?:(?P<minutes>[\d.,]+)M)?(?:(?P<seconds>[\d.,]+)S)?)?", re.IGNORECASE)
_PARTS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


def add_duration(start: datetime, iso_duration: str) -> datetime:
    """``start`` plus an ISO 8601 duration (``PnYnMnWnDTnHnMnS``), with calendar months and years.

    A month is the length of the calendar month it starts in, counted from ``start``'s month, as
    SpiffWorkflow counts the durations of the timers it parses: 2026-01-31 plus ``P1M`` is 2026-03-03
    (January's 31 days), not the end of February. sedflow computes its due times itself (it reads its own
    clock), so it does the same arithmetic to agree with every due time SpiffWorkflow would give.
    Only the last part may carry a fraction (``PT1.5H``); years and months never do.
    """
    parts = _parse_duration(iso_duration)
    months = int(parts.pop("years", 0)) * 12 + int(parts.pop("months", 0))
    days = parts.pop("days", 0.0)
    for offset in range(months):
        year, month = divmod(start.month - 1 + offset, 12)
        days += monthrange(start.year + year, month + 1)[1]
    return start + timedelta(days=days, **parts)


def _parse_duration(text: str) -> dict[str, float]:
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an ISO 8601 duration (PnYnMnWnDTnHnMnS): {text!r}")
    given = [(name, match.group(name).replace(",", ".")) for name in _PARTS if match.group(name) is not None]
    if not given or (match.group("t") and not any(name in ("hours", "minutes", "seconds") for name, _ in given)):
        raise ValueError(f"an ISO 8601 duration names at least one part after P (and after T): {text!r}")
    if "weeks" in dict(given) and any(name in ("years", "months", "days") for name, _ in given):
        raise ValueError(f"weeks do not combine with years, months or days in an ISO 8601 duration: {text!r}")
    parsed: dict[str, float] = {}
    for position, (name, value) in enumerate(given):
        fraction = "." in value
        if fraction and (position < len(given) - 1 or name in ("years", "months")):
            raise ValueError(f"only the last part of a duration may have a fraction, and never years or months: "
                             f"{text!r}")
        try:
            parsed[name] = float(value)
        except ValueError as exc:
            raise ValueError(f"not a number in the ISO 8601 duration {text!r}: {value!r}") from exc
    return parsed
