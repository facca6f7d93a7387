"""The one place that knows BPMN XML (to be filled: safe parser, namespaces, taxonomy, element index)."""

from .elements import ElementRef

__all__ = ["ElementRef"]
