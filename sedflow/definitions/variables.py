"""Process variables no form declares: how a diagram without forms gets its data.

Camunda 7 diagrams rarely carry forms: their callers start instances and complete tasks with
variables (``startProcessInstanceByKey("p", variables)``). sedflow takes such data through a channel
of its own, ``variables=`` beside a form's ``data=``, so that form data stays typed by its form and
nothing undeclared slips in unnoticed. The rule:

- a name is an identifier (a letter, then letters, digits or ``_``; at most 64), not one of the
  expression language's functions and not a field of the element's form (those go through ``data=``,
  typed by the form);
- a value is JSON: text (valid Unicode without control characters but line breaks and tabs), a number,
  true/false, null, or lists and objects of those (at most five levels deep, 64 KiB in all) -- lists are
  what a multi-instance activity's collection reads;
- variables are journaled with the step exactly like form data, and they become task data the
  diagram's expressions read.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import TaskDataError
from ..expressions import FUNCTIONS
from ..text import text_problem

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_RESERVED = frozenset({*FUNCTIONS, "today", "true", "false", "null", "empty", "and", "or", "not", "eq", "ne", "lt",
                       "gt", "le", "ge", "div", "mod", "True", "False", "None"})
MAX_BYTES = 64 * 1024
MAX_DEPTH = 5


def check_variables(variables: Mapping[str, Any], *, element: str, fields: Iterable[str] = ()) -> dict[str, Any]:
    """The variables as plain JSON values, or a TaskDataError naming the first one that breaks the rule above."""
    declared = set(fields)
    for name, value in variables.items():
        if not isinstance(name, str) or not _NAME.match(name) or name in _RESERVED:
            raise TaskDataError(f"variable name {name!r} must be an identifier (a letter, then letters, digits or _) "
                                "and not a word of the expression language", field=str(name), element=element)
        if name in declared:
            raise TaskDataError(f"'{name}' is a field of the form of '{element}': give it as form data, which the "
                                "form types", field=name, element=element)
        problem = _json_problem(value, 0)
        if problem:
            raise TaskDataError(f"variable '{name}': {problem}", field=name, element=element)
    text = json.dumps(dict(variables), ensure_ascii=False)
    if len(text.encode()) > MAX_BYTES:
        raise TaskDataError(f"variables take {len(text.encode())} bytes; at most {MAX_BYTES} are accepted (keep "
                            "documents out of case data)", field=next(iter(variables)), element=element)
    copy: dict[str, Any] = json.loads(text)  # plain JSON values: lists for tuples, no shared objects
    return copy


def _json_problem(value: Any, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, str):
        return text_problem(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if abs(value) < 2 ** 63 else "an integer outside 64 bits"
    if isinstance(value, float):
        return None if math.isfinite(value) else "not a finite number"
    if isinstance(value, (list, tuple)):
        return next((p for p in (_json_problem(v, depth + 1) for v in value) if p), None)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            return "an object whose keys are not all text"
        key = next((p for p in map(text_problem, value) if p), None)
        if key:
            return f"a key {key}"
        return next((p for p in (_json_problem(v, depth + 1) for v in value.values()) if p), None)
    return f"a value of type {type(value).__name__!r}, which is not JSON (text, number, true/false, null, list, object)"


__all__ = ["MAX_BYTES", "MAX_DEPTH", "check_variables"]
