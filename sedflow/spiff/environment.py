"""The environment SpiffWorkflow runs a case in: the safe evaluator for expressions, and the case's clock.

SpiffWorkflow does not serialize its script engine, and some of its code paths call
``script_engine.environment.evaluate`` directly, so both the engine *and* its environment are replaced,
and the runtime attaches one of these to every workflow it builds or restores. The script engine is
also SpiffWorkflow's one per-workflow hook, so it is where sedflow's timers read "now" from
(:func:`now_for`): the engine's clock, never the wall clock.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from ..clock import Clock
from ..errors import ExpressionError
from ..expressions import compile_expression


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    def __init__(self, clock: Clock):
        super().__init__({})
        self._clock = clock

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        # Task data wins over the outer context, as with SpiffWorkflow's own eval globals.
        data = ChainMap(context, external_context) if external_context else context
        return compile_expression(expression).evaluate(data, today=self._clock.now().date())

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        raise ExpressionError("scripts are not executed by sedflow (script tasks are refused when a diagram loads)")

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ExpressionError("service calls are not supported")


class CaseEnvironment(PythonScriptEngine):  # type: ignore[misc]
    """One per definition version and clock: evaluates with the safe evaluator and tells the time.

    ``fields`` are the form fields of the process and the processes it calls: a field not recorded
    yet reads as None, so a condition or timer may name any field of the process's forms
    (``latest(employment_start_date, study_start_date)`` on either route) while a misspelt name
    still fails.
    """

    def __init__(self, clock: Clock, fields: Iterable[str] = ()):
        super().__init__(environment=SafeEnvironment(clock))
        self._clock = clock
        self._blanks: dict[str, None] = dict.fromkeys(fields)

    def now(self) -> datetime:
        return self._clock.now()

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        return super().evaluate(task, expression, {**self._blanks, **(external_context or {})})

    def validate(self, expression: str) -> None:
        compile_expression(expression)


def now_for(task: Any) -> datetime:
    """The time as the case's engine sees it (what a timer compares its due time with)."""
    environment = task.workflow.script_engine
    if not isinstance(environment, CaseEnvironment):
        raise ExpressionError("a sedflow timer runs only in a workflow built by sedflow's runtime")
    return environment.now()
