"""The scheduler: fire every due timer across all cases, each case in its own transaction.

Workers claim due cases in batches with a lease, so several ``tick`` processes share the work
without taking the same case. A timer never fires twice: the firing and its journal rows commit
with the case's new state under its revision, so a case someone else advanced first is left to
them. A case that fails is reported and the run goes on, and the failure is recorded on the case
(:class:`RetryPolicy`): no worker tries it again before its backoff has passed, and once its attempts
are used up the case is put in incident (journaled, with the last error) and left alone until someone
retries or resolves it (``Engine.retry_incident`` / ``resolve_incident``). The run also says how many
cases are in incident (nothing can advance them, so no tick ever will): those this run put there, and
all of them in the store.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from ..errors import CaseStateError, RecordConflictError, SedflowError
from ..store import CaseStore


@dataclass(frozen=True)
class RetryPolicy:
    """How often a worker tries a case whose step keeps failing: ``attempts`` in all, the n-th failure
    backing the case off for ``first * factor ** (n - 1)``; the last one opens an incident. (Camunda 7
    retries a failing job three times, by default with no wait; sedflow waits, since what fails a timer's
    step is mostly data someone has to correct.)"""

    attempts: int = 3
    first: timedelta = timedelta(minutes=1)
    factor: int = 10

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.factor < 1 or self.first < timedelta(0):
            raise ValueError("a retry policy needs attempts >= 1, factor >= 1 and a backoff of zero or more")

    def backoff(self, failures: int) -> timedelta | None:
        """How long to leave the case after its ``failures``-th failure in a row (None: open an incident)."""
        return None if failures >= self.attempts else self.first * self.factor ** (failures - 1)


DEFAULT_RETRY = RetryPolicy()


class Fired(NamedTuple):
    """What firing one case's due timers did: the timers fired, and whether that stalled the case."""

    timers: list[str]
    stalled: bool = False


@dataclass
class TickResult:
    """What one ``tick`` did: timers fired per case, cases left to a concurrent writer, cases that failed
    (each backed off, or put in incident); cases this run left in incident (``stalled``: stuck after their
    timers fired, or out of attempts) and how many cases are in incident after it (``incidents``, the
    older ones too: each waits for someone to mend it)."""

    now: datetime
    fired: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    stalled: list[str] = field(default_factory=list)
    incidents: int = 0
    signals: int = 0  # signal deliveries done after the timers (``Engine.tick``)

    @property
    def timers_fired(self) -> int:
        return sum(len(v) for v in self.fired.values())

    def to_dict(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(timespec="seconds"), "timers_fired": self.timers_fired,
                "fired": self.fired, "conflicts": self.conflicts, "failed": self.failed, "stalled": self.stalled,
                "incidents": self.incidents}


def run_tick(store: CaseStore, fire: Callable[[str, datetime], Fired], now: datetime, *, worker_id: int,
             failed: Callable[[str, SedflowError], bool], limit: int | None = None, batch: int = 100,
             lease: timedelta = timedelta(minutes=10), on_case: Callable[[str, int], object] | None = None
             ) -> TickResult:
    """Claim due cases and ``fire(case_id, now)`` each until none is left; then count the incidents.
    ``failed(case_id, error)`` records a failure and says whether it put the case in incident."""
    worker = f"{socket.gethostname()}:{os.getpid()}:{worker_id:x}"
    result = TickResult(now=now)
    seen: set[str] = set()
    while limit is None or len(seen) < limit:
        size = batch if limit is None else min(batch, limit - len(seen))
        claimed = [c for c in store.claim_due(now, worker, size, lease) if c not in seen]
        if not claimed:
            break
        for case_id in claimed:
            seen.add(case_id)
            try:
                fired = fire(case_id, now)
            except RecordConflictError:
                result.conflicts.append(case_id)
                continue
            except CaseStateError:  # ended since it was claimed: nothing is due any more
                continue
            except SedflowError as exc:
                result.failed[case_id] = str(exc)
                try:
                    if failed(case_id, exc):
                        result.stalled.append(case_id)
                except RecordConflictError:  # changed meanwhile: the next run tries it as it now is
                    pass
                continue
            result.fired[case_id] = fired.timers
            if fired.stalled:
                result.stalled.append(case_id)
            if on_case is not None:
                on_case(case_id, len(fired.timers))
    result.incidents = store.count_incidents()
    return result
