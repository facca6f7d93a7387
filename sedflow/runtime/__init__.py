"""The runtime: cases run durably, one workflow per participant, on versions deployed in the store."""

from .engine import Engine
from .external import LockedTask
from .feed import Consumer
from .migration import Deployment, MigrationPlan
from .scheduler import TickResult
from .views import Case, TaskView

__all__ = ["Case", "Consumer", "Deployment", "Engine", "LockedTask", "MigrationPlan", "TaskView", "TickResult"]
