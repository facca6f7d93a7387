"""``sedflow demo``: synthetic participants run through a programme into the store.

The scenarios offered are the programme profile's (``sedflow.simulation`` runs them).
"""

from __future__ import annotations

import shlex

import click
from sedflow import ManualClock
from sedflow.programmes.se import PROFILE

from ..context import Settings, pass_settings


@click.command()
@click.option("--participants", default=50, show_default=True, help="How many synthetic participants.")
@click.option("--seed", default=1, show_default=True)
@click.option("--process", "process_id", default="supported_employment", show_default=True,
              help="The programme to run (see 'sedflow processes list').")
@click.option("--scenario", type=click.Choice(list(PROFILE.simulation.scenarios) if PROFILE.simulation else []),
              help="Reproduce a source report's figures instead of drawing at random.")
@pass_settings
def demo(settings: Settings, participants: int, seed: int, process_id: str, scenario: str | None) -> None:
    """Run synthetic participants through a programme into the store (created if missing; flagged synthetic)."""
    from sedflow.simulation import run_demo, run_scenario
    engine = settings.engine(create=True, clock=ManualClock("2000-01-03T08:00:00+00:00" if scenario
                                                            else "2025-01-06T08:00:00+00:00"))
    if scenario:
        result = run_scenario(engine, scenario, seed=seed)
        click.echo(f"scenario {scenario}: {len(result.cases)} participants, {result.steps} steps, store "
                   f"{engine.store.url}")
        if result.period:
            store = f" --store {shlex.quote(settings.store_url)}" if settings.store_url else ""
            click.echo(f"report with: sedflow{store} report outcomes_by_gender --rule {result.rule} "
                       f"--from {result.period[0]} --to {result.period[1]}")
    else:
        result = run_demo(engine, process_id=process_id, participants=participants, seed=seed)
        click.echo(f"{process_id}: {participants} participants, {result.steps} steps, store {engine.store.url}")
    click.echo("cases by status:  " + ", ".join(f"{k} {v}" for k, v in sorted(result.by_status.items())))
    click.echo("cases by outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(result.by_outcome.items())))
