"""Signals across cases: a durable fan-out, one transaction per receiver.

Camunda 7 delivers a thrown signal to every subscription in every process instance, the thrower's
included, and starts every process whose start event catches it. In sedflow the throwing case's own
catches get it in the throwing step (SpiffWorkflow runs them), and everything else goes through the
store: the throwing step (or ``Engine.broadcast_signal``) records the signal and one pending delivery
per receiver in its own transaction -- every active case waiting for the signal when it commits (their
``signal_waits`` rows, which every step rewrites), and each process whose signal start event starts a case
for the signal's participant. Each delivery is then one step of its receiver, committed together with
the mark that it is done, so a crash between two deliveries neither loses nor doubles one: what is still
pending is done by the next ``Engine.tick`` or broadcast. A receiver that has moved on (it no longer
waits for the signal), ended or is suspended by then is skipped, and the delivery says why.

A signal carries no variables from the throwing case (Camunda 7 passes only what ``camunda:in`` maps on
the throw, which sedflow refuses at load); ``broadcast_signal`` may give it some, checked like message data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..journal import JournalKind
from ..store import DeliveryKind, DeliveryState, Signal, SignalDelivery
from .step import StepResult

#: The ``source`` of a signal broadcast from outside any case.
BROADCAST = "broadcast"
#: Elements that throw a signal when a case passes them.
_THROWS = frozenset({"intermediateThrowEvent", "endEvent"})


def thrown(result: StepResult) -> list[Signal]:
    """The signals the step threw (its throw and end events passed), in the order they were passed; each
    goes to the other cases and starts processes for the case's participant."""
    signals = []
    for e in result.entries:
        info = result.definition.element(e.process_id, e.element_id) if e.element_id else None
        if (e.kind == JournalKind.EVENT_REACHED and info is not None and info.event == "signal"
                and info.kind in _THROWS and info.event_name):
            signals.append(Signal(name=info.event_name, source=result.record.case_id, at=e.at,
                                  participant=result.record.participant, actor=e.actor))
    return signals


@dataclass(frozen=True)
class SignalResult:
    """What became of one signal: the cases it reached, the cases it started, the receivers skipped or failed
    (case or process id -> why), those still pending (a concurrent writer changed them: the next ``tick``
    delivers), and the processes that start on it but were not started (a broadcast without a participant)."""

    signal_id: int
    name: str
    delivered: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, seq: int, name: str, deliveries: Sequence[SignalDelivery],
           not_started: Sequence[str] = ()) -> SignalResult:
        result = cls(seq, name, not_started=sorted(not_started))
        for d in deliveries:
            if d.state == DeliveryState.DELIVERED:
                (result.started if d.kind == DeliveryKind.START else result.delivered).append(d.case_id or d.receiver)
            elif d.state == DeliveryState.SKIPPED:
                result.skipped[d.receiver] = d.reason or ""
            elif d.state == DeliveryState.FAILED:
                result.failed[d.receiver] = d.reason or ""
            else:
                result.pending.append(d.receiver)
        return result

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FanOut:
    """What one run over the pending deliveries did, counted by outcome."""

    delivered: int = 0
    skipped: int = 0
    failed: int = 0
    conflicts: int = 0

    def count(self, state: DeliveryState | None) -> None:
        if state == DeliveryState.DELIVERED:
            self.delivered += 1
        elif state == DeliveryState.SKIPPED:
            self.skipped += 1
        elif state == DeliveryState.FAILED:
            self.failed += 1
        else:
            self.conflicts += 1


def received_data(signal: Signal) -> Mapping[str, Any]:
    """A ``signal_received`` row's data: the signal's name, where it came from, the variables it brought."""
    return {"signal": signal.name, "source": signal.source, "variables": dict(signal.data)}
