"""The controlled codes sedflow itself depends on (SPEC §5, ``vocabularies.yaml``).

Only the vocabularies the runtime enforces live here: the outcome category and end reason that every
ended case records. Form enums in the diagrams carry their own value lists.
"""

OUTCOMES = frozenset({"EMPLOYMENT", "STUDIES", "CONTINUED_AF_SUPPORT", "OTHER_PLAN", "ONGOING", "NO_OUTCOME"})

END_REASONS = frozenset({
    "GOAL_ACHIEVED", "TRANSFERRED", "NO_FORWARD_PLAN", "HEALTH", "PARTICIPANT_CHOICE", "CONSENT_WITHDRAWN",
    "MOVED", "AGE_LIMIT", "PROJECT_ENDED", "NO_CONTACT", "DECEASED", "REGISTRATION_ERROR", "OTHER",
})
