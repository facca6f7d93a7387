"""The Supported Employment profile: SE, IPS, Supported Education and Supported Training programmes.

Hand it to ``Engine(..., profile=PROFILE)`` and ``Reports(..., profile=PROFILE)``; the CLI does.
"""

from ...profile import DomainRules, Profile, PropertyRule
from .reports import REPORTS
from .simulation import SIMULATION
from .vocabulary import END_REASONS, OUTCOMES, PERSONAL_NUMBER, WITHDRAWAL_MESSAGE

RULES = DomainRules(
    properties=(PropertyRule("outcome", OUTCOMES), PropertyRule("end_reason", END_REASONS)),
    end_reasons=END_REASONS,
    withdrawal_message=WITHDRAWAL_MESSAGE,
    default_outcome="NO_OUTCOME",
    default_end_reason="OTHER",
    cancel_outcome="NO_OUTCOME",
    identifiers=(PERSONAL_NUMBER,),
    true_words=frozenset({"ja", "j"}),
    false_words=frozenset({"nej"}),
)

PROFILE = Profile(name="supported_employment", zone="Europe/Stockholm", rules=RULES,
                  reports=REPORTS, simulation=SIMULATION)

__all__ = ["END_REASONS", "OUTCOMES", "PERSONAL_NUMBER", "PROFILE", "RULES", "WITHDRAWAL_MESSAGE"]
