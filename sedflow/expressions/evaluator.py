"""A small, safe expression language for diagram conditions and timer values.

Diagram text is never handed to Python's ``eval``/``exec``: SpiffWorkflow's default engine does exactly
that, and restricting ``__builtins__`` does not stop ``().__class__.__base__.__subclasses__()``. Instead an
expression is parsed with :mod:`ast` (parsing runs no code), checked against a whitelist of node types,
and then *interpreted* here node by node. What the language has: task-data names, literals
(numbers, strings, booleans, None, lists/tuples/dicts), comparisons and membership, ``and``/``or``/
``not``, arithmetic (no power), subscripts, conditional expressions and a few whitelisted functions.
What it lacks on purpose: attribute access, comprehensions, lambdas, starred/keyword arguments and any
name starting with ``_`` — the ingredients of every known escape. Sizes are bounded so that an
expression cannot exhaust memory (``'a' * 10**9``).
"""

from __future__ import annotations

import ast
import operator
from calendar import monthrange
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from ..errors import ExpressionError
from .juel import to_python_syntax

MAX_SOURCE = 2000
MAX_NODES = 300
MAX_SEQUENCE = 100_000
MAX_INT_BITS = 256


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _days_between(start: Any, end: Any) -> int:
    return (_date(end) - _date(start)).days


def _add_days(value: Any, days: int) -> str:
    return (_date(value) + timedelta(days=int(days))).isoformat()


def _add_months(value: Any, months: int) -> str:
    """Calendar months; the day is clamped to the month's length (31 Jan + 1 month = 28/29 Feb)."""
    start = _date(value)
    index = start.year * 12 + start.month - 1 + int(months)
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, monthrange(year, month + 1)[1])).isoformat()


def _latest(*values: Any) -> str | None:
    """The latest of the given dates, ignoring empty ones (None when all are empty)."""
    dates = [_date(v) for v in values if v not in (None, "")]
    return max(dates).isoformat() if dates else None


def _monthly_after(start: Any, after: Any) -> str:
    """The first of ``start`` + 1, 2, 3 … calendar months that falls after ``after``: the next monthly date
    counted from ``start`` (a follow-up due monthly from the agreement date, however late the last one was)."""
    first, limit = _date(start), _date(after)
    months = max(1, (limit.year - first.year) * 12 + limit.month - first.month)
    while date.fromisoformat(_add_months(first, months)) <= limit:
        months += 1
    return _add_months(first, months)


#: Functions an expression may call. ``today`` is bound per evaluation to the engine clock.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len, "min": min, "max": max, "abs": abs, "round": round, "sum": sum,
    "any": any, "all": all, "int": int, "float": float, "str": str, "bool": bool,
    "date": _date, "days_between": _days_between, "add_days": _add_days, "add_months": _add_months,
    "latest": _latest, "monthly_after": _monthly_after,
}

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
_CMPOPS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp,
    ast.Compare, ast.IfExp, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set,
    ast.Subscript, ast.Call, *_BINOPS, *_CMPOPS,
)


@dataclass(frozen=True)
class Expression:
    """A checked expression, ready to evaluate any number of times."""

    source: str
    tree: ast.Expression
    names: frozenset[str]

    def evaluate(self, data: Mapping[str, Any], *, today: date | None = None) -> Any:
        try:
            return _Interpreter(data, today).visit(self.tree.body)
        except ExpressionError:
            raise
        except Exception as exc:  # arithmetic on wrong types, bad dates, ...
            raise ExpressionError(f"expression {self.source!r} failed: {type(exc).__name__}: {exc}") from None


def compile_expression(text: str) -> Expression:
    """Check ``text`` (Camunda ``${...}`` style or plain) and return it compiled; raise ExpressionError."""
    return _compile(text)


@lru_cache(maxsize=4096)
def _compile(text: str) -> Expression:
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be text, not {type(text).__name__}")
    if len(text) > MAX_SOURCE:
        raise ExpressionError(f"expression is longer than {MAX_SOURCE} characters")
    source = to_python_syntax(text)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"expression {text!r} is not valid: {exc.msg}") from None
    names: set[str] = set()
    count = 0
    for node in ast.walk(tree):
        count += 1
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(f"expression {text!r} uses {_describe(node)}, which is not allowed")
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise ExpressionError(f"expression {text!r} uses the name {node.id!r}; names may not start with '_'")
            names.add(node.id)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ExpressionError(f"expression {text!r} uses {_describe(node.func)}, which is not allowed")
            if node.func.id not in FUNCTIONS and node.func.id != "today":
                raise ExpressionError(f"expression {text!r} calls {node.func.id!r}, which is not an allowed function "
                                      f"(allowed: {', '.join(sorted([*FUNCTIONS, 'today']))})")
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise ExpressionError(f"expression {text!r}: functions take plain positional arguments only")
        elif isinstance(node, ast.Constant) and not isinstance(node.value, (str, int, float, bool, type(None))):
            raise ExpressionError(f"expression {text!r} has a constant of type {type(node.value).__name__}")
    if count > MAX_NODES:
        raise ExpressionError(f"expression {text!r} is too complex ({count} nodes, at most {MAX_NODES})")
    call_names = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return Expression(text, tree, frozenset(names - call_names))


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access", ast.Lambda: "a lambda", ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension", ast.DictComp: "a comprehension", ast.GeneratorExp: "a generator",
        ast.Pow: "the power operator", ast.NamedExpr: "an assignment expression", ast.Starred: "star-unpacking",
        ast.Await: "await", ast.Yield: "yield", ast.JoinedStr: "an f-string", ast.Slice: "a slice",
    }
    return kinds.get(type(node), type(node).__name__)


class _Interpreter:
    def __init__(self, data: Mapping[str, Any], today: date | None):
        self.data = data
        self.today = today

    def visit(self, node: ast.AST) -> Any:
        return getattr(self, "_" + type(node).__name__)(node)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        try:
            return self.data[node.id]
        except KeyError:
            raise ExpressionError(f"unknown name {node.id!r} (not in the case data)") from None

    def _List(self, node: ast.List) -> list[Any]:
        return [self.visit(e) for e in node.elts]

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.visit(e) for e in node.elts)

    def _Set(self, node: ast.Set) -> set[Any]:
        return {self.visit(e) for e in node.elts}

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        keys = [k for k in node.keys if k is not None]
        if len(keys) != len(node.keys):
            raise ExpressionError("dict unpacking is not allowed")
        return {self.visit(k): self.visit(v) for k, v in zip(keys, node.values, strict=True)}

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.visit(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return not value
        return -value if isinstance(node.op, ast.USub) else +value

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Mult):
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_SEQUENCE:
                    raise ExpressionError(f"result would exceed {MAX_SEQUENCE} items")
        result = _BINOPS[type(node.op)](left, right)
        if isinstance(result, (str, list, tuple)) and len(result) > MAX_SEQUENCE:
            raise ExpressionError(f"result would exceed {MAX_SEQUENCE} items")
        if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
            raise ExpressionError("integer result too large")
        return result

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def _Subscript(self, node: ast.Subscript) -> Any:
        container, key = self.visit(node.value), self.visit(node.slice)
        if not isinstance(container, (dict, list, tuple, str)):
            raise ExpressionError(f"cannot subscript a {type(container).__name__}")
        return container[key]

    def _Call(self, node: ast.Call) -> Any:
        name = node.func.id  # type: ignore[attr-defined]  # checked at compile time
        args = [self.visit(a) for a in node.args]
        if name == "today":
            if self.today is None:
                raise ExpressionError("today() is not available here")
            return self.today
        return FUNCTIONS[name](*args)
