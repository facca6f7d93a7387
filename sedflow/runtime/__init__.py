"""The runtime: cases run durably, one workflow per participant, on versions deployed in the store."""

from .engine import Engine
from .feed import Consumer
from .migration import Deployment, MigrationPlan
from .scheduler import TickResult
from .signals import SignalResult
from .views import Case, TaskView

__all__ = ["Case", "Consumer", "Deployment", "Engine", "MigrationPlan", "SignalResult", "TaskView", "TickResult"]
