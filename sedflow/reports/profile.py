"""What a programme adds to the generic reports: counting rules, its own reports, filters, export fields.

The generic catalogue (:class:`~sedflow.reports.catalogue.Reports`) knows cases, milestones, stages,
lanes and the journal. Which outcome counts as a result, which case-data fields a manager cuts the
figures by, which reports a funder asks for and which fields are personal in an export are the
programme's: a :class:`ReportProfile`, reached through ``Profile.reports``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .table import Code

if TYPE_CHECKING:
    from .catalogue import Reports
    from .sql import ReportFilter
    from .table import Table

#: A programme's report: computed from the catalogue's SQL pieces for one filter.
ReportFunction = Callable[["Reports", "ReportFilter"], "Table"]
#: SQL for a case-data field (``c.data``) in the store's dialect, as :meth:`CaseSelection.field` gives it.
FieldSQL = Callable[[str], str]


@dataclass(frozen=True)
class CountingRule:
    """What a programme counts as a result, and how it publishes it (SPEC §5.1)."""

    name: str
    #: Case-data field -> the only values with which a case counts as a result (Gävle: only permanent
    #: employment counts as work); a field not named here does not limit the count.
    only: Mapping[str, frozenset[str]] = field(default_factory=dict)
    target_percent: float | None = None              # the funder's target for the result share
    decimals: int = 1                                # how percentages are printed by the programme
    planned_intake: tuple[tuple[int, int], ...] = ()  # (year, planned) for intake-per-year


@dataclass(frozen=True)
class FilterField:
    """A case-data field reports can be cut by (the CLI offers it as ``--<name>``)."""

    name: str                               # option name, e.g. "referral_source" -> --referral-source
    field: str                              # the case-data field compared
    choices: tuple[str, ...] | None = None  # the codes allowed, or None for free text
    help: str = ""


@dataclass(frozen=True)
class Caseload:
    """How the caseload report counts: the lane whose actors carry cases, and its wording."""

    lane: str | None = None                 # None: actors of every lane
    title: str = "Aktiva ärenden per handläggare och månad"
    actor_label: str = "Handläggare"
    notes: tuple[str, ...] = ("Ett ärende räknas för en handläggare en månad då hen gjorde en uppgift i det.",)


@dataclass(frozen=True)
class Placement:
    """A task-data field that starts a placement (an OCEL ``placement`` object)."""

    placement_type: str
    end_field: str                          # the field that records its end
    spans: bool = False                     # spans the rest of the (sub)process its starting task belongs to


@dataclass(frozen=True)
class ExportFields:
    """Which case and task data the event-log exports may carry."""

    #: Case-data fields about the person, exported only with ``include_personal=True``.
    personal: tuple[str, ...] = ()
    #: Of those, the ones that describe the person rather than one case (OCEL puts them on the participant).
    participant: tuple[str, ...] = ()
    #: OCEL object type -> task-data fields whose value identifies such an object (e.g. an employer).
    objects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Task-data field that starts a placement -> what kind of placement and how it ends.
    placements: Mapping[str, Placement] = field(default_factory=dict)


@dataclass(frozen=True)
class Chart:
    """The chart the HTML report draws beside a report's table."""

    kind: Literal["bar", "funnel", "duration"] = "bar"
    value_columns: tuple[str, ...] | None = None   # a bar chart's bars (None: every numeric column)


def _no_columns(field_sql: FieldSQL, rule: CountingRule) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class ReportProfile:
    """A programme's part of the reports. ``ReportProfile()`` is the generic catalogue alone."""

    rules: Mapping[str, CountingRule] = field(default_factory=lambda: {"default": CountingRule("default")})
    default_rule: str = "default"
    #: The milestone that makes a case a *client* (its date is the enrolment date periods apply to).
    enrolment_milestone: str = "enrolled"
    #: Stages in the order the funnel and stage durations list them (others follow, alphabetically).
    stage_order: tuple[str, ...] = ()
    caseload: Caseload = field(default_factory=Caseload)
    filters: tuple[FilterField, ...] = ()
    #: Extra columns of the case selection (name -> SQL over ``c``) under a counting rule; a ``result``
    #: column (1 when the case closed with a result the rule counts) adds the funnel's last row.
    columns: Callable[[FieldSQL, CountingRule], Mapping[str, str]] = _no_columns
    result_label: str = "Avslutade med resultat"
    reports: Mapping[str, ReportFunction] = field(default_factory=dict)
    #: Charts of the programme's reports in the HTML report (the funnel and stage durations always have one).
    charts: Mapping[str, Chart] = field(default_factory=dict)
    #: The catalogue's order, the programme's reports and the generic ones together (unnamed ones follow).
    order: tuple[str, ...] = ()
    export: ExportFields = field(default_factory=ExportFields)
    #: Case-data fields the programme's reports read beyond its filters and counting rules: with those, what
    #: a case keeps of its data when its personal data is purged or erased (:meth:`kept_fields`).
    retained: tuple[str, ...] = ()
    #: vocabulary ("stage", "outcome", ...) -> code -> the label a reader sees.
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def code(self, vocabulary: str, code: str | None, prefix: str = "") -> Code | str:
        """``code`` of ``vocabulary`` as a cell: its label (after ``prefix``) with the code beside it; a code
        the vocabulary lacks keeps itself as its label, and no code is "–"."""
        if code is None:
            return "–"
        return Code(code, prefix + self.labels.get(vocabulary, {}).get(code, code))

    def kept_fields(self) -> frozenset[str]:
        """The case-data fields a purged or erased case keeps, so that every report counts it as before: the
        filters', the counting rules' and :attr:`retained`. Every other field is personal data to remove."""
        return frozenset(self.retained) | {f.field for f in self.filters} | {
            name for rule in self.rules.values() for name in rule.only}

    def rule(self, name: str | None) -> CountingRule | None:
        """The counting rule called ``name`` (None: the default), or None when there is no such rule."""
        return self.rules.get(self.default_rule if name is None else name)


#: The generic catalogue: no programme reports, every outcome counted alike, no personal export fields.
GENERIC_REPORTS = ReportProfile()
