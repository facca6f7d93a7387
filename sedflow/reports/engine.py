"""Reports computed in the store: SQL aggregation over case rows and the journal, never case by case.

Which cases count: a *client* is a case with an enrolment date (the ``enrolled`` milestone, set when
the agreement is signed); the period and the enrolment-year filter apply to that date. Outcomes are the
outcome recorded when a case closed, so a person who went from studies to a job is counted once, by
the outcome at closure. Whether an employment counts as work is the programme's counting rule
(Nätkraft: any employment; Gävle: only permanent, *tillsvidare*, employment). Gender X is counted in
totals and never shown as its own column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..definitions import ProcessDefinition
from ..errors import SedflowError
from ..store.sql import SQLStore
from .privacy import suppress
from .table import Table

GENDERS = (("F", "Kvinnor"), ("M", "Män"))
STAGE_ORDER = ("referral", "agreement", "vocational_profile", "supported_training", "job_search",
               "employer_engagement", "support", "followup", "closure")


@dataclass(frozen=True)
class CountingRule:
    """What a programme counts as a result (SPEC §5.1)."""

    name: str
    employment_types: frozenset[str] | None = None   # None: every employment counts as work
    target_percent: float | None = None              # the funder's target for work or studies
    decimals: int = 1                                # how percentages are printed by the programme
    planned_intake: tuple[tuple[int, int], ...] = ()  # (year, planned) for intake-per-year


RULES = {
    "natkraft": CountingRule("natkraft", None, target_percent=35.0, decimals=1),
    "gavle": CountingRule("gavle", frozenset({"PERMANENT"}), target_percent=40.0, decimals=0,
                          planned_intake=((2017, 9), (2018, 25), (2019, 16))),
}


@dataclass(frozen=True)
class ReportFilter:
    period: tuple[date, date] | None = None    # enrolment date (referral date for referral reports)
    process_id: str | None = None
    definition_version: str | None = None
    gender: str | None = None
    referral_source: str | None = None
    enrolment_year: int | None = None
    coach: str | None = None                   # cases where this actor completed a task


class ReportError(SedflowError):
    exit_code = 2


def _value_at(histogram: Sequence[tuple[float, int]], rank: int) -> float:
    """The value at 1-based ``rank`` of the sorted values a histogram ((value, count), ascending) counts."""
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    return histogram[-1][0]


def percent(numerator: int, denominator: int, decimals: int) -> float | None:
    if not denominator:
        return None
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


class Reports:
    """The report catalogue over one store. ``suppress=False`` is allowed on synthetic stores only."""

    def __init__(self, store: SQLStore, definitions: Iterable[ProcessDefinition], *,
                 rule: CountingRule = RULES["natkraft"],
                 k: int = 5, suppress: bool = True):
        if k < 3:
            raise ReportError("k must be at least 3 (SPEC §6.4)")
        self.synthetic = store.is_synthetic()
        if not suppress and not self.synthetic:
            raise ReportError("suppression can only be turned off for a synthetic store (the demo scenarios)")
        self.store, self.rule, self.k, self.suppress = store, rule, k, suppress
        self.definitions = tuple(definitions)  # every version cases may run on: stages live in the diagrams

    # ------------------------------------------------------------------------------------- catalogue

    def catalogue(self) -> dict[str, Callable[[ReportFilter], Table]]:
        return {"outcomes_by_gender": self.outcomes_by_gender, "outcome_rate": self.outcome_rate,
                "outcomes_by_year": self.outcomes_by_year, "intake_by_year": self.intake_by_year,
                "referral_sources": self.referral_sources, "closure_split": self.closure_split,
                "employment_forms": self.employment_forms, "closures": self.closures, "funnel": self.funnel,
                "stage_durations": self.stage_durations, "task_durations": self.task_durations,
                "caseload": self.caseload,
                "first_employer_contact": self.first_employer_contact}

    def run(self, name: str, where: ReportFilter = ReportFilter()) -> Table:
        try:
            report = self.catalogue()[name]
        except KeyError:
            raise ReportError(f"unknown report '{name}' (reports: {', '.join(self.catalogue())})") from None
        return report(where)

    # ------------------------------------------------------------------------------------- SQL pieces

    def _j(self, column: str, key: str) -> str:
        return self.store.json_text(column, key)

    def _clients(self, where: ReportFilter, *, enrolled: bool = True) -> tuple[str, list[Any]]:
        """Cases matching the filter, with the fields reports group by.

        ``enrolled``: clients only, the period applying to the enrolment date; otherwise every referral,
        the period applying to the referral date. Columns ``enrolled`` and ``referred`` are the dates.
        """
        enrolment = f"substr({self._j('c.milestones', 'enrolled')}, 1, 10)"
        conditions, args = [], []
        if enrolled:
            conditions.append(f"{enrolment} IS NOT NULL")
        if where.period:
            conditions.append(f"{enrolment if enrolled else 'substr(c.case_started, 1, 10)'} BETWEEN ? AND ?")
            args += [where.period[0].isoformat(), where.period[1].isoformat()]
        if where.enrolment_year:
            conditions.append(f"substr({enrolment}, 1, 4) = ?")
            args.append(str(where.enrolment_year))
        for column, value in (("c.process_id", where.process_id), ("c.definition_version", where.definition_version),
                              (self._j("c.data", "gender"), where.gender),
                              (self._j("c.data", "referral_source"), where.referral_source)):
            if value is not None:
                conditions.append(f"{column} = ?")
                args.append(value)
        if where.coach is not None:
            conditions.append("EXISTS (SELECT 1 FROM journal a WHERE a.case_id = c.case_id AND a.actor = ?)")
            args.append(where.coach)
        work = "c.outcome = 'EMPLOYMENT'"
        if self.rule.employment_types is not None:
            types = ", ".join(f"'{t}'" for t in sorted(self.rule.employment_types))
            work += f" AND {self._j('c.data', 'employment_type')} IN ({types})"
        started = self.store._ts_text("started_at")
        sql = (f"SELECT c.case_id, {self._j('c.data', 'gender')} AS gender, {enrolment} AS enrolled, "
               f"substr(c.case_started, 1, 10) AS referred, c.status, "
               f"c.outcome, c.end_reason, CASE WHEN {work} THEN 1 ELSE 0 END AS work, "
               f"CASE WHEN c.outcome = 'STUDIES' THEN 1 ELSE 0 END AS studies, "
               f"{self._j('c.data', 'forward_plan')} AS forward_plan, "
               f"{self._j('c.data', 'referral_source')} AS referral_source, "
               f"{self._j('c.data', 'referral_unit')} AS referral_unit "
               f"FROM (SELECT cases.*, {started} AS case_started FROM cases) c")
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        return sql, args

    def _scope(self, alias: str, where: ReportFilter, *, enrolled: bool = False) -> tuple[str, list[Any]]:
        """A condition limiting journal rows (``alias``) to the filter's cases; nothing when unfiltered."""
        if where == ReportFilter() and not enrolled:
            return "", []
        sql, args = self._clients(where, enrolled=enrolled)
        return f" AND {alias}.case_id IN (SELECT case_id FROM ({sql}) x)", args

    def _by_gender(self, sql: str, args: Sequence[Any], measures: Sequence[tuple[str, str]]) -> dict[str, list[int]]:
        """{gender code or 'ALL': [sum of each measure]}."""
        cols = ", ".join(f"sum({expr})" for _, expr in measures)
        rows = self.store.query(f"SELECT gender, {cols} FROM ({sql}) x GROUP BY gender", args)
        totals: dict[str, list[int]] = {}
        for row in rows:
            totals[row[0]] = [int(v or 0) for v in row[1:]]
        totals["ALL"] = [sum(v[i] for v in totals.values()) for i in range(len(measures))]
        return totals

    def _finish(self, table: Table, *, count_columns: Iterable[int] | None = None, total_row: bool = False,
                total_column: bool = False, derived: dict[int, tuple[int, ...]] | None = None) -> Table:
        notes = table.notes + ((f"Celler med färre än {self.k} personer visas som '..' "
                                "(och en till där summan annars avslöjar dem).",) if self.suppress else ())
        table = replace(table, synthetic=self.synthetic, notes=notes)
        if not self.suppress:
            return table
        return suppress(table, self.k, count_columns=count_columns, total_row=total_row, total_column=total_column,
                        derived=derived)

    def _period_note(self, where: ReportFilter, what: str = "inskrivningsdatum") -> tuple[str, ...]:
        if where.period:
            return (f"Period ({what}): {where.period[0]} – {where.period[1]}.",)
        return ()

    # ------------------------------------------------------------------------------------- reports

    def outcomes_by_gender(self, where: ReportFilter = ReportFilter()) -> Table:
        """R1 (NK-T1, GV-T1/T3/T4): clients, to employment, to studies; women / men / total."""
        sql, args = self._clients(where)
        t = self._by_gender(sql, args, [("clients", "1"), ("work", "work"), ("studies", "studies")])
        labels = ("Totalt antal klienter", "Totalt antal i anställning", "Totalt antal i studier")
        rows = tuple((label, *(t.get(code, [0, 0, 0])[i] for code, _ in GENDERS), t["ALL"][i])
                     for i, label in enumerate(labels))
        rule = ("alla anställningar räknas" if self.rule.employment_types is None
                else "endast " + ", ".join(sorted(self.rule.employment_types)) + " räknas som arbete")
        return self._finish(Table("outcomes_by_gender", "Klienter och utfall per kön",
                                  ("", "Kvinnor", "Män", "Totalt"), rows,
                                  self._period_note(where) + (f"Räkneregel ({self.rule.name}): {rule}; "
                                                              "utfall vid avslut, en person räknas en gång.",)),
                            count_columns=(1, 2, 3), total_column=True)

    def outcome_rate(self, where: ReportFilter = ReportFilter()) -> Table:
        """R2 (NK-K1, GV-F2): share to work or studies against the target."""
        sql, args = self._clients(where)
        t = self._by_gender(sql, args, [("clients", "1"), ("result", "work + studies")])
        target = self.rule.target_percent
        rows = []
        for code, label in (*GENDERS, ("ALL", "Totalt")):
            clients, result = t.get(code, [0, 0])
            share = percent(result, clients, self.rule.decimals)
            rows.append((label, clients, result, share, target,
                         None if share is None or target is None else share >= target))
        return self._finish(Table("outcome_rate", "Andel till arbete eller studier mot mål",
                                  ("", "Klienter", "Arbete eller studier", "Andel (%)", "Mål (%)", "Mål uppnått"),
                                  tuple(rows), self._period_note(where)), count_columns=(1, 2), total_row=True,
                            derived={3: (1, 2), 5: (1, 2)})

    def outcomes_by_year(self, where: ReportFilter = ReportFilter()) -> Table:
        """Outcomes by enrolment year."""
        sql, args = self._clients(where)
        rows = self.store.query(f"SELECT substr(enrolled, 1, 4), count(*), sum(work), sum(studies) FROM ({sql}) x "
                                "GROUP BY substr(enrolled, 1, 4) ORDER BY 1", args)
        return self._finish(Table("outcomes_by_year", "Utfall per inskrivningsår",
                                  ("År", "Klienter", "Arbete", "Studier"),
                                  tuple((int(y), n, int(w or 0), int(s or 0)) for y, n, w, s in rows),
                                  self._period_note(where)), count_columns=(1, 2, 3))

    def intake_by_year(self, where: ReportFilter = ReportFilter()) -> Table:
        """R5 (GV-T2): intake per year, planned (the programme's configuration) against actual."""
        sql, args = self._clients(where)
        actual = dict(self.store.query(f"SELECT substr(enrolled, 1, 4), count(*) FROM ({sql}) x "
                                       "GROUP BY substr(enrolled, 1, 4)", args))
        planned = dict(self.rule.planned_intake)
        years = sorted({int(y) for y in actual} | set(planned))
        rows = tuple((y, planned.get(y), actual.get(str(y), 0)) for y in years)
        rows += (("Totalt", sum(planned.values()) if planned else None, sum(actual.values())),)
        return self._finish(Table("intake_by_year", "Intag per år: planerat och faktiskt",
                                  ("År", "Planerat", "Faktiskt"), rows, self._period_note(where)),
                            count_columns=(2,), total_row=True)

    def referral_sources(self, where: ReportFilter = ReportFilter()) -> Table:
        """R4 (NK-T2): referrals and inquiries by source unit and group, by referral date."""
        sql, args = self._clients(where, enrolled=False)
        rows = self.store.query(f"SELECT coalesce(referral_source, '-'), coalesce(referral_unit, '-'), count(*) "
                                f"FROM ({sql}) x GROUP BY 1, 2 ORDER BY 1, 2", args)
        body = tuple((unit, group, n) for group, unit, n in rows)
        total = sum(n for *_, n in body)
        return self._finish(Table("referral_sources", "Intresseförfrågningar och remisser per källa",
                                  ("Källa", "Grupp", "Antal"), body + (("Totalt", "", total),),
                                  self._period_note(where, "remissdatum") +
                                  ("Förfrågningar, inte inskrivningar.",)), count_columns=(2,), total_row=True)

    def closure_split(self, where: ReportFilter = ReportFilter()) -> Table:
        """R3 (GV-F2, GV-F3): closed cases by gender: work or studies / another plan / still with AF."""
        sql, args = self._clients(where)
        t = self._by_gender(sql, args, [
            ("closed", "CASE WHEN status <> 'active' THEN 1 ELSE 0 END"),
            ("result", "work + studies"),
            ("other", "CASE WHEN outcome = 'OTHER_PLAN' THEN 1 ELSE 0 END"),
            ("af", "CASE WHEN outcome = 'CONTINUED_AF_SUPPORT' THEN 1 ELSE 0 END")])
        rows = []
        for code, label in (*GENDERS, ("ALL", "Totalt")):
            closed, result, other, af = t.get(code, [0, 0, 0, 0])
            rows.append((label, result, other, af, closed, percent(result, closed, self.rule.decimals),
                         percent(result + af, closed, self.rule.decimals)))
        return self._finish(Table("closure_split", "Resultat vid avslut per kön",
                                  ("", "Jobb och studier", "Mot annan plan", "Kvar med insats AF", "Avslutade",
                                   "Andel jobb/studier (%)", "Andel inkl. kvar hos AF (%)"), tuple(rows),
                                  self._period_note(where)), count_columns=(1, 2, 3, 4), total_row=True,
                            total_column=True, derived={5: (1, 4), 6: (1, 3, 4)})

    def employment_forms(self, where: ReportFilter = ReportFilter()) -> Table:
        """R6 (NK-T3): employments closed as work, traditional (no employment subsidy) or another form."""
        sql, args = self._clients(where)
        subsidy, pct = self._j("c.data", "subsidy"), self._j("c.data", "work_pct")
        trad = f"({subsidy} IS NULL OR {subsidy} = 'NONE')"
        rows = self.store.query(
            f"SELECT CASE WHEN {trad} THEN 1 ELSE 0 END, count(*), min(CAST({pct} AS INTEGER)), "
            f"max(CAST({pct} AS INTEGER)) FROM ({sql}) x JOIN cases c ON c.case_id = x.case_id WHERE x.work = 1 "
            f"GROUP BY CASE WHEN {trad} THEN 1 ELSE 0 END", args)
        by_form = {int(form): (n, low, high) for form, n, low, high in rows}
        traditional, other = by_form.get(1, (0, None, None)), by_form.get(0, (0, None, None))
        body = (("Anställning i någon form", traditional[0] + other[0],
                 min((v for v in (traditional[1], other[1]) if v is not None), default=None),
                 max((v for v in (traditional[2], other[2]) if v is not None), default=None)),
                ("Traditionell anställning (utan anställningsstöd)", *traditional),
                ("Annan anställningsform (med stöd)", *other))
        return self._finish(Table("employment_forms", "Anställningsform och arbetstid vid avslut mot arbete",
                                  ("", "Antal", "Arbetstid lägst (%)", "Arbetstid högst (%)"), body,
                                  self._period_note(where)), count_columns=(1,), derived={2: (1,), 3: (1,)})

    def closures(self, where: ReportFilter = ReportFilter()) -> Table:
        """R13 + end reasons: ended cases by end reason and outcome; forward plan yes/no."""
        sql, args = self._clients(where, enrolled=False)
        rows = self.store.query(f"SELECT end_reason, outcome, count(*) FROM ({sql}) x WHERE status <> 'active' "
                                "GROUP BY end_reason, outcome ORDER BY 3 DESC, 1, 2", args)
        plans = {True: 0, False: 0}
        for value, n in self.store.query(f"SELECT forward_plan, count(*) FROM ({sql}) x WHERE status <> 'active' "
                                         "AND forward_plan IS NOT NULL GROUP BY forward_plan", args):
            plans[str(value).lower() in ("true", "1")] += n  # JSON true: 1 from SQLite, 'true' from PostgreSQL
        body = tuple((reason, outcome, n) for reason, outcome, n in rows)
        body += (("Planering framåt: ja", "", plans[True]), ("Planering framåt: nej", "", plans[False]))
        return self._finish(Table("closures", "Avslut per avslutsanledning och utfall",
                                  ("Avslutsanledning", "Utfall", "Antal"), body,
                                  self._period_note(where, "remissdatum")),
                            count_columns=(2,))

    def funnel(self, where: ReportFilter = ReportFilter()) -> Table:
        """R12: how many cases reached each stage."""
        sql, args = self._clients(where, enrolled=False)
        stages = self._stage_map()
        scope, scope_args = self._scope("j", where)
        reached = dict(self.store.query(
            f"WITH s(process_id, element_id, stage) AS ({stages}) SELECT s.stage, count(DISTINCT j.case_id) "
            f"FROM journal j JOIN s ON s.process_id = j.process_id AND s.element_id = j.element_id "
            f"WHERE j.kind = 'task_ready'{scope} GROUP BY s.stage", scope_args))
        referred, enrolled, result = self.store.query(
            f"SELECT count(*), count(enrolled), sum(work + studies) FROM ({sql}) x", args)[0]
        rows = [("Remitterade / förfrågningar", referred), ("Inskrivna (överenskommelse)", enrolled)]
        rows += [(f"Nådde steget: {stage}", reached[stage]) for stage in STAGE_ORDER if stage in reached]
        rows.append(("Avslutade till arbete eller studier", int(result or 0)))
        return self._finish(Table("funnel", "Tratt: hur många ärenden nådde varje steg", ("Steg", "Ärenden"),
                                  tuple(rows), self._period_note(where, "remissdatum")), count_columns=(1,))

    def stage_durations(self, where: ReportFilter = ReportFilter()) -> Table:
        """Days per case in each stage (first task ready to last task done): median and quartiles."""
        scope, args = self._scope("d", where)
        day = self.store.day_number("d.at")
        per_case = (f"WITH s(process_id, element_id, stage) AS ({self._stage_map()}) "
                    f"SELECT s.stage AS name, max({day}) - min({day} - d.duration / 86400.0) AS days FROM journal d "
                    f"JOIN s ON s.process_id = d.process_id AND s.element_id = d.element_id "
                    f"WHERE d.kind = 'task_completed' AND d.duration IS NOT NULL{scope} GROUP BY d.case_id, s.stage")
        rows = sorted(self._quartiles(per_case, args), key=lambda r: STAGE_ORDER.index(r[0])
                      if r[0] in STAGE_ORDER else 99)
        return self._finish(Table("stage_durations", "Tid per steg (dagar per ärende)",
                                  ("Steg", "Ärenden", "Median", "Kvartil 1", "Kvartil 3"), tuple(rows),
                                  self._period_note(where, "remissdatum")), count_columns=(1,))

    def task_durations(self, where: ReportFilter = ReportFilter()) -> Table:
        """Days from a task being ready to being done, per task: median and quartiles."""
        scope, args = self._scope("d", where)
        per_task = (f"SELECT d.element_name AS name, d.duration / 86400.0 AS days FROM journal d "
                    f"WHERE d.kind = 'task_completed' AND d.duration IS NOT NULL{scope}")
        return self._finish(Table("task_durations", "Tid per uppgift (dagar från redo till klar)",
                                  ("Uppgift", "Antal", "Median", "Kvartil 1", "Kvartil 3"),
                                  tuple(sorted(self._quartiles(per_task, args))),
                                  self._period_note(where, "remissdatum")), count_columns=(1,))

    def caseload(self, where: ReportFilter = ReportFilter()) -> Table:
        """R8 / IPS-25 item 1: active cases per coach per month (a coach's case in a month = one they acted on)."""
        scope, args = self._scope("j", where)
        month = self.store.month("j.at")
        rows = self.store.query(
            f"SELECT j.actor, {month}, count(DISTINCT j.case_id) FROM journal j "
            f"WHERE j.kind = 'task_completed' AND j.lane = 'coach' AND j.actor IS NOT NULL{scope} "
            f"GROUP BY j.actor, {month} ORDER BY 1, 2", args)
        return self._finish(Table("caseload", "Aktiva ärenden per coach och månad (IPS-25 punkt 1)",
                                  ("Coach", "Månad", "Ärenden"), tuple(rows),
                                  ("Ett ärende räknas för en coach en månad då coachen gjorde en uppgift i det; "
                                   "mål 15–20 (Nätkraft), högst 20 (IPS-25).",)))

    def first_employer_contact(self, where: ReportFilter = ReportFilter()) -> Table:
        """IPS-25 item 15: days from enrolment to the first employer contact."""
        sql, args = self._clients(where)
        contact = self._j("c.data", "first_employer_contact_date")
        days = self.store.days_between_dates("x.enrolled", contact)
        per_case = (f"SELECT 'Alla' AS name, {days} AS days FROM ({sql}) x JOIN cases c ON c.case_id = x.case_id "
                    f"WHERE {contact} IS NOT NULL")
        quartiles = self._quartiles(per_case, args)
        within = self.store.query(f"SELECT count(*), sum(CASE WHEN {days} <= 30 THEN 1 ELSE 0 END) FROM ({sql}) x "
                                  f"JOIN cases c ON c.case_id = x.case_id WHERE {contact} IS NOT NULL", args)[0]
        rows = tuple(r + (percent(int(within[1] or 0), within[0], 0),) for r in quartiles)
        return self._finish(Table("first_employer_contact", "Dagar från inskrivning till första arbetsgivarkontakt",
                                  ("", "Ärenden", "Median", "Kvartil 1", "Kvartil 3", "Inom 30 dagar (%)"), rows,
                                  self._period_note(where)
                                  + ("IPS-25 punkt 15: toppbetyg vid kontakt inom ca 30 dagar.",)),
                            count_columns=(1,))

    def element_counts(self, where: ReportFilter = ReportFilter()) -> tuple[dict[str, int], dict[str, int]]:
        """For the heatmap: cases waiting at each element now, and times each element was done in the period."""
        waiting = dict(self.store.query("SELECT element_id, count(*) FROM open_tasks GROUP BY element_id"))
        sql, args = "SELECT element_id, count(*) FROM journal WHERE kind IN ('task_completed', 'timer_fired', " \
                    "'gateway_taken', 'event_reached', 'activity_completed')", []
        if where.period:
            sql += f" AND substr({self.store._ts_text('at')}, 1, 10) BETWEEN ? AND ?"
            args += [where.period[0].isoformat(), where.period[1].isoformat()]
        done = dict(self.store.query(sql + " GROUP BY element_id", args))
        return waiting, done

    # ------------------------------------------------------------------------------------- helpers

    def _quartiles(self, per_item_sql: str, args: Sequence[Any]) -> list[tuple]:
        """(name, n, median, q1, q3) in days by nearest rank, at the 0.1-day resolution the reports print.

        The database reduces the values to a histogram of 0.1-day bins (a grouping, not a sort of
        every value); the ranks are then read off the cumulative counts.
        """
        bins: dict[str, list[tuple[float, int]]] = {}
        for name, tenth, count in self.store.query(
                f"SELECT name, round(days * 10), count(*) FROM ({per_item_sql}) p "
                f"WHERE days IS NOT NULL GROUP BY name, round(days * 10) ORDER BY 1, 2", args):
            bins.setdefault(name, []).append((float(tenth) / 10, int(count)))
        result = []
        for name, histogram in bins.items():
            n = sum(count for _, count in histogram)
            ranks = ((n + 1) // 2, (n + 3) // 4, (3 * n + 3) // 4)  # median, q1, q3
            result.append((name, n, *(_value_at(histogram, rank) for rank in ranks)))
        return result

    def _stage_map(self) -> str:
        """A VALUES list (process id, element id, stage) from every loaded definition: stages live in the
        diagrams, and element ids are only unique within a process."""
        rows = sorted({(e.process_id, e.id, e.stage) for d in self.definitions for e in d.elements.values() if e.stage})
        if not rows:
            return "SELECT NULL, NULL, NULL WHERE 1 = 0"
        def quote(text: str) -> str:  # diagram text, not user input, but quoted all the same
            return "'" + text.replace("'", "''") + "'"
        return "VALUES " + ", ".join(f"({quote(p)}, {quote(e)}, {quote(s)})" for p, e, s in rows)
