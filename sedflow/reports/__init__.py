"""Reports computed from the journal and case data (SQL aggregation in the store)."""

from .table import SUPPRESSED_MARK, SYNTHETIC_MARK, Table

__all__ = ["SUPPRESSED_MARK", "SYNTHETIC_MARK", "Table"]
