"""One exception hierarchy for everything sedflow raises.

Callers (the CLI above all) catch ``SedflowError`` and print its message; anything else escaping the
library is a bug. Each error carries the coordinates a user needs to act on it (file, element, line,
field, case) so the message can name them, and keeps the error underneath as its ``__cause__``.
The CLI exits with the error's ``exit_code``::

    SedflowError                  1  anything else sedflow refuses
    ├── DefinitionError           3  a diagram is unsafe, invalid or cannot run (.file .element .line)
    ├── ExpressionError           3  an expression is outside the safe language, or failed
    ├── NotFoundError             4  no such thing
    │   ├── UnknownProcessError
    │   ├── UnknownCaseError
    │   ├── UnknownVersionError
    │   ├── UnknownTaskError
    │   ├── UnknownExternalTaskError   no external task has this id (done, or never was)
    │   └── NoMatchingCaseError        no case waits for the message (or several do)
    ├── TaskDataError             5  data does not fit the form (.field .element)
    ├── CaseStateError            6  not in the case's state (it has ended, ...)
    │   ├── MigrationRefusedError      the migration policy refuses (.plan)
    │   └── DuplicateCaseError         the participant already has an active case of the process (.case_id)
    ├── RecordConflictError       7  someone else changed the case first: reload and retry
    │   └── ExternalTaskLockError      the worker does not hold the external task's lock (lapsed, foreign)
    ├── StoreError                8  the store cannot be opened, has the wrong schema, or failed
    │   └── ConnectionLostError        the server dropped the connection mid-transaction (.in_commit)
    ├── EngineError               9  SpiffWorkflow failed during a step (nothing was written)
    └── ReportError              10  a report cannot be computed as asked

Exit code 2 is click's: a usage error on the command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runtime.migration import MigrationPlan


class SedflowError(Exception):
    """Root of every error sedflow raises on purpose."""

    #: Process exit code the CLI uses for this kind of error.
    exit_code = 1


class DefinitionError(SedflowError):
    """A diagram is unsafe, invalid or cannot be executed.

    ``problems`` holds every problem found (validation collects them all), the message names the first.
    """

    exit_code = 3

    def __init__(self, message: str, *, file: str | None = None, element: str | None = None,
                 line: int | None = None, problems: Sequence[DefinitionError] | None = None):
        self.file = file
        self.element = element
        self.line = line
        self.detail = message
        self.problems: list[DefinitionError] = list(problems) if problems else [self]
        super().__init__(self.location() + message)

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        if self.element:
            parts.append(f"element '{self.element}'")
        return (", ".join(parts) + ": ") if parts else ""

    @classmethod
    def collect(cls, problems: Sequence[DefinitionError]) -> DefinitionError:
        """One error for several problems: the first one's message and place, and all of them."""
        first = problems[0]
        more = len(problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        return cls(first.detail + extra, file=first.file, element=first.element, line=first.line,
                   problems=problems)


class ExpressionError(SedflowError):
    """An expression is outside the safe expression language, or failed when evaluated."""

    exit_code = 3


class NotFoundError(SedflowError):
    """The process, case, version or task named does not exist (or the name is ambiguous)."""

    exit_code = 4


class UnknownProcessError(NotFoundError):
    """No loaded or deployed process has this id."""


class UnknownCaseError(NotFoundError):
    """No case has this id."""


class UnknownVersionError(NotFoundError):
    """No definition version matches (or a version prefix matches several)."""


class UnknownTaskError(NotFoundError):
    """The task named is not ready in the case (or the name is ambiguous)."""


class UnknownExternalTaskError(NotFoundError):
    """No external task has this id: it was completed, its case moved on, or it never existed."""


class NoMatchingCaseError(NotFoundError):
    """No case waits for the message sent (or more than one does, and the sender must say which)."""


class TaskDataError(SedflowError):
    """Submitted data does not fit the task's form; ``field`` names the offending field."""

    exit_code = 5

    def __init__(self, message: str, *, field: str | None = None, element: str | None = None):
        self.field = field
        self.element = element
        super().__init__(message)


class CaseStateError(SedflowError):
    """The operation does not apply to the case in its current state (e.g. it has ended)."""

    exit_code = 6


class MigrationRefusedError(CaseStateError):
    """The migration policy refuses to move the case to the new version; ``plan.reasons`` say why."""

    def __init__(self, message: str, plan: MigrationPlan):
        self.plan = plan
        super().__init__(message)


class DuplicateCaseError(CaseStateError):
    """A case would start for a participant who already has one running in that process (``case_id``).

    Reports count cases, so a second active case counts the person twice; ``allow_concurrent=True``
    (CLI ``--allow-concurrent``) starts it anyway for the rare real need."""

    def __init__(self, message: str, case_id: str):
        self.case_id = case_id
        super().__init__(message)


class RecordConflictError(SedflowError):
    """Another writer changed the case first (optimistic version check failed).

    Nothing of the losing operation was written; reload the case and try again.
    """

    exit_code = 7


class ExternalTaskLockError(RecordConflictError):
    """A worker reported on an external task whose lock it does not hold: it never fetched it, its lease
    lapsed, or another worker holds it now. Nothing was written; fetch the task again."""


class StoreError(SedflowError):
    """The store cannot be opened, has the wrong schema, or failed underneath."""

    exit_code = 8


class ConnectionLostError(StoreError):
    """The database server dropped the connection while a write transaction was open.

    ``in_commit`` False: it was lost before the commit was sent, so nothing was written and the writes
    may be made again. True: it was lost during the commit, whose outcome is unknown until the written
    rows are read back (``Engine`` does so before it retries a step)."""

    def __init__(self, message: str, *, in_commit: bool):
        self.in_commit = in_commit
        super().__init__(message)


class EngineError(SedflowError):
    """SpiffWorkflow failed while running a case step; the step was not committed. ``element`` is the
    diagram element it failed at, when known."""

    exit_code = 9

    def __init__(self, message: str, *, element: str | None = None):
        self.element = element
        super().__init__(message)


class ReportError(SedflowError):
    """A report cannot be computed as asked (unknown report, suppression refused, bad parameter)."""

    exit_code = 10
