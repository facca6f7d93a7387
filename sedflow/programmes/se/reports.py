"""Placeholder: the SE report catalogue (counting rules, planned intake, field map) lands here."""

REPORTS = None
