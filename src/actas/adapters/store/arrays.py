"""Whole tables read as numpy arrays in a few statements (the tally's fast path).

Fetching a million rows as Python tuples costs more than the tally itself. Here
the database concatenates each column into one value that numpy reads in bulk:
table ids joined by newlines; on SQLite (``group_concat``) integers as decimal
text and votes as their packed little-endian blobs end to end; on PostgreSQL
(``string_agg``, fetched in binary) one fixed-width record per table, the
integers as ``int8send`` bytes followed by the votes. The aggregates of one
statement run over the same rows in the same order, so the columns line up; that
order is not the ids' (an ``ORDER BY`` costs more than sorting in numpy), so the
result is sorted afterwards. A large table is read in parts — SQLite: rowid
ranges inside one read transaction; PostgreSQL: one statement grouped by a hash
of the id — so that no value nears the databases' 1 GB limit. Anything
unexpected (an id holding a newline, another dialect) falls back to reading the
rows one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, select

from actas.adapters.store import schema as s
from actas.core.results.reconcile import Status
from actas.core.results.tally import Registry, TableArrays

__all__ = ["registry_arrays", "table_arrays"]

_PART_BYTES = 1 << 27  # aim for values of at most ~128 MiB
_ROW_BYTES = 48  # a table's id, integers and separators, roughly, besides its votes

_SQLITE_TABLES = (
    "SELECT count(*), group_concat(table_id, char(10)), group_concat(registered, ','),"
    " group_concat(null_votes, ','), group_concat(status = ?, ''),"
    " CAST(group_concat(CASE WHEN length(votes) = ? THEN votes ELSE zeroblob(?) END, '') AS BLOB)"
    " FROM table_results WHERE rowid BETWEEN ? AND ?"
)
_PG_TABLES = (
    "SELECT count(*), string_agg(table_id, E'\\n'),"
    " string_agg(int8send(registered) || int8send(null_votes)"
    " || int8send((status = %s)::int::int8)"
    " || CASE WHEN length(votes) = %s THEN votes ELSE decode(repeat('00', %s), 'hex') END,"
    " ''::bytea) FROM table_results"
)
_PG_PARTS = " GROUP BY abs(hashtext(table_id)) %% %s"  # only when needed: it costs 70%
_SQLITE_REGISTRY = (
    "SELECT count(*), group_concat(table_id, char(10)), group_concat(ifnull(registered, -1), ',')"
    " FROM registry"
)
_PG_REGISTRY = (
    "SELECT count(*), string_agg(table_id, E'\\n'),"
    " string_agg(int8send(coalesce(registered, -1)), ''::bytea) FROM registry"
)

_Part = tuple[list[str], NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


def table_arrays(conn: Connection, n_candidates: int) -> TableArrays:
    """Every table result as arrays, sorted by table id (``votes`` may be a
    read-only view of the fetched bytes)."""
    parts: list[_Part] | None = None
    if conn.dialect.name == "sqlite":
        parts = _sqlite_tables(conn, n_candidates)
    elif conn.dialect.name == "postgresql":
        parts = _pg_tables(conn, n_candidates)
    if parts is None:
        return _table_rows(conn, n_candidates)
    if len(parts) == 1:
        ids, counted, registered, null, votes = parts[0]
    else:
        ids = [t for p in parts for t in p[0]]
        counted, registered, null, votes = (
            np.concatenate([p[i] for p in parts]) for i in range(1, 5)
        )
    return TableArrays(ids, counted, registered, null, votes).sorted()


def registry_arrays(conn: Connection) -> Registry:
    """The registry of tables (in no particular order)."""
    if conn.dialect.name == "sqlite":
        row = conn.exec_driver_sql(_SQLITE_REGISTRY).one()
        n = int(row[0])
        if not n:
            return Registry([], np.zeros(0, np.int64))
        ids, registered = _split(row[1], n), _ints(row[2], n)
        if ids is not None and registered is not None:
            return Registry(ids, registered)
    elif conn.dialect.name == "postgresql":
        count, text, raw = _pg_one(conn, _PG_REGISTRY, ())[0]
        n = int(count)
        if not n:
            return Registry([], np.zeros(0, np.int64))
        pg_ids = _split(text, n)
        if pg_ids is not None and len(raw) == 8 * n:
            return Registry(pg_ids, np.frombuffer(raw, ">i8").astype(np.int64))
    return _registry_rows(conn)


def _registry_rows(conn: Connection) -> Registry:
    """The plain path of :func:`registry_arrays`: one row at a time."""
    rows = conn.execute(select(s.registry.c.table_id, s.registry.c.registered)).all()
    return Registry(
        [str(t) for t, _ in rows],
        np.array([-1 if r is None else int(r) for _, r in rows], dtype=np.int64),
    )


def _split(text: str | None, n: int) -> list[str] | None:
    ids = text.split("\n") if text is not None else []
    return ids if len(ids) == n else None


def _ints(text: str | None, n: int) -> NDArray[np.int64] | None:
    if text is None:
        return None
    values = np.fromstring(text, dtype=np.int64, sep=",")
    return values if len(values) == n else None


def _sqlite_tables(conn: Connection, k: int) -> list[_Part] | None:
    lo, hi, total = conn.exec_driver_sql(
        "SELECT min(rowid), max(rowid), count(*) FROM table_results"
    ).one()
    if not total:
        return [_empty(k)]
    parts = -(-int(total) * (8 * k + _ROW_BYTES) // _PART_BYTES)
    span = -(-(int(hi) - int(lo) + 1) // parts)
    out = []
    for start in range(int(lo), int(hi) + 1, span):
        row = conn.exec_driver_sql(
            _SQLITE_TABLES, (str(Status.CONFLICT), 8 * k, 8 * k, start, start + span - 1)
        ).one()
        n = int(row[0])
        if not n:
            continue
        ids = _split(row[1], n)
        registered, null = _ints(row[2], n), _ints(row[3], n)
        flags, blob = row[4], bytes(row[5] or b"")
        if ids is None or registered is None or null is None or len(flags) != n:
            return None
        if len(blob) != 8 * k * n:
            return None
        counted = np.frombuffer(flags.encode("ascii"), np.uint8) == ord("0")
        votes = np.frombuffer(blob, "<i8").astype(np.int64, copy=False).reshape(n, k)
        out.append((ids, counted, registered, null, votes))
    return out


def _pg_tables(conn: Connection, k: int) -> list[_Part] | None:
    total = int(conn.exec_driver_sql("SELECT count(*) FROM table_results").scalar_one())
    if not total:
        return [_empty(k)]
    parts = -(-total * (8 * k + _ROW_BYTES) // _PART_BYTES)
    params: tuple[Any, ...] = (str(Status.CONFLICT), 8 * k, 8 * k)
    if parts > 1:
        found = _pg_one(conn, _PG_TABLES + _PG_PARTS, (*params, parts))
    else:
        found = _pg_one(conn, _PG_TABLES, params)
    record = np.dtype([("registered", ">i8"), ("null", ">i8"), ("conflict", ">i8")])
    out = []
    for count, text, raw in found:
        n = int(count)
        ids = _split(text, n)
        if ids is None or len(raw) != (24 + 8 * k) * n:
            return None
        rec = np.frombuffer(raw, np.uint8).reshape(n, 24 + 8 * k)
        head = rec[:, :24].copy().view(record).reshape(n)
        votes = rec[:, 24:].copy().view("<i8").astype(np.int64, copy=False).reshape(n, k)
        out.append(
            (
                ids,
                head["conflict"] == 0,
                head["registered"].astype(np.int64),
                head["null"].astype(np.int64),
                votes,
            )
        )
    return out


def _pg_one(conn: Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    """Rows of one statement through psycopg in binary (bytea as raw bytes)."""
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params, binary=True)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _empty(k: int) -> _Part:
    zero = np.zeros(0, np.int64)
    return [], np.zeros(0, np.bool_), zero, zero, np.zeros((0, k), np.int64)


def _table_rows(conn: Connection, k: int) -> TableArrays:
    """The plain path: one row at a time (any dialect; ids with newlines)."""
    c = s.table_results.c
    rows = conn.execute(
        select(c.table_id, c.status, c.registered, c.null_votes, c.votes).order_by(c.table_id)
    ).all()
    n = len(rows)
    if not n:
        return TableArrays(*_empty(k))
    ids, status, reg, nul, vot = zip(*rows, strict=True)
    zero = bytes(8 * k)
    blob = b"".join(v if len(v) == 8 * k else zero for v in map(bytes, vot))
    return TableArrays(
        [str(t) for t in ids],
        np.array(status) != str(Status.CONFLICT),
        np.array(reg, dtype=np.int64),
        np.array(nul, dtype=np.int64),
        np.frombuffer(blob, "<i8").astype(np.int64).reshape(n, k),
    ).sorted()
