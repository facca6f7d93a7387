"""The safe expression language used for every expression found in a diagram."""

from .evaluator import FUNCTIONS, Expression, compile_expression

__all__ = ["FUNCTIONS", "Expression", "compile_expression"]
