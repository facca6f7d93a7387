"""The runtime: cases run durably, one workflow per participant, on versions deployed in the store."""

from .engine import WITHDRAWAL_MESSAGE, Case, Engine, TaskView, TickResult
from .versions import Deployment, MigrationPlan

__all__ = ["WITHDRAWAL_MESSAGE", "Case", "Deployment", "Engine", "MigrationPlan", "TaskView", "TickResult"]
