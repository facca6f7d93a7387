"""Programme profiles: the domain a deployment adds to the generic BPMN engine.

The core (definitions, runtime, store, reports) knows BPMN, cases, journals and tables; it knows
nothing of Supported Employment. What a programme adds -- the codes its end events may record, the
message that models withdrawal, identifiers its data must never hold, the words its staff type for
yes and no, its reports and its demo -- is a :class:`Profile`, handed to ``Engine`` and ``Reports``
by whoever builds them (the CLI uses the Supported Employment profile, ``sedflow.programmes.se``).
``Profile()`` is the generic engine: no vocabularies, no withdrawal, nothing refused beyond BPMN and
what the runtime cannot drive (with no withdrawal message, that includes every message catch).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import DefinitionError

if TYPE_CHECKING:
    from .definitions import ProcessDefinition
    from .reports.profile import ReportProfile
    from .simulation import SimulationProfile


@dataclass(frozen=True)
class PropertyRule:
    """The values an extension property (``camunda:property``) may take on elements of some kinds."""

    name: str
    values: frozenset[str]
    kinds: frozenset[str] = frozenset({"endEvent"})


@dataclass(frozen=True)
class DomainRules:
    """What the runtime enforces for a programme (checked when a diagram loads or a step is taken)."""

    #: Property vocabularies on diagram elements (e.g. ``outcome`` on end events).
    properties: tuple[PropertyRule, ...] = ()
    #: Codes a withdrawal or cancellation reason must be one of (empty: any non-empty code).
    end_reasons: frozenset[str] = frozenset()
    #: The BPMN message ``withdraw_case`` sends (None: the programme models no withdrawal).
    withdrawal_message: str | None = None
    #: Outcome and end reason of a case whose end event records none, and of an administrative cancel.
    default_outcome: str | None = None
    default_end_reason: str | None = None
    cancel_outcome: str | None = None
    #: Direct identifiers (e.g. the Swedish personnummer): a text value or participant key matching one
    #: is refused, so that the store stays pseudonymous.
    identifiers: tuple[re.Pattern[str], ...] = ()
    #: Extra words staff type for a boolean field's true and false ("ja", "nej").
    true_words: frozenset[str] = frozenset()
    false_words: frozenset[str] = frozenset()

    def identifier_in(self, text: str) -> bool:
        """Whether ``text`` holds a direct identifier this programme refuses to store."""
        return any(pattern.search(text) for pattern in self.identifiers)

    def check_definitions(self, definitions: Iterable[ProcessDefinition]) -> list[DefinitionError]:
        """Every element property outside its vocabulary, named by file, element and line; an element of a
        process several definitions call is checked once."""
        elements = {ref: info for d in definitions for ref, info in d.elements.items()}
        problems: list[DefinitionError] = []
        for info in elements.values():
            for rule in self.properties:
                value = info.properties.get(rule.name)
                if info.kind in rule.kinds and value is not None and value not in rule.values:
                    problems.append(DefinitionError(
                        f"{rule.name} '{value}' is not one of {', '.join(sorted(rule.values))}",
                        file=info.file, element=info.id, line=info.line))
        return problems

    def refuse_unfit(self, definitions: Iterable[ProcessDefinition]) -> None:
        """Raise one DefinitionError listing every problem :meth:`check_definitions` finds (nothing if none)."""
        problems = self.check_definitions(definitions)
        if problems:
            raise DefinitionError.collect(problems)


@dataclass(frozen=True)
class Profile:
    """A programme: its rules, its report catalogue and its demo. The parts are optional."""

    name: str = "generic"
    #: The IANA time zone the programme's people read times in (the store and the JSON keep UTC).
    zone: str = "UTC"
    rules: DomainRules = field(default_factory=DomainRules)
    reports: ReportProfile | None = None
    simulation: SimulationProfile | None = None


#: The generic engine.
GENERIC = Profile()
