"""The controlled codes of the Supported Employment programmes (SPEC §5, ``vocabularies.yaml``) and their labels.

``data/labels.toml`` holds the Swedish label of every code a reader meets in a report (outcomes, end
reasons, referral sources, employment types, stages); the outcome and end-reason vocabularies end events
may record are its keys, so a code and its label cannot drift apart.
"""

import re
import tomllib
from importlib.resources import files

#: vocabulary -> code -> Swedish label, in the vocabulary's order (stages in process order).
LABELS: dict[str, dict[str, str]] = tomllib.loads(
    files(__package__).joinpath("data", "labels.toml").read_text(encoding="utf-8"))

OUTCOMES = frozenset(LABELS["outcome"])

END_REASONS = frozenset(LABELS["end_reason"])

#: Swedish personal identity numbers (personnummer / samordningsnummer), with or without century, and with a
#: hyphen, plus or space before the last four digits, or none (other dashes are made hyphens before the check,
#: ``sedflow.text``).
PERSONAL_NUMBER = re.compile(r"(?<!\d)(?:19|20)?\d{2}[01]\d[0-9]\d[-+ ]?\d{4}(?!\d)")

#: The BPMN message every programme diagram catches to model withdrawal.
WITHDRAWAL_MESSAGE = "participant_withdrawal"
