"""Asking a person for a form in a terminal (``case start``, ``case complete`` without data).

Each field is asked with its label and id and what it takes, said before the first mistake: a date as
YYYY-MM-DD, ja/nej for yes and no, a numbered list for choices (the number, the code or the Swedish
label all answer it), a range for numbers; ``*`` marks a required field, and an empty answer to one is
asked again. The answers are shown together and written only when the person confirms. Ctrl-C leaves
with exit code 130 (the shell's "interrupted"), and nothing is written.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sedflow import DomainRules, Form, FormField


def ask_form(form: Form, element: str, rules: DomainRules, *, title: str) -> dict[str, Any]:
    """The answers to every field that can be written, typed by the field's rules, once confirmed
    (``click.Abort`` when the person declines: exit 1, nothing written)."""
    from sedflow import TaskDataError
    fields = [f for f in form.fields if not f.readonly]
    with _interrupt_exits_130():
        click.echo(title)
        if any(f.required for f in fields):
            click.echo("  (* required; Enter skips the others)")
        data: dict[str, Any] = {}
        for f in fields:
            click.echo(f"{'*' if f.required else ' '} {f.label} [{f.id}]: {_what(f)}")
            for n, (code, label) in enumerate(f.options, 1):
                click.echo(f"      {n}) {label} ({code})")
            while True:
                raw = click.prompt("   ", default="", show_default=False).strip()
                if raw == "":
                    if not f.required:
                        break
                    click.echo(f"    '{f.id}' is required: enter a value", err=True)
                    continue
                try:
                    data[f.id] = f.coerce(_choice(f, raw), element, rules)
                    break
                except TaskDataError as exc:
                    click.echo(f"    {exc}", err=True)
        click.echo("To be recorded:")
        for f in fields:
            if f.id in data:
                click.echo(f"  {f.label} [{f.id}] = {_shown(f, data[f.id])}")
        if not data:
            click.echo("  (nothing)")
        click.confirm("Record this?", default=True, abort=True)
    return data


def _what(f: FormField) -> str:
    """What a field takes, in words, before anything is typed."""
    if f.type == "date":
        return "a date, YYYY-MM-DD"
    if f.type == "boolean":
        return "ja or nej (yes/no)"
    if f.type == "enum":
        return "the number, the code or the label of one of"
    if f.type == "long":
        low, high = f.constraints.get("min"), f.constraints.get("max")
        span = f" from {low}" if low is not None else ""
        span += f" to {high}" if high is not None else ""
        return f"a whole number{span}"
    high = f.constraints.get("maxlength")
    return f"text{f', at most {high} characters' if high is not None else ''}"


def _choice(f: FormField, raw: str) -> str:
    """An enum answer as its code: a list number, a code, or a label (case and accents as the label has
    them, case-insensitive); anything else is left for the field's check to refuse."""
    if not f.options:
        return raw
    if raw.isdigit() and 1 <= int(raw) <= len(f.options):
        return f.options[int(raw) - 1][0]
    for code, label in f.options:
        if raw.casefold() in (code.casefold(), label.casefold()):
            return code
    return raw


def _shown(f: FormField, value: Any) -> str:
    if f.type == "boolean":
        return "ja" if value else "nej"
    label = dict(f.options).get(value) if f.options else None
    return f"{label} ({value})" if label else str(value)


@contextmanager
def _interrupt_exits_130() -> Iterator[None]:
    """While asking: Ctrl-C ends the command with 130, not click's "Aborted!" and 1."""
    def interrupted(signum: int, frame: FrameType | None) -> None:
        click.echo("\ninterrupted: nothing was written", err=True)
        raise SystemExit(130)
    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
