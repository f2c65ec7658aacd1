"""Storage adapters: the store seam (``protocol``), the SQL store (SQLite default,
PostgreSQL) with its schema, and an in-memory fake (``memory``)."""

from __future__ import annotations

from actas.adapters.store.memory import MemoryStore
from actas.adapters.store.protocol import LogStore, ResultStore, Store
from actas.adapters.store.sql import LoggedSubmission, SqlStore, fold_name

__all__ = [
    "LogStore",
    "LoggedSubmission",
    "MemoryStore",
    "ResultStore",
    "SqlStore",
    "Store",
    "fold_name",
    "open_store",
]


def open_store(url: str, migrate: bool = False) -> SqlStore:
    store = SqlStore(url)
    if migrate:
        store.migrate()
    return store
