"""Timer event definitions that read the engine's clock instead of the wall clock.

SpiffWorkflow's timers call ``datetime.now()`` themselves and offer no clock injection. sedflow's
parser (:mod:`.parser`) builds these subclasses for every timer it parses; they take "now" from the
clock of the engine that runs the case (:func:`~sedflow.spiff.environment.now_for`), so tests and
simulations move time without sleeping or patching the library. Semantics otherwise follow
SpiffWorkflow's, with three decisions of sedflow's own:

- a timer fires when its due time has come (``due <= now``), never before;
- a date without a time zone is UTC (the engine's clock is UTC);
- a cycle whose due times were missed while nothing ran fires once and moves on to its next
  future occurrence: reminders do not pile up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)

from ..clock import add_duration
from .environment import now_for


def parse_when(value: object) -> datetime:
    """A due time from an expression's value: a date, a datetime or ISO text; naive means UTC."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, datetime.min.time())
    else:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _fire_once(my_task: Any, expression: str, due_from: Callable[[Any, Any], datetime]) -> bool:
    """A one-shot timer: its due time is fixed when it starts waiting, and it fires once that has come."""
    data = my_task.internal_data
    if data.get("event_value") is None:
        value = my_task.workflow.script_engine.evaluate(my_task, expression)
        data["event_value"] = due_from(value, my_task).isoformat()
    if parse_when(data["event_value"]) <= now_for(my_task):
        data["event_fired"] = True
    return bool(data.get("event_fired", False))


class ClockTimeDate(TimeDateEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        return _fire_once(my_task, self.expression, lambda when, _: parse_when(when))


class ClockDuration(DurationTimerEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        return _fire_once(my_task, self.expression, lambda duration, task: add_duration(now_for(task), duration))


class ClockCycle(CycleTimerEventDefinition):  # type: ignore[misc]
    def cycle_complete(self, my_task: Any) -> bool:
        now = now_for(my_task)
        data = my_task.internal_data
        value = data.get("event_value")
        if value is None:
            cycles, start, period = _parse_cycle(my_task.workflow.script_engine.evaluate(my_task, self.expression), now)
            value = {"cycles": cycles, "next": start.isoformat(), "duration": period}
        ready = False
        if value["cycles"] != 0:
            due = parse_when(value["next"])
            if due <= now:
                while due <= now:  # missed occurrences collapse into this one
                    due = add_duration(due, value["duration"])
                value["next"] = due.isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            data.pop("event_value", None)
            data["event_fired"] = True
            return False
        data["event_value"] = value
        return ready


def _parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, str]:
    """``R[n]/duration``, ``R[n]/start/duration`` (first occurrence at start) or ``R[n]/duration/end``."""
    parts = expression.upper().strip().split("/")
    if not parts[0].startswith("R") or len(parts) not in (2, 3):
        raise ValueError(f"not an ISO 8601 repeating interval: {expression!r}")
    cycles = int(parts[0][1:]) if parts[0][1:] else -1
    if len(parts) == 2:
        return cycles, add_duration(now, parts[1]), parts[1]
    if parts[1].startswith("P"):  # duration/end: counted back from the end
        end = parse_when(parts[2])
        starts = [end]
        for _ in range(max(cycles, 1)):
            starts.append(starts[-1] - (add_duration(starts[-1], parts[1]) - starts[-1]))
        return cycles, starts[-1], parts[1]
    return cycles, parse_when(parts[1]), parts[2]


#: SpiffWorkflow's timer definition classes and the clocked class sedflow builds instead of each.
CLOCKED: dict[type, type] = {TimeDateEventDefinition: ClockTimeDate, DurationTimerEventDefinition: ClockDuration,
                             CycleTimerEventDefinition: ClockCycle}


def due_time(my_task: Any) -> datetime | None:
    """When a waiting timer will fire next, if known."""
    value = my_task.internal_data.get("event_value")
    if isinstance(value, dict):
        return parse_when(value["next"]) if value.get("cycles") != 0 else None
    return parse_when(value) if value else None


__all__ = ["CLOCKED", "ClockCycle", "ClockDuration", "ClockTimeDate", "due_time", "parse_when"]
