"""The SpiffWorkflow serializer registry for the specs sedflow's parser builds.

Workflow state is written with it, and SpiffWorkflow's spec diff (migration) needs it to compare two
versions. sedflow's clocked timer definitions are written as the SpiffWorkflow classes they extend, so
the stored state is plain SpiffWorkflow Camunda state; a pass-through task converts as a plain task.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from .parser import PassThroughTask
from .timers import CLOCKED


@lru_cache(maxsize=1)
def serializer_registry() -> Any:
    """SpiffWorkflow's Camunda serializer registry, also converting sedflow's spec classes."""
    adapted = {clocked: CAMUNDA_CONFIG[base] for base, clocked in CLOCKED.items()}
    adapted[PassThroughTask] = CAMUNDA_CONFIG[NoneTask]
    return BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, **adapted})


__all__ = ["serializer_registry"]
