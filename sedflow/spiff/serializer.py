"""The SpiffWorkflow serializer registry for the specs sedflow's parser builds.

Workflow state is written with it, and SpiffWorkflow's spec diff (migration) needs it to compare two
versions. sedflow's clocked timer definitions are written as the SpiffWorkflow classes they extend, so
the stored state is plain SpiffWorkflow Camunda state; a pass-through task converts as a plain task, a
call activity with Camunda's variable mappings as a plain call activity. External tasks
(``.external``) are written with their topic and read back as themselves.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.defaults import CallActivity, NoneTask
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.camunda.specs.multiinstance_task import ParallelMultiInstanceTask, SequentialMultiInstanceTask

from .call_activity import CamundaCallActivity
from .codes import CamundaError, CamundaEscalation
from .events import LivingBoundaryJoin
from .external import CONVERTERS as EXTERNAL_CONVERTERS
from .messages import CaseMessage
from .multi_instance import CamundaParallelMultiInstance, CamundaSequentialMultiInstance
from .parser import PassThroughTask
from .timers import CLOCKED, ClockFirstOccurrence


@lru_cache(maxsize=1)
def serializer_registry() -> Any:
    """SpiffWorkflow's Camunda serializer registry, also converting sedflow's spec classes."""
    adapted = {clocked: CAMUNDA_CONFIG[base] for base, clocked in CLOCKED.items()}
    adapted[ClockFirstOccurrence] = CAMUNDA_CONFIG[TimeDateEventDefinition]
    adapted[PassThroughTask] = CAMUNDA_CONFIG[NoneTask]
    adapted[CamundaCallActivity] = CAMUNDA_CONFIG[CallActivity]
    adapted[LivingBoundaryJoin] = CAMUNDA_CONFIG[BoundaryEventJoin]
    adapted[CamundaError] = CAMUNDA_CONFIG[ErrorEventDefinition]
    adapted[CaseMessage] = CAMUNDA_CONFIG[MessageEventDefinition]
    adapted[CamundaEscalation] = CAMUNDA_CONFIG[EscalationEventDefinition]
    # The multi-instance converters write the same attributes for the standard BPMN classes sedflow's extend.
    adapted[CamundaParallelMultiInstance] = CAMUNDA_CONFIG[ParallelMultiInstanceTask]
    adapted[CamundaSequentialMultiInstance] = CAMUNDA_CONFIG[SequentialMultiInstanceTask]
    # External tasks carry their topic: converters of their own, which restore the same classes.
    return BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, **adapted, **EXTERNAL_CONVERTERS})


__all__ = ["serializer_registry"]
