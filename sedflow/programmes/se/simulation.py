"""Placeholder: the SE demo decisions and scenarios (data files) land here."""

SIMULATION = None
