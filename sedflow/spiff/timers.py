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

A cycle is an ISO 8601 repeating interval or, as Camunda 7 also accepts, a Quartz cron expression
(``0 0 9 ? * MON-FRI``: seconds, minutes, hours, day of month, month, day of week 1-7 from Sunday or
``MON``..``SUN``, optional year), read with croniter. The timers of an event-based gateway wait on
the gateway's task (SpiffWorkflow folds them into it); each keeps its due time under a key of its own
there, so that two timers of one gateway do not overwrite each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)

from ..clock import add_duration
from ..expressions.juel import CRON_LITERAL
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


class _Keyed:
    """Where a timer keeps its due time on the task that waits for it."""

    #: The catch event that draws the timer (set by the parser).
    element_id: str | None = None

    def key(self, my_task: Any, name: str = "event_value") -> str:
        """``name`` (the due time, or ``event_fired``) for this timer on the task: SpiffWorkflow's own key on a
        timer event, one suffixed with the catch event's id on an event-based gateway."""
        return name if my_task.task_spec.event_definition is self else f"{name}:{self.element_id}"


def _fire_once(timer: _Keyed, my_task: Any, expression: str, due_from: Callable[[Any, Any], datetime]) -> bool:
    """A one-shot timer: its due time is fixed when it starts waiting, and it fires once that has come."""
    data, key, fired = my_task.internal_data, timer.key(my_task), timer.key(my_task, "event_fired")
    if data.get(key) is None:
        value = my_task.workflow.script_engine.evaluate(my_task, expression)
        data[key] = due_from(value, my_task).isoformat()
    if parse_when(data[key]) <= now_for(my_task):
        data[fired] = True
    return bool(data.get(fired, False))


class ClockTimeDate(_Keyed, TimeDateEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        return _fire_once(self, my_task, self.expression, lambda when, _: parse_when(when))


class ClockDuration(_Keyed, DurationTimerEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        return _fire_once(self, my_task, self.expression,
                          lambda duration, task: add_duration(now_for(task), duration))


class ClockFirstOccurrence(_Keyed, TimeDateEventDefinition):  # type: ignore[misc]
    """A ``timeCycle`` where a timer cannot repeat (an intermediate catch, an interrupting boundary or event
    sub-process start, a process start): as in Camunda 7 it fires once, at the cycle's first occurrence."""

    def has_fired(self, my_task: Any) -> bool:
        return _fire_once(self, my_task, self.expression,
                          lambda cycle, task: _parse_cycle(str(cycle), now_for(task))[1])


class ClockCycle(_Keyed, CycleTimerEventDefinition):  # type: ignore[misc]
    def cycle_complete(self, my_task: Any) -> bool:
        now = now_for(my_task)
        data, key = my_task.internal_data, self.key(my_task)
        value = data.get(key)
        if value is None:
            cycles, start, period = _parse_cycle(my_task.workflow.script_engine.evaluate(my_task, self.expression), now)
            value = {"cycles": cycles, "next": start.isoformat(), "duration": period}
        ready = False
        if value["cycles"] != 0:
            due = parse_when(value["next"])
            if due <= now:
                while due <= now:  # missed occurrences collapse into this one
                    due = _after(due, value["duration"])
                value["next"] = due.isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            data.pop(key, None)
            data["event_fired"] = True
            return False
        data[key] = value
        return ready


def cron_problem(expression: str) -> str | None:
    """Why a Quartz cron expression cannot run, or None."""
    try:
        _croniter(expression, datetime(2026, 1, 1, tzinfo=UTC))
    except (ValueError, KeyError) as exc:
        return f"not a cron expression sedflow can read ({exc})"
    return None


def _croniter(expression: str, start: datetime) -> Any:
    fields = expression.upper().split()
    if any(c in fields[5] for c in "L#") or "W" in fields[3]:
        raise ValueError("L, W and # are not supported; list the days instead")
    # Quartz counts days of the week 1-7 from Sunday, croniter 0-6.
    fields[5] = re.sub(r"\d+", lambda m: str((int(m.group()) - 1) % 7), fields[5])
    if len(fields) == 7 and fields[6] in ("*", "?"):
        fields.pop()
    from croniter import croniter  # imported when a cron cycle is read: most diagrams have none

    return croniter(" ".join(fields), start, second_at_beginning=True)


def _after(due: datetime, period: str) -> datetime:
    """The next occurrence after ``due``: one period on, or the cron expression's next time."""
    if period.startswith("CRON "):
        return parse_when(_croniter(period[5:], due).get_next(datetime))
    return add_duration(due, period)


def _parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, str]:
    """``R[n]/duration``, ``R[n]/start/duration`` (first occurrence at start), ``R[n]/duration/end``, or
    a cron expression (its period stored as ``CRON <expression>``)."""
    if CRON_LITERAL.match(expression.strip()):
        period = f"CRON {expression.strip()}"
        return -1, _after(now, period), period
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


def events_of(my_task: Any) -> list[Any]:
    """The event definitions a task waits on: its own, or each of an event-based gateway's."""
    definition = getattr(my_task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [] if definition is None else [definition]


def timers_of(my_task: Any) -> Iterator[_Keyed]:
    """The timers a task waits on: its own, or an event-based gateway's."""
    return (d for d in events_of(my_task) if isinstance(d, _Keyed))


def fired_at_gateway(gateway_task: Any, element_id: str | None) -> bool:
    """Whether the timer of catch event ``element_id`` is what fired the event-based gateway task."""
    return any(t.element_id == element_id and gateway_task.internal_data.get(t.key(gateway_task, "event_fired"))
               for t in timers_of(gateway_task))


def next_timer(my_task: Any) -> tuple[str | None, datetime] | None:
    """The catch event whose timer fires next on this task (an event-based gateway has several), and when."""
    due = []
    for timer in timers_of(my_task):
        value = my_task.internal_data.get(timer.key(my_task))
        if isinstance(value, dict):
            if value.get("cycles") != 0:
                due.append((parse_when(value["next"]), timer.element_id))
        elif value:
            due.append((parse_when(value), timer.element_id))
    if not due:
        return None
    when, element_id = min(due, key=lambda d: d[0])
    return element_id, when


def due_time(my_task: Any) -> datetime | None:
    """When a waiting timer will fire next, if known."""
    timer = next_timer(my_task)
    return timer[1] if timer else None


__all__ = ["CLOCKED", "ClockCycle", "ClockDuration", "ClockFirstOccurrence", "ClockTimeDate", "cron_problem",
           "due_time", "events_of", "fired_at_gateway", "next_timer", "parse_when", "timers_of"]
