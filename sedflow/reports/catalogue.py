"""The report catalogue over one store: the generic reports and the programme's, behind one ``run``.

Generic reports need only what every BPMN case has: its start, its milestones, the stages its diagram
marks, the lanes and actors of its tasks and its journal (funnel, stage and task durations, caseload,
the heatmap's element counts). A programme's reports (outcomes, intake, ...) come from its
:class:`~sedflow.reports.profile.ReportProfile` and are computed with the same pieces: the case
selection under the counting rule in force, :meth:`Reports.finish` for disclosure control.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from ..bpmn import ElementRef
from ..definitions import ProcessDefinition
from ..errors import ReportError
from ..journal import JournalKind
from ..store import Store
from .privacy import suppress, with_sums
from .profile import GENERIC_REPORTS, CountingRule, ReportProfile
from .sql import CaseSelection, ReportFilter, quote, stage_map
from .table import Code, Table

if TYPE_CHECKING:
    from ..profile import Profile

#: Journal kinds that count as an element having been done (the heatmap's "completed").
DONE_KINDS = (JournalKind.TASK_COMPLETED, JournalKind.TIMER_FIRED, JournalKind.GATEWAY_TAKEN,
              JournalKind.EVENT_REACHED, JournalKind.ACTIVITY_COMPLETED)


class Reports:
    """The report catalogue over one store. ``suppress=False`` is allowed on synthetic stores only.

    ``definitions``: every version cases may run on (stages live in the diagrams). ``rule``: the name of
    one of the profile's counting rules (None: its default).
    """

    def __init__(self, store: Store, definitions: Iterable[ProcessDefinition], *, profile: Profile,
                 rule: str | None = None, k: int = 5, suppress: bool = True):
        if k < 3:
            raise ReportError("k must be at least 3 (SPEC §6.4)")
        self.profile: ReportProfile = profile.reports or GENERIC_REPORTS
        counting = self.profile.rule(rule)
        if counting is None:
            raise ReportError(f"unknown counting rule '{rule}' (rules: {', '.join(self.profile.rules)})")
        self.rule: CountingRule = counting
        self.synthetic = store.is_synthetic()
        if not suppress and not self.synthetic:
            raise ReportError("suppression can only be turned off for a synthetic store (the demo scenarios)")
        self.store, self.k, self.suppress = store, k, suppress
        self.definitions = tuple(definitions)
        self.sql = CaseSelection(store, milestone=self.profile.enrolment_milestone,
                                 columns=self.profile.columns(partial(store.json_text, "c.data"), counting))

    # ------------------------------------------------------------------------------------- catalogue

    def catalogue(self) -> dict[str, Callable[[ReportFilter], Table]]:
        """Every report by name, in the order ``all`` and the HTML report run them."""
        reports: dict[str, Callable[[ReportFilter], Table]] = {
            name: partial(report, self) for name, report in self.profile.reports.items()}
        reports |= {"funnel": self.funnel, "stage_durations": self.stage_durations,
                    "task_durations": self.task_durations, "caseload": self.caseload}
        first = [name for name in self.profile.order if name in reports]
        return {name: reports[name] for name in first + [n for n in reports if n not in first]}

    def run(self, name: str, where: ReportFilter | None = None) -> Table:
        catalogue = self.catalogue()
        try:
            report = catalogue[name]
        except KeyError:
            raise ReportError(f"unknown report '{name}' (reports: {', '.join(catalogue)})") from None
        where = where or ReportFilter()
        return replace(report(where), scope=self.scope(where))

    def programmes(self, where: ReportFilter) -> list[str]:
        """The processes of the cases in the selection, most cases first."""
        sql, args = self.sql.cases(where, enrolled=False)
        return [pid for pid, _ in self.store.query(
            f"SELECT c.process_id, count(*) FROM ({sql}) x JOIN cases c ON c.case_id = x.case_id "
            "GROUP BY c.process_id ORDER BY 2 DESC, 1", args)]

    def scope(self, where: ReportFilter) -> str:
        """What a report covers, for its heading: the programmes and definition versions of the cases in the
        selection (a store may mix programmes, and versions count differently), the period and the filters."""
        sql, args = self.sql.cases(where, enrolled=False)
        names = {d.process_id: d.name or d.process_id for d in self.definitions}
        versions: dict[str, list[str]] = {}
        for pid, version, _ in self.store.query(
                f"SELECT c.process_id, c.definition_version, count(*) FROM ({sql}) x JOIN cases c "
                "ON c.case_id = x.case_id GROUP BY c.process_id, c.definition_version ORDER BY 3 DESC, 1, 2", args):
            versions.setdefault(pid, []).append((version or "–")[:12])
        programmes = "; ".join(f"{names.get(pid, pid)}, version {', '.join(v)}" for pid, v in versions.items())
        period = (f"{where.period[0]} – {where.period[1]} (inskrivningsdatum; remissdatum för förfrågningar, "
                  "tratt och tider)" if where.period else "alla datum")
        chosen = [f"{name} {value}" for name, value in (("inskrivningsår", where.enrolment_year),
                                                          ("coach", where.coach)) if value is not None]
        chosen += [f"{name} = {value}" for name, value in sorted(where.fields.items())]
        return (f"Program: {programmes or 'inga ärenden'}. Period: {period}."
                + (f" Urval: {', '.join(chosen)}." if chosen else ""))

    # ------------------------------------------------------------------------------------- publishing

    def finish(self, table: Table, *, count_columns: Iterable[int] | None = None, total_row: bool = False,
               total_column: bool = False, derived: dict[int, tuple[int, ...]] | None = None) -> Table:
        """The table as it may be published: marked synthetic or not, small counts suppressed."""
        notes = table.notes + ((f"Celler med färre än {self.k} personer visas som '..' "
                                "(och en till där summan annars avslöjar dem).",) if self.suppress else ())
        table = with_sums(replace(table, synthetic=self.synthetic, notes=notes), count_columns=count_columns,
                          total_row=total_row, total_column=total_column)
        if not self.suppress:
            return table
        return suppress(table, self.k, derived=derived)

    @staticmethod
    def period_note(where: ReportFilter, what: str = "inskrivningsdatum") -> tuple[str, ...]:
        if where.period:
            return (f"Period ({what}): {where.period[0]} – {where.period[1]}.",)
        return ()

    def _stage_key(self, stage: str) -> int:
        order = self.profile.stage_order
        return order.index(stage) if stage in order else len(order)

    # ------------------------------------------------------------------------------------- reports

    def funnel(self, where: ReportFilter | None = None) -> Table:
        """R12: how many cases reached each stage."""
        where = where or ReportFilter()
        sql, args = self.sql.cases(where, enrolled=False)
        scope, scope_args = self.sql.scope("j", where)
        reached: dict[str, int] = dict(self.store.query(
            f"WITH s(process_id, element_id, stage) AS ({stage_map(self.definitions)}) "
            f"SELECT s.stage, count(DISTINCT j.case_id) "
            f"FROM journal j JOIN s ON s.process_id = j.process_id AND s.element_id = j.element_id "
            f"WHERE j.kind = 'task_ready'{scope} GROUP BY s.stage", scope_args))
        has_result = "result" in self.sql.columns
        referred, enrolled, result = self.store.query(
            f"SELECT count(*), count(enrolled), {'sum(result)' if has_result else 'NULL'} FROM ({sql}) x", args)[0]
        rows: list[tuple[Code | str, int]] = [("Remitterade / förfrågningar", referred),
                                              ("Inskrivna (överenskommelse)", enrolled)]
        rows += [(self.profile.code("stage", stage, "Nådde steget: "), reached[stage])
                 for stage in sorted(reached, key=lambda s: (self._stage_key(s), s))]
        if has_result:
            rows.append((self.profile.result_label, int(result or 0)))
        return self.finish(Table("funnel", "Tratt: hur många ärenden nådde varje steg", ("Steg", "Ärenden"),
                                 tuple(rows), self.period_note(where, "remissdatum")), count_columns=(1,))

    def stage_durations(self, where: ReportFilter | None = None) -> Table:
        """Days per case in each stage (first task ready to last task done): median and quartiles."""
        where = where or ReportFilter()
        scope, args = self.sql.scope("d", where)
        day = self.store.day_number("d.at")
        per_case = (f"WITH s(process_id, element_id, stage) AS ({stage_map(self.definitions)}) "
                    f"SELECT s.stage AS name, max({day}) - min({day} - d.duration / 86400.0) AS days FROM journal d "
                    f"JOIN s ON s.process_id = d.process_id AND s.element_id = d.element_id "
                    f"WHERE d.kind = 'task_completed' AND d.duration IS NOT NULL{scope} GROUP BY d.case_id, s.stage")
        rows = [(self.profile.code("stage", stage), *rest) for stage, *rest in
                sorted(self.sql.quartiles(per_case, args), key=lambda r: (self._stage_key(r[0]), r[0]))]
        return self.finish(Table("stage_durations", "Tid per steg (dagar per ärende)",
                                 ("Steg", "Ärenden", "Median", "Kvartil 1", "Kvartil 3"), tuple(rows),
                                 self.period_note(where, "remissdatum")), count_columns=(1,))

    def task_durations(self, where: ReportFilter | None = None) -> Table:
        """Days from a task being ready to being done, per task: median and quartiles."""
        where = where or ReportFilter()
        scope, args = self.sql.scope("d", where)
        per_task = (f"SELECT d.element_name AS name, d.duration / 86400.0 AS days FROM journal d "
                    f"WHERE d.kind = 'task_completed' AND d.duration IS NOT NULL{scope}")
        return self.finish(Table("task_durations", "Tid per uppgift (dagar från redo till klar)",
                                 ("Uppgift", "Antal", "Median", "Kvartil 1", "Kvartil 3"),
                                 tuple(sorted(self.sql.quartiles(per_task, args))),
                                 self.period_note(where, "remissdatum")), count_columns=(1,))

    def caseload(self, where: ReportFilter | None = None) -> Table:
        """R8 / IPS-25 item 1: active cases per actor per month (an actor's case in a month = one they acted on)."""
        where = where or ReportFilter()
        spec = self.profile.caseload
        scope, args = self.sql.scope("j", where)
        lane: list[Any] = [] if spec.lane is None else [spec.lane]
        month = self.store.month("j.at")
        rows = self.store.query(
            f"SELECT j.actor, {month}, count(DISTINCT j.case_id) FROM journal j "
            f"WHERE j.kind = 'task_completed'{' AND j.lane = ?' if lane else ''} AND j.actor IS NOT NULL{scope} "
            f"GROUP BY j.actor, {month} ORDER BY 1, 2", lane + args)
        return self.finish(Table("caseload", spec.title, (spec.actor_label, "Månad", "Ärenden"), tuple(rows),
                                 spec.notes), count_columns=(2,))

    def open_incidents(self, where: ReportFilter | None = None) -> Table:
        """Active cases that cannot advance on their own now, per process, element and kind (the HTML report
        shows it so that a manager sees what waits for someone to mend it). Counts of cases stuck at a
        step say nothing about the people in them: not suppressed."""
        where = where or ReportFilter()
        sql = ("SELECT c.process_id, c.incident_process, c.incident_element, c.incident_kind, count(*), "
               f"min({self.store.ts_text('c.incident_since')}) FROM cases c "
               "WHERE c.status = 'active' AND c.incident_since IS NOT NULL")
        args: list[Any] = []
        if where.process_id is not None:
            sql += " AND c.process_id = ?"
            args.append(where.process_id)
        names = {ref: info.label for d in self.definitions for ref, info in d.elements.items()}
        kinds = {"stalled": "Fastnat (inget kan föra det vidare)", "failed": "Steget misslyckas (försök slut)"}
        rows = tuple((process, names.get((inner, element), element or "–"),
                      kinds.get(kind or "stalled", kind), int(n), str(since)[:16].replace("T", " "))
                     for process, inner, element, kind, n, since in self.store.query(
                         sql + " GROUP BY c.process_id, c.incident_process, c.incident_element, c.incident_kind "
                         "ORDER BY 6, 1, 3", args))
        notes = ("Visa ärendena med: sedflow incidents; åtgärda med sedflow incident retry|resolve.",)
        return replace(Table("open_incidents", "Öppna incidenter: ärenden som inte kan gå vidare av sig själva",
                             ("Process", "Steg", "Slag", "Ärenden", "Äldsta sedan (UTC)"), rows, notes),
                       synthetic=self.synthetic)

    # ------------------------------------------------------------------------------------- heatmap

    def element_counts(self, where: ReportFilter | None = None) -> tuple[dict[ElementRef, int], dict[ElementRef, int]]:
        """For the heatmaps: cases waiting at each element now, and times each element was done in the period.

        Keyed by (process, element): an element id is unique only within its process. The filter's cases
        are counted (its period applies to when an element was done, not to the case); waiting is now.
        """
        where = where or ReportFilter()
        scope, args = self.sql.scope("t", replace(where, period=None))
        waiting = {ElementRef(p, e): int(n) for p, e, n in self.store.query(
            f"SELECT t.process_id, t.element_id, count(*) FROM open_tasks t WHERE 1 = 1{scope} "
            f"GROUP BY t.process_id, t.element_id", args)}
        kinds = ", ".join(quote(kind) for kind in DONE_KINDS)
        sql, done_args = f"SELECT j.process_id, j.element_id, count(*) FROM journal j WHERE j.kind IN ({kinds})", []
        if where.period:
            sql += f" AND substr({self.store.ts_text('j.at')}, 1, 10) BETWEEN ? AND ?"
            done_args += [where.period[0].isoformat(), where.period[1].isoformat()]
        scope, scope_args = self.sql.scope("j", replace(where, period=None))
        done = {ElementRef(p, e): int(n) for p, e, n in self.store.query(
            f"{sql}{scope} GROUP BY j.process_id, j.element_id", done_args + scope_args)}
        return waiting, done
