"""Naming diagram elements: an element id is unique only within its process."""

from __future__ import annotations

from typing import NamedTuple


class ElementRef(NamedTuple):
    """One diagram element: the process (or called process) that draws it, and its id there."""

    process_id: str
    element_id: str

    def __str__(self) -> str:
        return f"{self.process_id}:{self.element_id}"
