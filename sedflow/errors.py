"""One exception hierarchy for everything sedflow raises.

Callers (the CLI above all) catch ``SedflowError`` and print its message; anything else escaping the
library is a bug. Each error carries the coordinates a user needs to act on it (file, element, line,
field, case) so the message can name them.
"""

from __future__ import annotations


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
                 line: int | None = None, problems: list["DefinitionError"] | None = None):
        self.file = file
        self.element = element
        self.line = line
        self.detail = message
        self.problems = problems or [self]
        super().__init__(self.location() + message)

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        if self.element:
            parts.append(f"element '{self.element}'")
        return (", ".join(parts) + ": ") if parts else ""


class ExpressionError(SedflowError):
    """An expression is outside the safe expression language, or failed when evaluated."""

    exit_code = 3


class UnknownProcessError(SedflowError):
    exit_code = 4


class UnknownCaseError(SedflowError):
    exit_code = 4


class UnknownVersionError(SedflowError):
    """No definition version matches (or a version prefix matches several)."""

    exit_code = 4


class UnknownTaskError(SedflowError):
    """The task named is not ready in the case (or the name is ambiguous)."""

    exit_code = 4


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

    def __init__(self, message: str, plan: object):
        self.plan = plan
        super().__init__(message)


class RecordConflictError(SedflowError):
    """Another writer changed the case first (optimistic version check failed).

    Nothing of the losing operation was written; reload the case and try again.
    """

    exit_code = 7


class StoreError(SedflowError):
    """The store cannot be opened, has the wrong schema, or failed underneath."""

    exit_code = 8


class EngineError(SedflowError):
    """SpiffWorkflow failed while running a case step; the step was not committed."""

    exit_code = 9
