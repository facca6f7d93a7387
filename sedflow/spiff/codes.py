"""Error and escalation events that tell the catching path what was thrown, as Camunda 7 does.

A catching error event (boundary or event sub-process start) may name ``camunda:errorCodeVariable``
and ``camunda:errorMessageVariable``: the path it starts then reads the thrown error's code and its
``camunda:errorMessage`` there. A catching escalation event's ``camunda:escalationCodeVariable``
gets the escalation's code. SpiffWorkflow matches the codes but passes neither on.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
)

from ..bpmn.xml import CAMUNDA_NS, NS

_CAUGHT = "sedflow_caught_code"


class _Coded:
    """Mixin for code event definitions: the thrown event's code (and message) into the catcher's variables."""

    code: str | None
    #: Variable names (``camunda:*Variable``) this catching event fills, and the message a thrown error carries.
    code_variable: str | None = None
    message_variable: str | None = None
    message: str | None = None

    def catch(self, my_task: Any, event: Any = None) -> None:
        thrown = event.event_definition if event is not None else None
        my_task.internal_data[_CAUGHT] = {"code": getattr(thrown, "code", None),
                                          "message": getattr(thrown, "message", None)}
        super().catch(my_task, event)  # type: ignore[misc]

    def update_task_data(self, my_task: Any) -> None:
        super().update_task_data(my_task)  # type: ignore[misc]
        caught = my_task.internal_data.get(_CAUGHT) or {}
        if self.code_variable:
            my_task.data[self.code_variable] = caught.get("code")
        if self.message_variable:
            my_task.data[self.message_variable] = caught.get("message")


class CamundaError(_Coded, ErrorEventDefinition):  # type: ignore[misc]
    pass


class CamundaEscalation(_Coded, EscalationEventDefinition):  # type: ignore[misc]
    pass


class CodeVariables:
    """Event parser mixin: error and escalation definitions with Camunda's code and message variables."""

    def parse_error_event(self, node: etree._Element) -> Any:
        parsed = super().parse_error_event(node)  # type: ignore[misc]
        coded = CamundaError(parsed.name, parsed.code, description=parsed.description)
        coded.code_variable = node.get(f"{{{CAMUNDA_NS}}}errorCodeVariable")
        coded.message_variable = node.get(f"{{{CAMUNDA_NS}}}errorMessageVariable")
        ref = node.get("errorRef")
        error = node.getroottree().getroot().find(f"bpmn:error[@id='{ref}']", NS) if ref else None
        coded.message = error.get(f"{{{CAMUNDA_NS}}}errorMessage") if error is not None else None
        return coded

    def parse_escalation_event(self, node: etree._Element) -> Any:
        parsed = super().parse_escalation_event(node)  # type: ignore[misc]
        coded = CamundaEscalation(parsed.name, parsed.code, description=parsed.description)
        coded.code_variable = node.get(f"{{{CAMUNDA_NS}}}escalationCodeVariable")
        return coded


__all__ = ["CamundaError", "CamundaEscalation", "CodeVariables"]
