"""The runtime: cases run durably, one workflow per participant, on versions deployed in the store."""

from .engine import Engine
from .external import LockedTask
from .feed import Consumer
from .importing import ImportResult, Skipped
from .migration import Deployment, MigrationPlan
from .retention import Anonymised
from .scheduler import RetryPolicy, TickResult
from .signals import SignalResult
from .views import Case, IncidentView, TaskView

__all__ = ["Anonymised", "Case", "Consumer", "Deployment", "Engine", "ImportResult", "IncidentView", "LockedTask",
           "MigrationPlan", "RetryPolicy", "SignalResult", "Skipped", "TaskView", "TickResult"]
