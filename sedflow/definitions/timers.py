"""Timer event definitions that read the engine's clock instead of the wall clock.

SpiffWorkflow's timers call ``datetime.now()`` themselves and offer no clock injection. The loader
gives every parsed timer one of these subclasses; they take "now" from the clock of the engine that
runs the case (reached through the workflow's script engine), so tests and simulations move time
without sleeping or patching the library. Semantics otherwise follow SpiffWorkflow's, with three
decisions of sedflow's own:

- a timer fires when its due time has come (``due <= now``), never before;
- a date without a time zone is UTC (the engine's clock is UTC);
- a cycle whose due times were missed while nothing ran fires once and moves on to its next
  future occurrence: reminders do not pile up.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from ..spiff.environment import now_for
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition, DurationTimerEventDefinition,
                                                              TimeDateEventDefinition, TimerEventDefinition)


def parse_when(value: Any) -> datetime:
    """A due time from an expression's value: a date, a datetime or ISO text; naive means UTC."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, datetime.min.time())
    else:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def add_duration(start: datetime, duration: str) -> datetime:
    """``start`` plus an ISO 8601 duration, with calendar months and years."""
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


def _fire_once(my_task: Any, expression: str, due_from: Any) -> bool:
    """A one-shot timer: its due time is fixed when it starts waiting, and it fires once that has come."""
    value = my_task._get_internal_data("event_value")
    if value is None:
        value = due_from(my_task.workflow.script_engine.evaluate(my_task, expression), my_task).isoformat()
        my_task._set_internal_data(event_value=value)
    if parse_when(value) <= now_for(my_task):
        my_task._set_internal_data(event_fired=True)
    return my_task._get_internal_data("event_fired", False)


class ClockTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        return _fire_once(my_task, self.expression, lambda when, _: parse_when(when))


class ClockDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        return _fire_once(my_task, self.expression, lambda duration, task: add_duration(now_for(task), duration))


class ClockCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task: Any) -> bool:
        now = now_for(my_task)
        value = my_task._get_internal_data("event_value")
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
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=value)
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


CLOCKED = {TimeDateEventDefinition: ClockTimeDate, DurationTimerEventDefinition: ClockDuration,
            CycleTimerEventDefinition: ClockCycle}


def use_engine_clock(task_spec: Any) -> None:
    """Give a parsed timer event the clocked class of its kind (a no-op for other task specs)."""
    definition = getattr(task_spec, "event_definition", None)
    if definition is not None and type(definition) in CLOCKED:
        definition.__class__ = CLOCKED[type(definition)]


def due_time(my_task: Any) -> datetime | None:
    """When a waiting timer will fire next, if known."""
    value = my_task.internal_data.get("event_value")
    if isinstance(value, dict):
        return parse_when(value["next"]) if value.get("cycles") != 0 else None
    return parse_when(value) if value else None


__all__ = ["ClockCycle", "ClockDuration", "ClockTimeDate", "add_duration", "due_time", "parse_when",
           "use_engine_clock"]
