"""The one check every stored text goes through, and the one way text is made safe to print.

Whatever a person or a program hands sedflow to keep -- a form field's text, an actor, a reason, a case
id, a participant key -- is written to a store that other people read in a terminal, a spreadsheet or
a report. So before it is stored it is normalised (Unicode NFC, line breaks as ``\\n``) and checked:
valid Unicode (no lone surrogates, as a non-UTF-8 command line decodes to), no control characters (NUL,
terminal escape sequences, C1 controls; form text may hold line breaks and tabs), no bidirectional
overrides that make a text display as something else, at most the field's limit and never more than
:data:`MAX_TEXT` characters, and no direct identifier the programme refuses. A failed check is a
``TaskDataError`` naming the field, and nothing is written.

:func:`printable` is the other direction: any text sedflow echoes (an error naming a value it refused,
data stored before these checks) has its control characters shown as escapes, never sent raw.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from .errors import TaskDataError

#: The store-wide limit on one stored text, in characters (a form's ``maxlength`` may only lower it).
MAX_TEXT = 4000

#: Control characters (C0, DEL, C1), and the bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: The same, less the line break and tab a multi-line form text may hold.
_UNSAFE_IN_PROSE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Dashes a word processor puts where a hyphen was typed.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"))
#: What :func:`printable` escapes: the unsafe characters and lone surrogates.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(value: str, *, field: str, element: str | None = None, limit: int | None = None,
               prose: bool = False, identifier_in: Callable[[str], bool] | None = None) -> str:
    """``value`` normalised, or a TaskDataError naming ``field`` (and ``element``) saying what is wrong.

    ``limit`` lowers :data:`MAX_TEXT`; ``prose`` lets line breaks and tabs through (form text);
    ``identifier_in`` is the programme's check for direct identifiers, run on the text with its dashes
    made hyphens (so a personal identity number pasted with an en dash is caught too).
    """
    where = f"'{element}', field '{field}'" if element else f"'{field}'"

    def fail(why: str) -> TaskDataError:
        return TaskDataError(f"{where}: {why}; nothing was written", field=field, element=element)

    if not isinstance(value, str):
        raise fail(f"expected text, got {type(value).__name__}")
    problem = text_problem(value, prose=prose)
    if problem:
        raise fail(problem)
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    most = MAX_TEXT if limit is None else min(limit, MAX_TEXT)
    if len(text) > most:
        raise fail(f"{len(text)} characters; at most {most} are accepted")
    if identifier_in is not None and (identifier_in(text) or identifier_in(text.translate(_DASHES))):
        raise fail("looks like a direct identifier (e.g. a personal identity number); sedflow keeps pseudonymous "
                   "data only")
    return text


def text_problem(text: str, *, prose: bool = True) -> str | None:
    """Why ``text`` cannot be stored as it is (None: it can): not valid Unicode, or a control character."""
    surrogate = re.search(r"[\ud800-\udfff]", text)
    if surrogate:
        return (f"not valid Unicode text (a lone surrogate at character {surrogate.start() + 1}: the input was not "
                "UTF-8)")
    bad = (_UNSAFE_IN_PROSE if prose else _UNSAFE).search(text.replace("\r\n", "\n"))
    if bad:
        return (f"holds the control character U+{ord(bad.group()):04X} at character {bad.start() + 1} "
                "(control characters, escape sequences and NUL are not stored)")
    return None


def clean_optional(value: str | None, *, field: str, identifier_in: Callable[[str], bool] | None = None) -> str | None:
    """:func:`clean_text` for an optional one-line text (an actor): None stays None."""
    return None if value is None else clean_text(value, field=field, identifier_in=identifier_in)


def printable(text: str) -> str:
    """``text`` safe to write to a terminal: control characters and lone surrogates as ``\\xNN``/``\\uNNNN``."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)


def parse_json(text: str, *, field: str) -> Any:
    """JSON read from text a person or program supplied, or a TaskDataError naming ``field`` (malformed,
    nested too deep for the parser, or a number too long to read)."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise TaskDataError(f"'{field}': JSON nested too deeply to read", field=field) from exc
    except ValueError as exc:
        raise TaskDataError(f"'{field}': not JSON ({printable(str(exc))[:200]})", field=field) from exc


__all__ = ["MAX_TEXT", "clean_optional", "clean_text", "parse_json", "printable", "text_problem"]
