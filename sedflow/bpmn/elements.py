"""Naming diagram elements, and the one taxonomy of BPMN element kinds sedflow sorts them by.

An element id is unique only within its process: ``study_application`` may be drawn by two programmes,
so an element is named by :class:`ElementRef` (process and id) wherever several processes meet (open
tasks, journal queries, heatmap counts). Kinds are BPMN tag names without namespace (``"userTask"``).
"""

from __future__ import annotations

from typing import NamedTuple


class ElementRef(NamedTuple):
    """One diagram element: the process (or called process) that draws it, and its id there."""

    process_id: str
    element_id: str

    def __str__(self) -> str:
        return f"{self.process_id}:{self.element_id}"


#: Activities done in one go: what a person or a system does.
TASKS = frozenset({"task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
                   "scriptTask"})
#: Activities that draw their flow inside them (and can be expanded in the modeller).
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
#: Containers that SpiffWorkflow runs as specs of their own: the scopes their elements' ``parent`` names.
SCOPES = frozenset({"subProcess", "transaction"})
#: Activities that run a flow of their own, inside them or in another process: a case enters and leaves them
#: (journalled as activity started and completed).
SUB_PROCESSES = CONTAINERS | {"callActivity"}
ACTIVITIES = TASKS | SUB_PROCESSES
#: The tasks a person completes: sedflow's open tasks.
HUMAN = frozenset({"userTask"})
#: Tasks Camunda 7 completes as soon as a case reaches them: a plain task and a manual task (work done
#: outside the engine, which waits for no one). They are journalled as completed, with no actor.
PASS_THROUGH = frozenset({"task", "manualTask"})
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
                      "complexGateway"})
#: Every node a sequence flow may connect.
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS

__all__ = ["ACTIVITIES", "CONTAINERS", "EVENTS", "FLOW_NODES", "GATEWAYS", "HUMAN", "PASS_THROUGH", "SCOPES",
           "SUB_PROCESSES", "TASKS", "ElementRef"]
