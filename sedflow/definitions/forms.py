"""Task forms as the diagrams declare them (``camunda:formData``), and validation of submitted data.

SpiffWorkflow's Camunda parser only reads a form when the task also has a ``camunda:formKey``, and
keeps no constraint semantics, so sedflow reads the form XML itself (:func:`read_form`). The form is
the schema of what a step records: completing a task with data that does not fit it is refused before
anything is written. A programme's :class:`~sedflow.profile.DomainRules` add to the generic checks: the
words its staff type for yes and no, and the direct identifiers its data must never hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..bpmn.xml import NS
from ..errors import DefinitionError, TaskDataError
from ..text import clean_text

if TYPE_CHECKING:
    from ..profile import DomainRules

FIELD_TYPES = ("string", "long", "boolean", "date", "enum")

#: A whole number a form takes: what the store and JSON keep exactly (64 bits).
_LONG_LIMIT = 2 ** 63

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


@dataclass(frozen=True)
class FormField:
    """One ``camunda:formField``: what a step records under ``id``, and what a value must be to fit."""

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

    def coerce(self, value: Any, element: str, rules: DomainRules | None = None) -> Any:
        """Return ``value`` converted to this field's type, or raise TaskDataError naming the field.

        ``rules`` (a programme's) add words for true and false, and identifiers a text must not hold.
        """
        def fail(why: str) -> TaskDataError:
            return TaskDataError(f"task '{element}', field '{self.id}' ({self.label}): {why}",
                                 field=self.id, element=element)

        if self.type == "boolean":
            if isinstance(value, bool):
                return value
            true_words = _TRUE | (rules.true_words if rules else frozenset())
            false_words = _FALSE | (rules.false_words if rules else frozenset())
            if isinstance(value, str) and value.strip().lower() in true_words | false_words:
                return value.strip().lower() in true_words
            raise fail(f"expected true or false, got {_shown(value)}")
        if self.type == "long":
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise fail(f"expected a whole number, got {_shown(value)}")
            if isinstance(value, str) and len(value) > 40:  # Python refuses to read over 4,300 digits
                raise fail(f"expected a whole number of at most 19 digits, got {len(value)} characters")
            try:
                number = int(value)
            except ValueError as exc:
                raise fail(f"expected a whole number, got {_shown(value)}") from exc
            if not -_LONG_LIMIT < number < _LONG_LIMIT:
                raise fail("a whole number outside 64 bits")
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
            if not isinstance(value, str):
                raise fail(f"expected a date as YYYY-MM-DD, got {_shown(value)}")
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError as exc:
                raise fail(f"expected a date as YYYY-MM-DD, got {_shown(value)}") from exc
        if self.type == "enum":
            codes = [code for code, _ in self.options]
            if not isinstance(value, str) or value not in codes:
                raise fail(f"{_shown(value)} is not one of {', '.join(codes)}")
            return value
        low, high = self.constraints.get("minlength"), self.constraints.get("maxlength")
        text = clean_text(value, field=self.id, element=element, limit=None if high is None else int(high),
                          prose=True, identifier_in=rules.identifier_in if rules is not None else None)
        if low is not None and len(text) < int(low):
            raise fail(f"shorter than {low} characters")
        return text


def _shown(value: Any) -> str:
    """A submitted value as an error message shows it: its repr (control characters escaped), cut short; a
    number too long to print in full (Python refuses over 4,300 digits) by its size."""
    if isinstance(value, int) and value.bit_length() > 256:
        return f"a number of {value.bit_length()} bits"
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


@dataclass(frozen=True)
class Form:
    """A task's or start event's form: the schema of the data that step records."""

    fields: tuple[FormField, ...]

    def field(self, field_id: str) -> FormField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def validate(self, data: Mapping[str, Any], *, element: str, rules: DomainRules | None = None) -> dict[str, Any]:
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
                    result[f.id] = f.coerce(f.default, element, rules)
                continue
            if f.readonly:
                raise TaskDataError(f"task '{element}', field '{f.id}' ({f.label}) is read-only",
                                    field=f.id, element=element)
            result[f.id] = f.coerce(value, element, rules)
        return result


#: What a form field id must be: a name an expression can read.
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def read_form(el: etree._Element, element_id: str, file: str,
              rules: DomainRules | None = None) -> tuple[Form | None, list[DefinitionError]]:
    """The element's ``camunda:formData`` as a Form (None if it has none), and every problem in it
    (defaults are checked as the programme's ``rules`` will read them)."""
    xml_fields = el.findall("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
    if not xml_fields:
        return None, []
    problems: list[DefinitionError] = []
    fields: list[FormField] = []
    seen: set[str] = set()
    for xf in xml_fields:
        fid, ftype = xf.get("id") or "", xf.get("type") or "string"

        def problem(message: str, line: int = xf.sourceline) -> DefinitionError:
            return DefinitionError(message, file=file, element=element_id, line=line)

        if not _IDENT.match(fid) or fid in seen:
            problems.append(problem(f"form field id '{fid}' must be a unique identifier (letters, digits, _)"))
        if ftype not in FIELD_TYPES:
            problems.append(problem(f"form field '{fid}' has type '{ftype}'; sedflow supports "
                                    f"{', '.join(FIELD_TYPES)}"))
        seen.add(fid)
        constraints = {c.get("name"): c.get("config") for c in xf.iterfind("camunda:validation/camunda:constraint", NS)}
        options = tuple((v.get("id"), v.get("name") or v.get("id")) for v in xf.iterfind("camunda:value", NS))
        if ftype == "enum" and not options:
            problems.append(problem(f"enum form field '{fid}' lists no values"))
        form_field = FormField(id=fid, label=xf.get("label") or fid, type=ftype, required="required" in constraints,
                               options=options, default=xf.get("defaultValue"), constraints=constraints)
        if form_field.default is not None and ftype in FIELD_TYPES:
            problems.extend(problem(why) for why in _default_problems(form_field, element_id, rules))
        fields.append(form_field)
    return Form(tuple(fields)), problems


def _default_problems(field: FormField, element_id: str, rules: DomainRules | None) -> list[str]:
    """A ``defaultValue`` must be a value of its field's type, checked when the diagram loads (it is used
    whenever the field is left empty). Camunda's ``${...}`` defaults are not evaluated yet: refused."""
    default = field.default or ""
    if "${" in default or "#{" in default:
        return [f"form field '{field.id}' has the expression default {default!r}; sedflow takes literal defaults "
                "only (set the value in a gateway condition or leave the default out)"]
    try:
        field.coerce(default, element_id, rules)
    except TaskDataError as exc:
        return [f"form field '{field.id}' has the default {default!r}, which does not fit it: {exc}"]
    return []
