"""Task forms as the diagrams declare them (``camunda:formData``), and validation of submitted data.

SpiffWorkflow's Camunda parser only reads a form when the task also has a ``camunda:formKey``, and
keeps no constraint semantics, so sedflow reads the form XML itself. The form is the schema of what a
step records: completing a task with data that does not fit it is refused before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..errors import TaskDataError

FIELD_TYPES = ("string", "long", "boolean", "date", "enum")

#: Swedish personal identity numbers (personnummer / samordningsnummer), with or without century/dash.
PERSONAL_NUMBER = re.compile(r"(?<!\d)(?:19|20)?\d{2}[01]\d[0-9]\d[-+]?\d{4}(?!\d)")

_TRUE = {"true", "yes", "ja", "1", "y", "j"}
_FALSE = {"false", "no", "nej", "0", "n"}


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    type: str
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()  # enum values: (code, label)
    default: str | None = None
    constraints: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def readonly(self) -> bool:
        return "readonly" in self.constraints

    def to_dict(self) -> dict[str, Any]:
        """The field as a program reads it (``case tasks --json``, ``processes show --json``)."""
        return {"id": self.id, "label": self.label, "type": self.type, "required": self.required,
                "options": [{"id": code, "label": label} for code, label in self.options] or None,
                "constraints": dict(self.constraints), "default": self.default}

    def describe(self) -> str:
        """One line for prompts and ``case tasks``: label, type, choices, required."""
        kind = self.type
        if self.options:
            kind += ": " + ", ".join(code for code, _ in self.options)
        return f"{self.label} ({kind}{', required' if self.required else ''})"

    def coerce(self, value: Any, element: str) -> Any:
        """Return ``value`` converted to this field's type, or raise TaskDataError naming the field."""
        def fail(why: str) -> TaskDataError:
            return TaskDataError(f"task '{element}', field '{self.id}' ({self.label}): {why}",
                                 field=self.id, element=element)

        if self.type == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            raise fail(f"expected true or false, got {value!r}")
        if self.type == "long":
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise fail(f"expected a whole number, got {value!r}")
            try:
                number = int(value)
            except ValueError:
                raise fail(f"expected a whole number, got {value!r}") from None
            low, high = self.constraints.get("min"), self.constraints.get("max")
            if low is not None and number < int(low):
                raise fail(f"{number} is below the minimum {low}")
            if high is not None and number > int(high):
                raise fail(f"{number} is above the maximum {high}")
            return number
        if self.type == "date":
            if isinstance(value, datetime):
                value = value.date()
            if isinstance(value, date):
                return value.isoformat()
            try:
                return date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise fail(f"expected a date as YYYY-MM-DD, got {value!r}") from None
        if self.type == "enum":
            codes = [code for code, _ in self.options]
            if value not in codes:
                raise fail(f"{value!r} is not one of {', '.join(codes)}")
            return value
        if not isinstance(value, str):
            raise fail(f"expected text, got {type(value).__name__}")
        if PERSONAL_NUMBER.search(value):
            raise fail("looks like a personal identity number; sedflow keeps pseudonymous data only")
        low, high = self.constraints.get("minlength"), self.constraints.get("maxlength")
        if low is not None and len(value) < int(low):
            raise fail(f"shorter than {low} characters")
        if high is not None and len(value) > int(high):
            raise fail(f"longer than {high} characters")
        return value


@dataclass(frozen=True)
class Form:
    fields: tuple[FormField, ...]

    def field(self, field_id: str) -> FormField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def validate(self, data: Mapping[str, Any], *, element: str, rules: Any = None) -> dict[str, Any]:
        """Check submitted data and return the fields given (and declared defaults), typed."""
        known = {f.id for f in self.fields}
        for key in data:
            if key not in known:
                raise TaskDataError(
                    f"task '{element}': unknown field '{key}' "
                    f"(the form has: {', '.join(sorted(known)) or 'no fields'})",
                    field=key, element=element)
        result: dict[str, Any] = {}
        for f in self.fields:
            value = data.get(f.id)
            if value is None or value == "":
                if f.required:
                    raise TaskDataError(f"task '{element}', field '{f.id}' ({f.label}) is required",
                                        field=f.id, element=element)
                if f.default is not None:
                    result[f.id] = f.coerce(f.default, element)
                continue
            if f.readonly:
                raise TaskDataError(f"task '{element}', field '{f.id}' ({f.label}) is read-only",
                                    field=f.id, element=element)
            result[f.id] = f.coerce(value, element)
        return result
