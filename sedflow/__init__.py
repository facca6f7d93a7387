"""sedflow: Supported Employment programmes as BPMN processes, one durable case per participant.

The public API is what this module exports; everything else is an implementation detail.

    from sedflow import Engine, load_directory, open_store, PROCESSES_DIR
    from sedflow.programmes.se import PROFILE          # the Supported Employment programme
    engine = Engine(open_store("sedflow.db", create=True), load_directory(PROCESSES_DIR), profile=PROFILE)
    case = engine.start_case("supported_employment", "p-0001", {...})
"""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .bpmn import ElementRef
from .clock import Clock, ManualClock, SystemClock, add_duration
from .definitions import Definitions, ElementInfo, Form, FormField, ProcessDefinition, load_directory, load_files
from .definitions.changes import DefinitionChanges, ElementChange, diff_definitions
from .errors import (
    CaseStateError,
    ConnectionLostError,
    DefinitionError,
    DuplicateCaseError,
    EngineError,
    ExpressionError,
    ExternalTaskLockError,
    MigrationRefusedError,
    NoMatchingCaseError,
    NotFoundError,
    RecordConflictError,
    ReportError,
    SedflowError,
    StoreError,
    TaskDataError,
    UnknownCaseError,
    UnknownExternalTaskError,
    UnknownProcessError,
    UnknownTaskError,
    UnknownVersionError,
)
from .journal import JournalEntry, JournalKind
from .profile import GENERIC, DomainRules, Profile, PropertyRule
from .runtime import (
    Anonymised,
    Case,
    Consumer,
    Deployment,
    Engine,
    ImportResult,
    IncidentView,
    LockedTask,
    MigrationPlan,
    RetryPolicy,
    SignalResult,
    Skipped,
    TaskView,
    TickResult,
)
from .store import (
    SCHEMA_VERSION,
    CaseStatus,
    ErasureRecord,
    ExternalTaskRecord,
    Incident,
    IncidentKind,
    OpenKind,
    SQLiteStore,
    Store,
    open_store,
)
from .text import MAX_TEXT, parse_json, printable


def _processes_dir() -> Path:
    """The diagrams shipped with sedflow: package data when installed, ``processes/`` in a source checkout."""
    packaged = Path(__file__).parent / "processes"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "processes"


#: The diagrams shipped with sedflow.
PROCESSES_DIR = _processes_dir()

try:
    __version__ = version("sedflow")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "GENERIC", "MAX_TEXT", "PROCESSES_DIR", "SCHEMA_VERSION", "Anonymised", "Case", "CaseStateError", "CaseStatus",
    "Clock", "ConnectionLostError", "Consumer", "DuplicateCaseError", "ErasureRecord", "ImportResult",
    "DefinitionChanges", "DefinitionError", "Definitions", "Deployment", "DomainRules", "ElementChange",
    "ElementInfo", "ElementRef", "Engine", "EngineError", "ExpressionError", "ExternalTaskLockError",
    "ExternalTaskRecord", "LockedTask", "UnknownExternalTaskError", "Form", "FormField", "Incident",
    "IncidentKind", "IncidentView", "JournalEntry",
    "JournalKind", "ManualClock", "MigrationPlan", "MigrationRefusedError", "NotFoundError", "OpenKind",
    "ProcessDefinition", "Profile", "PropertyRule", "RecordConflictError", "ReportError", "RetryPolicy", "SQLiteStore",
    "SedflowError", "SignalResult", "Skipped", "Store", "StoreError", "SystemClock", "TaskDataError", "TaskView",
    "TickResult",
    "NoMatchingCaseError", "UnknownCaseError", "UnknownProcessError", "UnknownTaskError", "UnknownVersionError",
    "add_duration",
    "diff_definitions", "load_directory", "load_files", "open_store", "parse_json", "printable",
]
