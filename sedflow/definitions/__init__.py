"""Process definitions: diagrams parsed once, checked, and identified by a content hash."""

from ..bpmn.index import ElementInfo
from .forms import Form, FormField
from .loader import load_directory, load_files, load_sources
from .model import Definitions, ProcessDefinition

__all__ = ["Definitions", "ElementInfo", "Form", "FormField", "ProcessDefinition", "load_directory", "load_files",
           "load_sources"]
