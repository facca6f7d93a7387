"""Reading the command line: shared options as decorators, and the parameter types and parsers behind them.

Everything here turns what a person typed into what the library takes (a dict of form data, a
``timedelta``, a clock) or fails as a click usage error (exit 2) naming the parameter.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sedflow import TaskDataError, parse_json, printable

if TYPE_CHECKING:
    from sedflow import ManualClock

#: ``--json``: print the result as JSON (what ``to_dict()`` gives) instead of text.
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")

#: ``--actor``: who does this; recorded in the journal.
actor_option = click.option("--actor", help="Who does this (recorded in the journal).")

#: ``--set``/``--data``: form fields; read them with ``form_data(sets, data_file)``.
set_option = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Form field (repeatable).")
data_option = click.option("--data", "data_file", type=click.Path(exists=True, dir_okay=False, allow_dash=True),
                           help="JSON object of fields, from a file or '-' for standard input.")

#: ``--var NAME=JSON``: process variables no form declares (``sedflow.definitions.variables``); read them with
#: ``variables(pairs)``.
var_option = click.option("--var", "var_pairs", multiple=True, metavar="NAME=JSON",
                          help="Process variable no form declares; the value is JSON, else text (repeatable).")


def variables(pairs: tuple[str, ...]) -> dict[str, Any]:
    """Each ``--var name=value``: the value read as JSON (``3``, ``true``, ``[1, 2]``), else as text."""
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{pair}' is not name=value", param_hint="--var")
        result[key.strip()] = json_or_text(value)
    return result


def json_or_text(value: object) -> object:
    """Text typed on the command line read as JSON where it is (``3``, ``true``, ``[1, 2]``), else kept as text
    (JSON nested too deeply to read is an error, not text)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except RecursionError as exc:
        raise TaskDataError("a value is JSON nested too deeply to read", field="--var") from exc
    except ValueError:
        return value


def form_data(pairs: tuple[str, ...], data_file: str | None) -> dict[str, Any]:
    """The fields of ``--data FILE`` (a JSON object), then each ``--set key=value`` over them (as text:
    the form types them)."""
    data: dict[str, Any] = {}
    if data_file:
        try:
            text = (sys.stdin.buffer.read().decode("utf-8-sig") if data_file == "-"
                    else Path(data_file).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as exc:
            raise TaskDataError(f"--data {printable(data_file)}: cannot read it as UTF-8 text ({exc})",
                                field="--data") from exc
        loaded = parse_json(text, field=f"--data {printable(data_file)}")
        if not isinstance(loaded, dict):
            raise TaskDataError(f"--data {printable(data_file)}: the JSON must be an object of field: value, not "
                                f"{type(loaded).__name__}", field="--data")
        data.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{pair}' is not key=value", param_hint="--set")
        data[key.strip()] = value
    return data


def read_rows(path: str, encoding: str = "utf-8") -> list[dict[str, Any]]:
    """The rows of a ``.csv`` file (a header line) or of a JSON-lines file (one object a line), in ``encoding``
    (UTF-8 by default, with or without a byte-order mark; Swedish spreadsheets saved as "CSV" are often
    ``cp1252``). A file that is not in that encoding, or a line that is not a row, is a TaskDataError naming
    the file and line."""
    name = printable(path)
    codec = "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
    try:
        text = Path(path).read_bytes().decode(codec)
    except LookupError as exc:
        raise click.BadParameter(f"unknown encoding '{encoding}'", param_hint="--encoding") from exc
    except UnicodeDecodeError as exc:
        at = Path(path).read_bytes()[:exc.start].count(b"\n") + 1
        raise TaskDataError(f"{name} line {at}: not {encoding} text (byte 0x{exc.object[exc.start]:02x}); save it "
                            "as UTF-8 (\"CSV UTF-8\" in Excel) or name its encoding, e.g. --encoding cp1252",
                            field="FILE") from exc
    if path.endswith(".csv"):
        try:
            return list(csv.DictReader(text.splitlines()))
        except csv.Error as exc:
            raise TaskDataError(f"{name}: not a CSV file ({exc})", field="FILE") from exc
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        row = parse_json(line, field=f"{name} line {number}")
        if not isinstance(row, dict):
            raise TaskDataError(f"{name} line {number}: not a JSON object", field="FILE")
        rows.append(row)
    return rows


_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_duration(ctx: click.Context, param: click.Parameter, value: str) -> timedelta:
    """A span such as ``14d``, ``2w``, ``12h``, ``30m``, or an ISO 8601 duration such as ``P14D``/``P1M``
    (an option callback: ``--within``)."""
    text = value.strip()
    if text[:-1].isdigit() and text[-1:].lower() in _UNITS:
        return timedelta(**{_UNITS[text[-1].lower()]: int(text[:-1])})
    if text.upper().startswith("P"):
        from sedflow import add_duration
        start = datetime.now(UTC)
        try:
            return add_duration(start, text.upper()) - start
        except ValueError as exc:
            raise click.BadParameter(f"'{text}' is not a duration like 14d, 2w, 12h or P14D") from exc
    raise click.BadParameter(f"'{text}' is not a duration like 14d, 2w, 12h or P14D")


def parse_now(ctx: click.Context, param: click.Parameter, value: str | None) -> ManualClock | None:
    """A clock stopped at an ISO 8601 date/time, or ``None`` for the system clock (an option callback: ``--now``)."""
    if value is None:
        return None
    from sedflow import ManualClock
    try:
        return ManualClock(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' is not an ISO 8601 date/time") from exc


#: ``--now``: act as if it were this time; the command gets a clock (``None``: the system clock).
now_option = click.option("--now", "clock", callback=parse_now, metavar="DATETIME",
                          help="Act as if it were this ISO 8601 time (default: the system clock).")
