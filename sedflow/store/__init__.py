"""Stores: where cases, their journals and the definition versions they run on are kept."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StoreError
from .persistence import (ACTIVE, CANCELLED, COMPLETED, STATUSES, TASK, TIMER, WITHDRAWN, CaseFilter, CaseRecord,
                          OpenTask, Store, Transaction)
from .sqlite import SQLiteStore

DEFAULT_STORE = "sedflow.db"


def open_store(url: str | Path | None = None, *, create: bool = False) -> Store:
    """Open a store by path or URL (``sqlite:///path``, or a plain path); default ``$SEDFLOW_STORE`` or
    ``./sedflow.db``."""
    target = str(url or os.environ.get("SEDFLOW_STORE") or DEFAULT_STORE)
    if target.startswith(("postgresql://", "postgres://")):
        raise StoreError("this sedflow has no PostgreSQL backend yet; use an SQLite path")
    if "://" in target and not target.startswith("sqlite:///"):
        raise StoreError(f"unsupported store URL '{target}' (use a file path or sqlite:///path)")
    return SQLiteStore(target.removeprefix("sqlite:///"), create=create)


__all__ = ["ACTIVE", "CANCELLED", "COMPLETED", "STATUSES", "TASK", "TIMER", "WITHDRAWN", "CaseFilter", "CaseRecord", "OpenTask",
           "SQLiteStore", "Store", "Transaction", "open_store", "DEFAULT_STORE"]
