"""Read-side queries the portal needs beside :class:`~actas.adapters.store.sql.SqlStore`'s:
the log's latest submission, which tables and regions a search may name, a photo's
public copy. Each takes the store (or a connection of ``store.read()``) and returns
plain values, so that the web layer holds no SQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import SQLAlchemyError

from actas.adapters.store import schema as s
from actas.adapters.store.sql import SqlStore

__all__ = [
    "existing_regions",
    "has_submissions",
    "in_registry",
    "latest_submission",
    "public_photo_name",
    "tables_under",
]


def latest_submission(store: SqlStore) -> tuple[int, str] | None:
    """The leaf index and receipt time of the last submission logged, if any."""
    with store.read() as conn:
        row = conn.execute(
            select(s.submissions.c.seq, s.submissions.c.received_at)
            .order_by(s.submissions.c.seq.desc())
            .limit(1)
        ).first()
    return None if row is None else (int(row.seq), str(row.received_at))


def has_submissions(conn: Connection, table_id: str) -> bool:
    """Whether any submission names ``table_id``."""
    found = conn.execute(
        select(s.submissions.c.seq).where(s.submissions.c.table_id == table_id).limit(1)
    ).first()
    return found is not None


def in_registry(conn: Connection, table_id: str) -> bool:
    """Whether the registry of tables lists ``table_id``."""
    found = conn.execute(
        select(s.registry.c.table_id).where(s.registry.c.table_id == table_id).limit(1)
    ).first()
    return found is not None


def tables_under(conn: Connection, prefix: str) -> tuple[list[str], list[str]]:
    """The table ids starting with ``prefix``: those the registry lists, and those some
    submission names (each sorted, distinct)."""
    reg = s.registry.c.table_id
    sub = s.submissions.c.table_id
    listed = conn.execute(
        select(reg).where(reg.startswith(prefix, autoescape=True)).order_by(reg)
    ).scalars()
    named = conn.execute(
        select(sub).where(sub.startswith(prefix, autoescape=True)).distinct().order_by(sub)
    ).scalars()
    return [str(t) for t in listed], [str(t) for t in named]


def existing_regions(conn: Connection, codes: Iterable[str]) -> list[str]:
    """Those of ``codes`` that have results."""
    query = select(s.region_results.c.code).where(s.region_results.c.code.in_(list(codes)))
    return [str(c) for c in conn.execute(query).scalars()]


def public_photo_name(store: SqlStore, sha256: str) -> str | None:
    """The public copy recorded for the photo ``sha256`` (an original or the copy itself):
    its SHA-256, "" when none was made yet, None when there is no such photo (or no
    photo pipeline in this database yet)."""
    try:
        with store.read() as conn:
            row = conn.execute(
                text(
                    "SELECT public_sha256 FROM photos"
                    " WHERE sha256 = :s OR public_sha256 = :s LIMIT 1"
                ),
                {"s": sha256},
            ).first()
    except SQLAlchemyError:
        return None
    if row is None:
        return None
    return str(row[0]) if row[0] else ""
