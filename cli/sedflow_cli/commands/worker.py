"""``sedflow worker``: an external-task worker that runs a program per task (``sedflow.worker.run``), and
``sedflow external-tasks``: the tasks cases wait for workers at (``Engine.external_tasks``).

The program gets the task's variables as a JSON object on stdin (and the task in ``SEDFLOW_TASK_ID``,
``SEDFLOW_TOPIC``, ``SEDFLOW_CASE_ID``, ``SEDFLOW_ELEMENT_ID``) and prints the variables to complete it
with as a JSON object on stdout (nothing: none). A non-zero exit is a failure whose error is its stderr;
so is output that is not a JSON object, or running past the lease.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from .. import render
from ..context import Settings, pass_settings
from ..params import json_option, parse_duration

if TYPE_CHECKING:
    from sedflow import LockedTask


class ProgramFailed(Exception):
    """The program a worker runs exited non-zero, or printed something other than a JSON object."""


@click.command("worker")
@click.option("--topic", "topics", multiple=True, required=True, help="A topic to fetch tasks of (repeatable).")
@click.option("--exec", "command", required=True, metavar="CMD",
              help="The program to run per task: variables as JSON on stdin, variables as JSON on stdout.")
@click.option("--lease", callback=parse_duration, default="5m", show_default=True,
              help="How long a fetched task is this worker's: 30m, 1h, PT10M.")
@click.option("--max-tasks", type=click.IntRange(min=1), default=1, show_default=True,
              help="Tasks fetched at a time.")
@click.option("--poll-interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between fetches when there is nothing to do.")
@click.option("--retries", type=click.IntRange(min=1), default=3, show_default=True,
              help="Attempts a task gets before it is given up (an incident).")
@click.option("--worker-id", help="Who this worker is to the store (default host:pid).")
@click.option("--once", is_flag=True, help="Handle what is there to fetch now, then exit.")
@pass_settings
def worker(settings: Settings, topics: tuple[str, ...], command: str, lease: timedelta, max_tasks: int,
           poll_interval: float, retries: int, worker_id: str | None, once: bool) -> None:
    """Fetch external tasks of each --topic and run CMD for each (until interrupted, or --once)."""
    from sedflow.worker import run
    argv = shlex.split(command)
    if not argv:
        raise click.UsageError("--exec needs a program to run")

    def program(task: LockedTask) -> dict[str, Any]:
        env = {**os.environ, "SEDFLOW_TASK_ID": task.id, "SEDFLOW_TOPIC": task.topic,
               "SEDFLOW_CASE_ID": task.case_id, "SEDFLOW_ELEMENT_ID": task.element_id}
        try:
            done = subprocess.run(argv, input=json.dumps(task.variables), capture_output=True, text=True, env=env,
                                  timeout=lease.total_seconds(), check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ProgramFailed(f"{argv[0]}: {exc}") from exc
        if done.returncode != 0:
            raise ProgramFailed(done.stderr.strip() or f"{argv[0]} exited with {done.returncode}")
        try:
            out = json.loads(done.stdout) if done.stdout.strip() else {}
        except ValueError as exc:
            raise ProgramFailed(f"{argv[0]} printed no JSON object: {done.stdout[:200]!r}") from exc
        if not isinstance(out, dict):
            raise ProgramFailed(f"{argv[0]} printed {type(out).__name__}, not a JSON object of variables")
        return out

    handled = run(settings.engine(), dict.fromkeys(topics, program), worker_id=worker_id, lease=lease,
                  poll_interval=poll_interval, max_tasks=max_tasks, retries=retries, once=once)
    if once:
        click.echo(f"{handled} task{'s' if handled != 1 else ''} handled")


@click.command("external-tasks")
@click.option("--topic", help="Only tasks of this topic.")
@click.option("--case", "case_id", help="Only this case's tasks.")
@json_option
@pass_settings
def external_tasks(settings: Settings, topic: str | None, case_id: str | None, as_json: bool) -> None:
    """The external tasks cases wait for workers at, oldest first: lock, retries left, last error."""
    rows = settings.engine().external_tasks(topic, case_id)
    fields = ("id", "case_id", "element_id", "process_id", "topic", "created_at", "lock_owner", "lock_until",
              "retries", "error_message", "retry_at")

    def text() -> None:
        for r in rows:
            lock = f"locked by {r.lock_owner} until {r.lock_until:%Y-%m-%d %H:%M}" if r.lock_owner and r.lock_until \
                else "free"
            tried = f"  retries {r.retries}: {r.error_message}" if r.retries is not None else ""
            click.echo(f"{r.id}  {r.topic}  case {r.case_id}  {r.element_id}  {lock}{tried}")

    render.emit([{f: getattr(r, f) for f in fields} for r in rows], as_json, text)
