"""Stores: where cases, their journals and the definition versions they run on are kept.

Code that uses a store is typed against the protocols of :mod:`sedflow.store.persistence`
(``CaseStore``, ``ReportQueries``, ``StoreMeta``, all three: ``Store``), never a backend's class.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StoreError
from .persistence import (
    ACTIVE,
    CANCELLED,
    COMPLETED,
    INCIDENT,
    SCHEMA_VERSION,
    STATUSES,
    SUSPENDED,
    TASK,
    TIMER,
    WITHDRAWN,
    CaseFilter,
    CaseRecord,
    CaseStatus,
    CaseStore,
    DeliveryKind,
    DeliveryState,
    DeploymentRecord,
    ErasureRecord,
    ExternalTaskRecord,
    Incident,
    IncidentKind,
    OpenKind,
    OpenTask,
    ReportQueries,
    Row,
    Signal,
    SignalDelivery,
    Store,
    StoreMeta,
    Transaction,
)
from .sqlite import SQLiteStore

DEFAULT_STORE = "sedflow.db"


def open_store(url: str | Path | None = None, *, create: bool = False, migrate: bool = False) -> Store:
    """Open a store by path or URL: ``postgresql://user@host/db[?schema=s]``, ``sqlite:///path`` or a
    plain path; default ``$SEDFLOW_STORE`` or ``./sedflow.db``. ``create`` makes a new store;
    ``migrate`` upgrades an older schema (``sedflow store upgrade``)."""
    target = str(url or os.environ.get("SEDFLOW_STORE") or DEFAULT_STORE)
    if target.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore  # StoreError without psycopg
        return PostgresStore(target, create=create, migrate=migrate)
    if "://" in target and not target.startswith("sqlite:///"):
        raise StoreError(f"unsupported store URL '{target}' (use a file path, sqlite:///path or postgresql://...)")
    return SQLiteStore(target.removeprefix("sqlite:///"), create=create, migrate=migrate)


__all__ = ["ACTIVE", "CANCELLED", "COMPLETED", "DEFAULT_STORE", "INCIDENT", "SCHEMA_VERSION", "STATUSES", "SUSPENDED",
           "TASK", "TIMER", "WITHDRAWN", "CaseFilter", "CaseRecord", "CaseStatus", "CaseStore", "DeliveryKind",
           "DeliveryState", "DeploymentRecord", "ErasureRecord", "ExternalTaskRecord", "Incident", "IncidentKind",
           "OpenKind", "OpenTask", "ReportQueries", "Row", "SQLiteStore", "Signal", "SignalDelivery", "Store",
           "StoreMeta", "Transaction", "open_store"]
