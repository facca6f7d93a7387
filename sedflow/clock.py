"""Clocks: the single source of "now" for a running engine.

SpiffWorkflow reads the wall clock itself; sedflow does not. Journal timestamps (and, with the timers
work, due times) come from the engine's clock so that tests and simulations can drive a whole programme
through months of simulated time without sleeping or patching library internals.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


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


def _as_utc(when: datetime | str) -> datetime:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)
