"""The controlled codes of the Supported Employment programmes (SPEC §5, ``vocabularies.yaml``)."""

import re

OUTCOMES = frozenset({"EMPLOYMENT", "STUDIES", "CONTINUED_AF_SUPPORT", "OTHER_PLAN", "ONGOING", "NO_OUTCOME"})

END_REASONS = frozenset({
    "GOAL_ACHIEVED", "TRANSFERRED", "NO_FORWARD_PLAN", "HEALTH", "PARTICIPANT_CHOICE", "CONSENT_WITHDRAWN",
    "MOVED", "AGE_LIMIT", "PROJECT_ENDED", "NO_CONTACT", "DECEASED", "REGISTRATION_ERROR", "OTHER",
})

#: Swedish personal identity numbers (personnummer / samordningsnummer), with or without century, and with a
#: hyphen, plus or space before the last four digits, or none (other dashes are made hyphens before the check,
#: ``sedflow.text``).
PERSONAL_NUMBER = re.compile(r"(?<!\d)(?:19|20)?\d{2}[01]\d[0-9]\d[-+ ]?\d{4}(?!\d)")

#: The BPMN message every programme diagram catches to model withdrawal.
WITHDRAWAL_MESSAGE = "participant_withdrawal"
