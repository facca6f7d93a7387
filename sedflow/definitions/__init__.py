"""Process definitions: diagrams parsed once, checked, and identified by a content hash."""

from .forms import Form, FormField
from .loader import Definitions, ElementInfo, ProcessDefinition, load_directory, load_files, load_sources

__all__ = ["Definitions", "ElementInfo", "Form", "FormField", "ProcessDefinition", "load_directory", "load_files",
           "load_sources"]
