"""The runtime: cases run durably, one workflow per participant."""

from .engine import WITHDRAWAL_MESSAGE, Case, Engine, TaskView, TickResult

__all__ = ["WITHDRAWAL_MESSAGE", "Case", "Engine", "TaskView", "TickResult"]
