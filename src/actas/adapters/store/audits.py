"""The SQL of the audit ledger: its index, one row of the ``meta`` table.

The audit documents themselves are leaves of the log; the index (audit id -> kind and
leaf indices, JSON) only finds them. Writing it goes through ``SqlStore.set_meta``.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from actas.adapters.store import schema

__all__ = ["INDEX_KEY", "Connection", "index_text"]

#: the ``meta`` key of the index: audit id -> kind and leaf indices (JSON)
INDEX_KEY = "audits"


def index_text(conn: Connection) -> str | None:
    """The index as stored (JSON), None before the first audit."""
    text = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == INDEX_KEY)).scalar()
    return None if text is None else str(text)
