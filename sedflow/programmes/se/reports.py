"""The Supported Employment report catalogue: the funders' tables, counting rules and export fields.

Outcomes are the outcome recorded when a case closed, so a person who went from studies to a job is
counted once, by the outcome at closure. Whether an employment counts as work is the programme's
counting rule (Nätkraft: any employment; Gävle: only permanent, *tillsvidare*, employment), read from
``data/counting_rules.json`` with each funder's target, decimals and planned intake. Gender X (and a
case with no gender recorded) has its own column or row, so that women and men and the rest add up
to the total; disclosure control hides it, and what would give it back, when it is small.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from ...reports.profile import (
    Caseload,
    Chart,
    CountingRule,
    ExportFields,
    FieldSQL,
    FilterField,
    Placement,
    ReportFunction,
    ReportProfile,
)
from ...reports.sql import quote
from ...reports.table import Table, percent
from .vocabulary import LABELS

if TYPE_CHECKING:
    from ...reports.catalogue import Reports
    from ...reports.sql import ReportFilter

#: The gender columns of the tables: every case is in one of them (no gender recorded counts as X).
GENDERS = (("F", "Kvinnor"), ("M", "Män"), ("X", "Annat/uppgift saknas"))
STAGE_ORDER = tuple(LABELS["stage"])


def _load_rules() -> tuple[dict[str, CountingRule], str]:
    data = json.loads(files(__package__).joinpath("data", "counting_rules.json").read_text(encoding="utf-8"))
    rules = {name: CountingRule(name, only={f: frozenset(v) for f, v in spec.get("only", {}).items()},
                                target_percent=spec.get("target_percent"), decimals=spec.get("decimals", 1),
                                planned_intake=tuple((int(y), n) for y, n in spec.get("planned_intake", {}).items()))
             for name, spec in data["rules"].items()}
    return rules, data["default"]


RULES, DEFAULT_RULE = _load_rules()


def case_columns(field: FieldSQL, rule: CountingRule) -> dict[str, str]:
    """The SE columns of the case selection: gender, work/studies/result under the rule, referral fields."""
    work = "c.outcome = 'EMPLOYMENT'"
    for name, values in sorted(rule.only.items()):
        codes = ", ".join(quote(v) for v in sorted(values))
        work += f" AND {field(name)} IN ({codes})"
    work_flag = f"CASE WHEN {work} THEN 1 ELSE 0 END"
    studies_flag = "CASE WHEN c.outcome = 'STUDIES' THEN 1 ELSE 0 END"
    return {"gender": f"coalesce({field('gender')}, 'X')", "work": work_flag, "studies": studies_flag,
            "result": f"{work_flag} + {studies_flag}", "forward_plan": field("forward_plan"),
            "referral_source": field("referral_source"), "referral_unit": field("referral_unit")}


def _by_gender(r: Reports, where: ReportFilter, measures: list[tuple[str, str]]) -> dict[str, list[int]]:
    sql, args = r.sql.cases(where)
    return r.sql.sums_by("gender", sql, args, measures)


def outcomes_by_gender(r: Reports, where: ReportFilter) -> Table:
    """R1 (NK-T1, GV-T1/T3/T4): clients, to employment, to studies; women / men / total."""
    t = _by_gender(r, where, [("clients", "1"), ("work", "work"), ("studies", "studies")])
    labels = ("Totalt antal klienter", "Totalt antal i anställning", "Totalt antal i studier")
    rows = tuple((label, *(t.get(code, [0, 0, 0])[i] for code, _ in GENDERS), t["ALL"][i])
                 for i, label in enumerate(labels))
    types = r.rule.only.get("employment_type")
    rule = ("alla anställningar räknas" if types is None else "endast " + ", ".join(
        str(r.profile.code("employment_type", t)).lower() for t in sorted(types)) + " räknas som arbete")
    return r.finish(Table("outcomes_by_gender", "Klienter och utfall per kön",
                          ("", *(label for _, label in GENDERS), "Totalt"), rows,
                          r.period_note(where) + (f"Räkneregel ({r.rule.name}): {rule}; "
                                                  "utfall vid avslut, en person räknas en gång.",)),
                    count_columns=tuple(range(1, len(GENDERS) + 2)), total_column=True)


def outcome_rate(r: Reports, where: ReportFilter) -> Table:
    """R2 (NK-K1, GV-F2): share to work or studies against the target."""
    t = _by_gender(r, where, [("clients", "1"), ("result", "result")])
    target = r.rule.target_percent
    rows = []
    for code, label in (*GENDERS, ("ALL", "Totalt")):
        clients, result = t.get(code, [0, 0])
        share = percent(result, clients, r.rule.decimals)
        rows.append((label, clients, result, share, target,
                     None if share is None or target is None else share >= target))
    return r.finish(Table("outcome_rate", "Andel till arbete eller studier mot mål",
                          ("", "Klienter", "Arbete eller studier", "Andel (%)", "Mål (%)", "Mål uppnått"),
                          tuple(rows), r.period_note(where)), count_columns=(1, 2), total_row=True,
                    derived={3: (1, 2), 5: (1, 2)})


def outcomes_by_year(r: Reports, where: ReportFilter) -> Table:
    """Outcomes by enrolment year."""
    sql, args = r.sql.cases(where)
    rows = r.store.query(f"SELECT substr(enrolled, 1, 4), count(*), sum(work), sum(studies) FROM ({sql}) x "
                         "GROUP BY substr(enrolled, 1, 4) ORDER BY 1", args)
    return r.finish(Table("outcomes_by_year", "Utfall per inskrivningsår", ("År", "Klienter", "Arbete", "Studier"),
                          tuple((int(y), n, int(w or 0), int(s or 0)) for y, n, w, s in rows),
                          r.period_note(where)), count_columns=(1, 2, 3))


def intake_by_year(r: Reports, where: ReportFilter) -> Table:
    """R5 (GV-T2): intake per year, planned (the programme's configuration) against actual."""
    sql, args = r.sql.cases(where)
    actual: dict[str, int] = dict(r.store.query(f"SELECT substr(enrolled, 1, 4), count(*) FROM ({sql}) x "
                                                "GROUP BY substr(enrolled, 1, 4)", args))
    planned = dict(r.rule.planned_intake)
    years = sorted({int(y) for y in actual} | set(planned))
    rows: list[tuple[Any, ...]] = [(y, planned.get(y), actual.get(str(y), 0)) for y in years]
    rows.append(("Totalt", sum(planned.values()) if planned else None, sum(actual.values())))
    return r.finish(Table("intake_by_year", "Intag per år: planerat och faktiskt", ("År", "Planerat", "Faktiskt"),
                          tuple(rows), r.period_note(where)), count_columns=(2,), total_row=True)


def referral_sources(r: Reports, where: ReportFilter) -> Table:
    """R4 (NK-T2): referrals and inquiries by source unit and group, by referral date."""
    sql, args = r.sql.cases(where, enrolled=False)
    rows = r.store.query(f"SELECT coalesce(referral_source, '-'), coalesce(referral_unit, '-'), count(*) "
                         f"FROM ({sql}) x GROUP BY 1, 2 ORDER BY 1, 2", args)
    body = tuple((unit, r.profile.code("referral_source", None if group == "-" else group), n)
                 for group, unit, n in rows)
    total = sum(n for *_, n in body)
    return r.finish(Table("referral_sources", "Intresseförfrågningar och remisser per källa",
                          ("Källa", "Grupp", "Antal"), (*body, ("Totalt", "", total)),
                          r.period_note(where, "remissdatum") + ("Förfrågningar, inte inskrivningar.",)),
                    count_columns=(2,), total_row=True)


#: A case has ended (not running, nor suspended: a suspended case is still in the programme).
_ENDED = "status NOT IN ('active', 'suspended')"


def closure_split(r: Reports, where: ReportFilter) -> Table:
    """R3 (GV-F2, GV-F3): closed cases by gender: work or studies / another plan / still with AF."""
    t = _by_gender(r, where, [
        ("closed", f"CASE WHEN {_ENDED} THEN 1 ELSE 0 END"),
        ("result", "result"),
        ("other", "CASE WHEN outcome = 'OTHER_PLAN' THEN 1 ELSE 0 END"),
        ("af", "CASE WHEN outcome = 'CONTINUED_AF_SUPPORT' THEN 1 ELSE 0 END")])
    rows = []
    for code, label in (*GENDERS, ("ALL", "Totalt")):
        closed, result, other, af = t.get(code, [0, 0, 0, 0])
        rows.append((label, result, other, af, closed - result - other - af, closed,
                     percent(result, closed, r.rule.decimals), percent(result + af, closed, r.rule.decimals)))
    return r.finish(Table("closure_split", "Resultat vid avslut per kön",
                          ("", "Jobb och studier", "Mot annan plan", "Kvar med insats AF", "Övriga avslut", "Avslutade",
                           "Andel jobb/studier (%)", "Andel inkl. kvar hos AF (%)"), tuple(rows),
                          r.period_note(where) + (
                              "Övriga avslut: varken arbete eller studier som räkneregeln räknar, annan plan eller "
                              "kvar hos AF (t.ex. avbrutna, ingen sysselsättning eller okänt).",)),
                    count_columns=(1, 2, 3, 4, 5), total_row=True, total_column=True,
                    derived={6: (1, 5), 7: (1, 3, 5)})


def employment_forms(r: Reports, where: ReportFilter) -> Table:
    """R6 (NK-T3): employments closed as work, traditional (no employment subsidy) or another form."""
    sql, args = r.sql.cases(where)
    subsidy, pct = r.sql.field("subsidy"), r.sql.field("work_pct")
    trad = f"({subsidy} IS NULL OR {subsidy} = 'NONE')"
    rows = r.store.query(
        f"SELECT CASE WHEN {trad} THEN 1 ELSE 0 END, count(*), min(CAST({pct} AS INTEGER)), "
        f"max(CAST({pct} AS INTEGER)) FROM ({sql}) x JOIN cases c ON c.case_id = x.case_id WHERE x.work = 1 "
        f"GROUP BY CASE WHEN {trad} THEN 1 ELSE 0 END", args)
    by_form = {int(form): (n, low, high) for form, n, low, high in rows}
    traditional, other = by_form.get(1, (0, None, None)), by_form.get(0, (0, None, None))
    body = (("Traditionell anställning (utan anställningsstöd)", *traditional),
            ("Annan anställningsform (med stöd)", *other),
            ("Anställning i någon form", traditional[0] + other[0],
             min((v for v in (traditional[1], other[1]) if v is not None), default=None),
             max((v for v in (traditional[2], other[2]) if v is not None), default=None)))
    return r.finish(Table("employment_forms", "Anställningsform och arbetstid vid avslut mot arbete",
                          ("", "Antal", "Arbetstid lägst (%)", "Arbetstid högst (%)"), body,
                          r.period_note(where)), count_columns=(1,), total_row=True, derived={2: (1,), 3: (1,)})


def closures(r: Reports, where: ReportFilter) -> Table:
    """R13 + end reasons: ended cases by end reason and outcome; forward plan yes/no."""
    sql, args = r.sql.cases(where, enrolled=False)
    rows = r.store.query(f"SELECT end_reason, outcome, count(*) FROM ({sql}) x WHERE {_ENDED} "
                         "GROUP BY end_reason, outcome ORDER BY 3 DESC, 1, 2", args)
    plans = {True: 0, False: 0}
    for value, n in r.store.query(f"SELECT forward_plan, count(*) FROM ({sql}) x WHERE {_ENDED} "
                                  "AND forward_plan IS NOT NULL GROUP BY forward_plan", args):
        plans[str(value).lower() in ("true", "1")] += n  # JSON true: 1 from SQLite, 'true' from PostgreSQL
    body = tuple((r.profile.code("end_reason", reason), r.profile.code("outcome", outcome), n)
                 for reason, outcome, n in rows)
    ended = sum(n for *_, n in body)
    total = len(body)
    body += (("Avslutade totalt", "", ended), ("Planering framåt: ja", "", plans[True]),
             ("Planering framåt: nej", "", plans[False]),
             ("Planering framåt: uppgift saknas", "", ended - plans[True] - plans[False]))
    table = Table("closures", "Avslut per avslutsanledning och utfall", ("Avslutsanledning", "Utfall", "Antal"),
                  body, r.period_note(where, "remissdatum")
                  + ("Avslutade totalt delas upp två gånger: per anledning och utfall (raderna ovanför) och "
                     "per planering framåt (raderna nedanför).",),
                  row_sums=((tuple(range(total)), total), ((total + 1, total + 2, total + 3), total)))
    return r.finish(table, count_columns=(2,))


def first_employer_contact(r: Reports, where: ReportFilter) -> Table:
    """IPS-25 item 15: days from enrolment to the first employer contact."""
    sql, args = r.sql.cases(where)
    contact = r.sql.field("first_employer_contact_date")
    days = r.store.days_between_dates("x.enrolled", contact)
    per_case = (f"SELECT 'Alla' AS name, {days} AS days FROM ({sql}) x JOIN cases c ON c.case_id = x.case_id "
                f"WHERE {contact} IS NOT NULL")
    within = r.store.query(f"SELECT count(*), sum(CASE WHEN {days} <= 30 THEN 1 ELSE 0 END) FROM ({sql}) x "
                           f"JOIN cases c ON c.case_id = x.case_id WHERE {contact} IS NOT NULL", args)[0]
    rows = tuple((*q, percent(int(within[1] or 0), within[0], 0)) for q in r.sql.quartiles(per_case, args))
    return r.finish(Table("first_employer_contact", "Dagar från inskrivning till första arbetsgivarkontakt",
                          ("", "Ärenden", "Median", "Kvartil 1", "Kvartil 3", "Inom 30 dagar (%)"), rows,
                          r.period_note(where) + ("IPS-25 punkt 15: toppbetyg vid kontakt inom ca 30 dagar.",)),
                    count_columns=(1,))


SE_REPORTS: Mapping[str, ReportFunction] = {
    "outcomes_by_gender": outcomes_by_gender, "outcome_rate": outcome_rate, "outcomes_by_year": outcomes_by_year,
    "intake_by_year": intake_by_year, "referral_sources": referral_sources, "closure_split": closure_split,
    "employment_forms": employment_forms, "closures": closures, "first_employer_contact": first_employer_contact}

EXPORT = ExportFields(
    personal=("gender", "birth_year", "referral_source", "income_support"),
    participant=("gender", "birth_year"),
    # Fields that identify an employer: none in the shipped diagrams; a local diagram may add one.
    objects={"employer": ("employer_id", "workplace_id")},
    placements={"placement_start": Placement("work_placement", "placement_end"),
                "st_period_start": Placement("supported_training", "st_assessment_end_date", spans=True)})

REPORTS = ReportProfile(
    rules=RULES, default_rule=DEFAULT_RULE, stage_order=STAGE_ORDER,
    caseload=Caseload(lane="coach", title="Aktiva ärenden per coach och månad (IPS-25 punkt 1)", actor_label="Coach",
                      notes=("Ett ärende räknas för en coach en månad då coachen gjorde en uppgift i det; "
                             "mål 15–20 (Nätkraft), högst 20 (IPS-25).",)),
    filters=(FilterField("gender", "gender", ("F", "M", "X"), "Only this gender."),
             FilterField("referral_source", "referral_source", None, "Only cases from this referral source code.")),
    columns=case_columns, result_label="Avslutade till arbete eller studier", reports=SE_REPORTS,
    order=("outcomes_by_gender", "outcome_rate", "outcomes_by_year", "intake_by_year", "referral_sources",
           "closure_split", "employment_forms", "closures", "funnel", "stage_durations", "task_durations",
           "caseload", "first_employer_contact"),
    labels=LABELS,
    charts={"outcomes_by_gender": Chart(), "outcomes_by_year": Chart(),
            "closure_split": Chart(value_columns=("Jobb och studier", "Mot annan plan", "Kvar med insats AF",
                                                  "Övriga avslut", "Avslutade"))},
    export=EXPORT,
    # What case_columns, employment_forms and first_employer_contact read (gender and referral_source are
    # filters, employment_type a counting rule's): an anonymised case keeps these and nothing else.
    retained=("gender", "forward_plan", "referral_source", "referral_unit", "subsidy", "work_pct",
              "first_employer_contact_date"))
