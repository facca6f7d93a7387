"""Manual check: does the HTML report render readably in a real browser?

Builds a small report with the library's own renderers and hand-made numbers (no store needed):
an outcome table (women/men/total, two cells suppressed, marked synthetic) with its bar chart, and
the Camunda-style heatmap of the Supported Employment process drawn from its diagram. Writes it to a
fresh temporary directory and screenshots it with headless Chromium; then LOOK at the picture:

* the red banner "SYNTETISKA DATA – ej för publicering" at the top, the title and date under it;
* the table with ".." in the two suppressed cells and the footnote "..: färre än k personer";
* the bar chart: three coloured bars per outcome, no bar and ".." where a cell is suppressed, the
  pale red watermark across it;
* the heatmap at its natural size in a scroll box: pool, four lanes with their names turned on the
  side, tasks with readable Swedish names, gateways with X/+, the timer's clock, arrows, a red glow
  behind busy steps, blue "waiting" badges top left and grey "completed" badges bottom right.

Needs Chromium (Debian: ``apt-get install -y chromium``) and matplotlib. The browser runs with a
throwaway profile, no network services, no GPU; the page itself loads nothing and runs no script.

Run: python bench/browser_check.py [--out /tmp/sedflow_report_screenshot.png] [--window 1400,2400]
     [--chromium /usr/bin/chromium] [--keep]   (keep: leave the HTML next to the screenshot)
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sedflow import PROCESSES_DIR, load_directory
from sedflow.reports.charts import bar_chart
from sedflow.reports.heatmap import heatmap_svg
from sedflow.reports.html import render_html
from sedflow.reports.privacy import suppress
from sedflow.reports.table import Table

OUTCOMES = suppress(Table(
    id="outcomes_by_gender", title="Utfall vid avslut efter kön, första halvåret 2026",
    columns=("Utfall", "Kvinnor", "Män", "Totalt"),
    rows=(("Anställning", 12, 9, 21), ("Studier", 4, 2, 6), ("Fortsatt insats hos AF", 6, 1, 7),
          ("Annan planering", 2, 5, 7)),
    notes=("Avslutade ärenden 2026-01-01–2026-06-30, räknade per ärende vid avslutet.",
           "Celler med färre än k personer visas inte."),
    synthetic=True), 3, count_columns=(1, 2, 3), total_column=True)

WAITING = {"first_contact": 7, "information_dialogue": 5, "participant_decision": 3, "agreement": 4,
           "vocational_profile": 12, "supported_training_period": 2, "job_search": 31, "employer_engagement": 6,
           "followup_due": 40, "support_followup": 18, "study_application": 1}
COMPLETED = {"referral_received": 150, "first_contact": 148, "gw_info_merge": 190, "information_dialogue": 186,
             "gw_more_information": 186, "participant_decision": 140, "gw_chooses_se": 140, "end_not_enrolled": 14,
             "agreement": 126, "gw_followup_fork": 126, "network_mapping": 120, "vocational_profile": 131,
             "gw_basis_sufficient": 131, "supported_training_period": 9, "work_placement": 6, "job_search": 88,
             "employer_engagement": 39, "employment_start": 38, "study_application": 11, "study_start": 7,
             "monthly_followup": 610, "followup_due": 612, "support_followup": 240, "support_period": 22,
             "taper_off": 20, "planned_closure": 21, "end_employment": 17, "end_studies": 3, "end_withdrawn": 9}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def build_report() -> str:
    se = load_directory(PROCESSES_DIR).get("supported_employment")
    heatmap = heatmap_svg(se, waiting=WAITING, completed=COMPLETED,
                          title="Supported Employment – väntande nu och avslutade under perioden")
    return render_html([OUTCOMES], title="Supported Employment – halvårsrapport 2026",
                       charts={OUTCOMES.id: bar_chart(OUTCOMES, fmt="png")},
                       heatmaps={"Supported Employment": heatmap},
                       generated_at=dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC), synthetic=True)


def screenshot(chromium: str, page: Path, out: Path, window: str) -> None:
    with tempfile.TemporaryDirectory(prefix="sedflow-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={window}",
               f"--screenshot={out}", page.as_uri()]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or not out.exists():
        sys.exit(f"chromium failed ({result.returncode}):\n{result.stderr[-2000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/sedflow_report_screenshot.png")
    ap.add_argument("--window", default="1400,2400", help="width,height in CSS pixels")
    ap.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser")
                    or shutil.which("google-chrome"))
    ap.add_argument("--keep", action="store_true", help="also copy report.html next to the screenshot")
    args = ap.parse_args()
    if not args.chromium:
        sys.exit("no Chromium found: apt-get install -y chromium (or pass --chromium PATH)")
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory(prefix="sedflow-report-") as tmp:
        page = Path(tmp) / "report.html"
        html = build_report()
        page.write_text(html, encoding="utf-8")
        shot = Path(tmp) / "screenshot.png"
        screenshot(args.chromium, page, shot, args.window)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, out)
        if args.keep:
            shutil.copyfile(page, out.with_suffix(".html"))
    print(f"report: {len(html.encode()) / 1024:.0f} KiB of HTML (chart and heatmap inside)")
    print(f"screenshot: {out} ({out.stat().st_size / 1024:.0f} KiB, window {args.window}) - now look at it")


if __name__ == "__main__":
    main()
