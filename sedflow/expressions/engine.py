"""The bridge that makes SpiffWorkflow evaluate diagram expressions with the safe evaluator.

SpiffWorkflow does not serialize its script engine, and some of its code paths call
``script_engine.environment.evaluate`` directly, so both the engine *and* its environment are replaced,
and the runtime attaches this engine to every workflow it deserializes.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterable
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from ..clock import Clock
from ..errors import ExpressionError
from .evaluator import compile_expression


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, clock: Clock):
        super().__init__({})
        self._clock = clock

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        # Task data wins over the outer context, as with SpiffWorkflow's own eval globals.
        data = ChainMap(context, external_context) if external_context else context
        return compile_expression(expression).evaluate(data, today=self._clock.now().date())

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        raise ExpressionError("scripts are not executed by sedflow (script tasks are refused when a diagram loads)")

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise ExpressionError("service calls are not supported")


class SafeScriptEngine(PythonScriptEngine):
    """``fields_of(spec)`` names the form fields of the process a top-level spec belongs to: a field
    not recorded yet reads as None, so a condition or timer may name any field of the process's forms
    (``latest(employment_start_date, study_start_date)`` on either route) while a misspelt name
    still fails."""

    def __init__(self, clock: Clock, fields_of: Callable[[Any], Iterable[str]] = lambda spec: ()):
        super().__init__(environment=SafeEnvironment(clock))
        #: Read by sedflow's timer events (definitions/timers.py): the case's "now".
        self.clock = clock
        self._fields_of = fields_of

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        blanks = dict.fromkeys(self._fields_of(task.workflow.top_workflow.spec))
        return super().evaluate(task, expression, {**blanks, **(external_context or {})})

    def validate(self, expression: str) -> None:
        compile_expression(expression)
