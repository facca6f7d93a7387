"""``sedflow``: start, inspect and advance cases from a terminal.

The root group: the global options, the table of commands (each imported only when it runs, see
``lazy``), and errors. A ``SedflowError`` prints one line to stderr and exits with the error's code
(see ``sedflow --help``); ``--debug`` shows the traceback instead. The commands live in
``sedflow_cli.commands``, one module per group or topic; they read the command line with ``params``,
print with ``render`` and get the store and engine from ``context.Settings``.
"""

from __future__ import annotations

from typing import Any

import click

from .context import Settings
from .lazy import LazyCommand, LazyGroup

#: The exit codes, as the tree in ``sedflow.errors`` assigns them (2 is click's).
EXIT_CODES = """Exit codes: 0 ok, 1 other error, 2 usage (a bad command line), 3 invalid diagram or expression,
4 unknown process/case/version/task, 5 invalid task data, 6 not in the case's state (it has ended, a migration
was refused), 7 conflict (someone else changed the case first: reload and retry), 8 store problem, 9 engine
failure (a step or a tick failed), 10 report cannot be computed as asked."""

_COMMANDS = "sedflow_cli.commands"

#: Every command: where it lives and the short help ``sedflow --help`` lists (a test keeps them in step).
COMMANDS = {
    "init": LazyCommand(f"{_COMMANDS}.store.init", "Create the store (default ./sedflow.db)."),
    "store": LazyCommand(f"{_COMMANDS}.store.store", "The store: schema version, upgrades, checks and retention."),
    "participant": LazyCommand(f"{_COMMANDS}.participant.participant", "A participant's data across their cases."),
    "processes": LazyCommand(f"{_COMMANDS}.processes.processes", "The process definitions (diagrams)."),
    "case": LazyCommand(f"{_COMMANDS}.case.case", "Start, inspect and advance cases."),
    "message": LazyCommand(f"{_COMMANDS}.message.message", "Deliver a message to the case waiting for it."),
    "signal": LazyCommand(f"{_COMMANDS}.signal.signal", "Throw a signal to every case waiting for it."),
    "incidents": LazyCommand(f"{_COMMANDS}.incident.incidents", "Open incidents: cases that cannot advance on their "
                             "own, where and why."),
    "incident": LazyCommand(f"{_COMMANDS}.incident.incident", "Retry or resolve a case's incident."),
    "tasks": LazyCommand(f"{_COMMANDS}.tasks.tasks", "The work queue: ready tasks across all cases."),
    "worker": LazyCommand(f"{_COMMANDS}.worker.worker", "Fetch external tasks of each --topic and run CMD for "
                          "each (until interrupted, or --once)."),
    "external-tasks": LazyCommand(f"{_COMMANDS}.worker.external_tasks", "The external tasks cases wait for "
                                  "workers at, oldest first: lock, retries left, last error."),
    "tick": LazyCommand(f"{_COMMANDS}.time.tick",
                        "Fire every timer that is due, across all cases (run it from cron or a scheduler)."),
    "due": LazyCommand(f"{_COMMANDS}.time.due",
                       "What is due per case: tasks ready now and timers coming up (the coach's work queue)."),
    "report": LazyCommand(f"{_COMMANDS}.report.report", "Run report NAME ('all' for every one), or 'html OUT_DIR' "
                          "for the HTML report with charts and heatmap."),
    "export": LazyCommand(f"{_COMMANDS}.report.export",
                          "Export the journal as an event log: IEEE XES, or OCEL 2.0 (JSON), for process mining."),
    "events": LazyCommand(f"{_COMMANDS}.events.events", "The journal as an event feed, by cursor or for a named "
                          "consumer (acknowledged as printed)."),
    "demo": LazyCommand(f"{_COMMANDS}.demo.demo", "Run synthetic participants through a programme into the store "
                        "(created if missing; flagged synthetic)."),
}


#: The root options, and whether each takes a value: accepted after the subcommand too (``sedflow demo
#: --store x.db`` is ``sedflow --store x.db demo``), since people put them where they think of them.
GLOBAL_OPTIONS = {"--store": True, "--processes": True, "--debug": False}


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with every root option (and its value) moved to the front, in the order given; nothing
    after a ``--`` is touched."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            takes_value = GLOBAL_OPTIONS[name] and "=" not in arg and i + 1 < len(args)
            front += args[i:i + 1 + takes_value]
            i += 1 + takes_value
            continue
        rest.append(arg)
        i += 1
    return front + rest


class SedflowGroup(LazyGroup):
    """The root group: takes the root options anywhere on the line, and turns a SedflowError into one line
    on stderr and its exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))

    def invoke(self, ctx: click.Context) -> Any:
        from sedflow import DefinitionError, SedflowError, TaskDataError, printable
        try:
            return super().invoke(ctx)
        except SedflowError as exc:
            if isinstance(exc, TaskDataError) and exc.field == "expected_revision":  # the caller's slip: usage
                raise click.BadParameter(str(exc), param_hint="--expect-revision") from exc
            if ctx.params.get("debug"):
                raise
            problems = exc.problems if isinstance(exc, DefinitionError) else [exc]
            for problem in problems:  # one line each, whatever the message quotes
                click.echo(f"error: {printable(str(problem))}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:  # it quotes what was typed: no control character goes out raw
            shown = printable(exc.format_message())
            if shown == exc.format_message():
                raise
            raise click.UsageError(shown, ctx=exc.ctx) from exc


@click.group(cls=SedflowGroup, lazy_subcommands=COMMANDS, epilog=EXIT_CODES)
@click.option("--store", envvar="SEDFLOW_STORE", metavar="PATH|URL",
              help="The store: a file path, sqlite:///PATH, or postgresql://USER@HOST[:PORT]/DB[?schema=S] "
                   "[env SEDFLOW_STORE; default ./sedflow.db].")
@click.option("--processes", envvar="SEDFLOW_PROCESSES", metavar="DIR",
              help="Directory of .bpmn diagrams [env SEDFLOW_PROCESSES; default: the shipped ones].")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="sedflow")
@click.pass_context
def main(ctx: click.Context, store: str | None, processes: str | None, debug: bool) -> None:
    """Supported Employment programmes as BPMN processes: one case per participant."""
    ctx.obj = Settings(ctx, store, processes)


if __name__ == "__main__":
    main()
