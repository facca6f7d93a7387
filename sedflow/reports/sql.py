"""The SQL pieces reports are built from: which cases a filter selects, journal scope, quartiles, stages.

Reports aggregate in the database, never case by case. Everything dialect-specific (JSON fields,
timestamps, day numbers) is asked of the store's reporting queries, so the same SQL runs on SQLite
and PostgreSQL. Which cases count: a *client* is a case with an enrolment date (the profile's enrolment
milestone); the period and the enrolment-year filter apply to that date, or, for reports about every
referral, to the date the case started.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..definitions import ProcessDefinition
from ..store import Store


@dataclass(frozen=True)
class ReportFilter:
    """Which cases a report covers. Every part left out covers all."""

    period: tuple[date, date] | None = None    # enrolment date (referral date for referral reports)
    process_id: str | None = None
    definition_version: str | None = None
    coach: str | None = None                   # cases where this actor completed a task
    enrolment_year: int | None = None          # the year of the enrolment milestone
    fields: Mapping[str, str] = field(default_factory=dict)  # case-data field -> value, e.g. {"gender": "F"}


def _value_at(histogram: Sequence[tuple[float, int]], rank: int) -> float:
    """The value at 1-based ``rank`` of the sorted values a histogram ((value, count), ascending) counts."""
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    return histogram[-1][0]


def quote(text: str) -> str:
    """An SQL string literal (diagram text, not user input, but quoted all the same)."""
    return "'" + text.replace("'", "''") + "'"


def stage_map(definitions: Iterable[ProcessDefinition]) -> str:
    """A VALUES list (process id, element id, stage) from every definition given: stages live in the
    diagrams, and element ids are only unique within a process."""
    rows = sorted({(e.process_id, e.id, e.stage) for d in definitions for e in d.elements.values() if e.stage})
    if not rows:
        return "SELECT NULL, NULL, NULL WHERE 1 = 0"
    return "VALUES " + ", ".join(f"({quote(p)}, {quote(e)}, {quote(s)})" for p, e, s in rows)


class CaseSelection:
    """SQL selecting the cases a :class:`ReportFilter` covers, with the columns reports group by.

    ``columns`` are the programme's extra columns (name -> SQL over the case row ``c``), e.g. a
    ``result`` flag under the counting rule in force.
    """

    def __init__(self, store: Store, *, milestone: str, columns: Mapping[str, str] | None = None):
        self.store = store
        self.milestone = milestone
        self.columns = dict(columns or {})

    def field(self, name: str) -> str:
        """A case-data field of the case row ``c`` as text."""
        return self.store.json_text("c.data", name)

    def cases(self, where: ReportFilter, *, enrolled: bool = True) -> tuple[str, list[Any]]:
        """Cases matching the filter: ``case_id``, ``enrolled`` and ``referred`` (dates), ``status``,
        ``outcome``, ``end_reason`` and the programme's columns.

        ``enrolled``: clients only, the period applying to the enrolment date; otherwise every referral,
        the period applying to the referral date.
        """
        enrolment = f"substr({self.store.json_text('c.milestones', self.milestone)}, 1, 10)"
        conditions: list[str] = []
        args: list[Any] = []
        if enrolled:
            conditions.append(f"{enrolment} IS NOT NULL")
        if where.period:
            conditions.append(f"{enrolment if enrolled else 'substr(c.case_started, 1, 10)'} BETWEEN ? AND ?")
            args += [where.period[0].isoformat(), where.period[1].isoformat()]
        if where.enrolment_year:
            conditions.append(f"substr({enrolment}, 1, 4) = ?")
            args.append(str(where.enrolment_year))
        compared = [("c.process_id", where.process_id), ("c.definition_version", where.definition_version)]
        compared += [(self.field(name), value) for name, value in sorted(where.fields.items())]
        for column, value in compared:
            if value is not None:
                conditions.append(f"{column} = ?")
                args.append(value)
        if where.coach is not None:
            conditions.append("EXISTS (SELECT 1 FROM journal a WHERE a.case_id = c.case_id AND a.actor = ?)")
            args.append(where.coach)
        extra = "".join(f", {expr} AS {name}" for name, expr in self.columns.items())
        sql = (f"SELECT c.case_id, {enrolment} AS enrolled, substr(c.case_started, 1, 10) AS referred, c.status, "
               f"c.outcome, c.end_reason{extra} "
               f"FROM (SELECT cases.*, {self.store.ts_text('started_at')} AS case_started FROM cases) c")
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        return sql, args

    def scope(self, alias: str, where: ReportFilter, *, enrolled: bool = False) -> tuple[str, list[Any]]:
        """A condition limiting rows (``alias``: journal or open tasks) to the filter's cases; nothing
        when unfiltered."""
        if where == ReportFilter() and not enrolled:
            return "", []
        sql, args = self.cases(where, enrolled=enrolled)
        return f" AND {alias}.case_id IN (SELECT case_id FROM ({sql}) x)", args

    def sums_by(self, column: str, sql: str, args: Sequence[Any],
                measures: Sequence[tuple[str, str]]) -> dict[str, list[int]]:
        """{value of ``column`` or 'ALL': [sum of each measure]} over the selection ``sql``."""
        cols = ", ".join(f"sum({expr})" for _, expr in measures)
        totals: dict[str, list[int]] = {}
        for row in self.store.query(f"SELECT {column}, {cols} FROM ({sql}) x GROUP BY {column}", args):
            totals[row[0]] = [int(v or 0) for v in row[1:]]
        totals["ALL"] = [sum(v[i] for v in totals.values()) for i in range(len(measures))]
        return totals

    def quartiles(self, per_item_sql: str, args: Sequence[Any]) -> list[tuple[Any, int, float, float, float]]:
        """(name, n, median, q1, q3) in days by nearest rank, at the 0.1-day resolution the reports print.

        ``per_item_sql`` gives one row (name, days) per item. The database reduces the values to a
        histogram of 0.1-day bins (a grouping, not a sort of every value); the ranks are then read off
        the cumulative counts.
        """
        bins: dict[Any, list[tuple[float, int]]] = {}
        for name, tenth, count in self.store.query(
                f"SELECT name, round(days * 10), count(*) FROM ({per_item_sql}) p "
                f"WHERE days IS NOT NULL GROUP BY name, round(days * 10) ORDER BY 1, 2", args):
            bins.setdefault(name, []).append((float(tenth) / 10, int(count)))
        result = []
        for name, histogram in bins.items():
            n = sum(count for _, count in histogram)
            median, q1, q3 = (_value_at(histogram, rank) for rank in ((n + 1) // 2, (n + 3) // 4, (3 * n + 3) // 4))
            result.append((name, n, median, q1, q3))
        return result
