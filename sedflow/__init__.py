"""sedflow: Supported Employment programmes as BPMN processes, one durable case per participant.

The public API is what this module exports; everything else is an implementation detail.

    from sedflow import Engine, load_directory, open_store, PROCESSES_DIR
    engine = Engine(open_store("sedflow.db", create=True), load_directory(PROCESSES_DIR))
    case = engine.start_case("supported_employment", "p-0001", {...})
"""

from pathlib import Path

from .clock import Clock, ManualClock, SystemClock
from .definitions import Definitions, ElementInfo, Form, FormField, ProcessDefinition, load_directory, load_files
from .definitions.changes import DefinitionChanges, ElementChange, diff_definitions
from .errors import (CaseStateError, DefinitionError, EngineError, ExpressionError, MigrationRefusedError,
                     RecordConflictError, SedflowError, StoreError, TaskDataError, UnknownCaseError,
                     UnknownProcessError, UnknownTaskError, UnknownVersionError)
from .journal import JournalEntry
from .runtime import WITHDRAWAL_MESSAGE, Case, Deployment, Engine, MigrationPlan, TaskView, TickResult
from .store import SQLiteStore, Store, open_store


def _processes_dir() -> Path:
    """The diagrams shipped with sedflow: package data when installed, ``processes/`` in a source checkout."""
    packaged = Path(__file__).parent / "processes"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "processes"


#: The diagrams shipped with sedflow.
PROCESSES_DIR = _processes_dir()

__all__ = [
    "PROCESSES_DIR", "WITHDRAWAL_MESSAGE", "Case", "CaseStateError", "Clock", "DefinitionChanges", "DefinitionError",
    "Definitions", "Deployment", "ElementChange", "ElementInfo", "Engine", "EngineError", "ExpressionError", "Form",
    "FormField", "JournalEntry", "ManualClock", "MigrationPlan", "MigrationRefusedError", "ProcessDefinition",
    "RecordConflictError", "SQLiteStore", "SedflowError", "Store", "StoreError", "SystemClock", "TaskDataError",
    "TaskView", "TickResult", "UnknownCaseError", "UnknownProcessError", "UnknownTaskError", "UnknownVersionError",
    "diff_definitions", "load_directory", "load_files", "open_store",
]
