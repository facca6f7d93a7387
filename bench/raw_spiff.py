"""The baseline both benches compare against: plain SpiffWorkflow, state saved with the spec by reference.

The spec is popped from each serialization and put back on load (what spiff-arena does), so the
baseline does not pay for re-embedding the spec; no database.
"""

from __future__ import annotations

import json

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG


class RawSpiff:
    def __init__(self, diagram: bytes, process_id: str):
        parser = CamundaParser()
        parser.add_bpmn_str(diagram, f"{process_id}.bpmn")
        self.spec = parser.get_spec(process_id)
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
        self._spec_dict = self._serializer.to_dict(self.spec)

    def new(self) -> BpmnWorkflow:
        workflow = BpmnWorkflow(self.spec)
        workflow.do_engine_steps()
        return workflow

    def save(self, workflow: BpmnWorkflow) -> str:
        dct = self._serializer.to_dict(workflow)
        dct.pop("spec"), dct.pop("subprocess_specs")
        return json.dumps(dct)

    def load(self, text: str) -> BpmnWorkflow:
        dct = json.loads(text)
        dct["spec"], dct["subprocess_specs"] = self._spec_dict, {}
        return self._serializer.from_dict(dct)
