"""Messages delivered to a case from outside, their payload becoming the case's variables.

Camunda 7's ``correlateMessage(name, variables)`` sets the variables on the process instance it reaches.
SpiffWorkflow's Camunda message definition puts a payload under one ``resultVariable`` instead (or
``<task>_Response``); the definition sedflow's parser builds merges a payload of variables into the
data of the path the message starts, and keeps the ``resultVariable`` reading for diagrams that set it.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition


class CaseMessage(MessageEventDefinition):  # type: ignore[misc]
    """A message definition whose delivered payload (a mapping of variables) joins the catching path's data."""

    def update_internal_data(self, my_task: Any, event: Any) -> None:
        my_task.internal_data[self.name] = event.payload

    def update_task_data(self, my_task: Any) -> None:
        payload = my_task.internal_data.get(self.name)
        if isinstance(payload, dict) and payload.get("result_var"):  # a message thrown inside the case
            my_task.data[payload["result_var"]] = payload.get("payload")
        elif isinstance(payload, dict):
            my_task.data.update(payload)


class MessageParser:
    """Event parser mixin: message events get :class:`CaseMessage`."""

    def parse_message_event(self, node: etree._Element) -> Any:
        parsed = super().parse_message_event(node)  # type: ignore[misc]
        return CaseMessage(parsed.name, parsed.correlation_properties, parsed.expression, parsed.result_var,
                           description=parsed.description)


__all__ = ["CaseMessage", "MessageParser"]
