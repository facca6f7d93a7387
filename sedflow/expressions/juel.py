"""Read diagrams the way Camunda Modeler users write them.

Camunda 7 expressions are JUEL: ``${eligible}``, ``${age < 30 && !declined}``, ``${x eq 'A'}``; timer
fields hold bare ISO 8601 text such as ``P90D`` or ``R/P1M``, or a cron expression (``0 0 9 * * ?``).
This module rewrites such text into the Python-shaped syntax of :mod:`sedflow.expressions.evaluator` — a
purely lexical translation, after which the safe evaluator's whitelist applies as usual, so nothing outside
the safe language gets through.
"""

from __future__ import annotations

import re

# ISO 8601 durations (P90D, PT10H, P1Y2M), repeating intervals (R/P1M, R3/PT10H, R/2026-01-01T00:00:00Z/P1D)
# and date/date-times (2026-01-31, 2026-01-31T09:00:00Z).
_DURATION = r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
_DATETIME = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
ISO_LITERAL = re.compile(
    rf"^(?:{_DURATION}|{_DATETIME}|R\d*/(?:(?:{_DATETIME})/)?{_DURATION}(?:/(?:{_DATETIME}))?)$"
)

_CRON_FIELD = r"(?:[0-9*?/,#LW-]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|MON|TUE|WED|THU|FRI|SAT|SUN)+"
#: A Quartz cron expression, as Camunda 7 takes it in ``timeCycle``: six fields (seconds first), or seven
#: with a year. No Python expression looks like one, so it is read as text.
CRON_LITERAL = re.compile(rf"^{_CRON_FIELD}(?:\s+{_CRON_FIELD}){{5,6}}$", re.IGNORECASE)

_WORDS = {"true": "True", "false": "False", "null": "None", "eq": "==", "ne": "!=", "lt": "<",
          "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%"}
_TOKEN = re.compile(r"""(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<op>&&|\|\||!=|!)|(?P<word>[A-Za-z_]\w*)""")


def to_python_syntax(text: str) -> str:
    """Unwrap ``${...}``/``#{...}``, map JUEL operators and words, quote bare ISO 8601 literals."""
    body = text.strip()
    if len(body) >= 3 and body[0] in "$#" and body[1] == "{" and body.endswith("}"):
        body = body[2:-1].strip()
    if ISO_LITERAL.match(body) or CRON_LITERAL.match(body):
        return repr(body)
    return _TOKEN.sub(_rewrite, body)


def _rewrite(match: re.Match[str]) -> str:
    if match.group("str") is not None:
        return match.group("str")
    op = match.group("op")
    if op is not None:
        return {"&&": " and ", "||": " or ", "!=": "!=", "!": " not "}[op]
    word = match.group("word")
    return _WORDS.get(word, word)
