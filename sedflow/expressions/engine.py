"""The bridge that makes SpiffWorkflow evaluate diagram expressions with the safe evaluator.

SpiffWorkflow does not serialize its script engine, and some of its code paths call
``script_engine.environment.evaluate`` directly, so both the engine *and* its environment are replaced,
and the runtime attaches this engine to every workflow it deserializes.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any, Callable

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
        data = ChainMap(external_context, context) if external_context else context
        return compile_expression(expression).evaluate(data, today=self._clock.now().date())

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        raise ExpressionError("scripts are not executed by sedflow (script tasks are refused when a diagram loads)")

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise ExpressionError("service calls are not supported")


class SafeScriptEngine(PythonScriptEngine):
    def __init__(self, clock: Clock):
        super().__init__(environment=SafeEnvironment(clock))
        #: Read by sedflow's timer events (definitions/timers.py): the case's "now".
        self.clock = clock

    def validate(self, expression: str) -> None:
        compile_expression(expression)
