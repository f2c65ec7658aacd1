"""Storage adapters: the SQL store (SQLite default, PostgreSQL) and its schema."""

from __future__ import annotations

from actas.adapters.store.sql import LoggedSubmission, SqlStore, fold_name

__all__ = ["LoggedSubmission", "SqlStore", "fold_name", "open_store"]


def open_store(url: str, migrate: bool = False) -> SqlStore:
    store = SqlStore(url)
    if migrate:
        store.migrate()
    return store
