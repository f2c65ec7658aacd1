"""Driver-level bulk inserts and ``IN`` lists: the dialect fast paths of the store.

SQLite: ``executemany`` of the SQL SQLAlchemy compiles for the dialect, and a JSON
array through ``json_each`` for long ``IN`` lists. PostgreSQL: ``COPY … FROM STDIN``
and ``= ANY(:array)``. Everything else in the store is portable SQLAlchemy Core.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Text,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError

__all__ = ["bulk_insert", "insert_rows", "matching"]

_COPY_MIN = 32  # PostgreSQL: COPY from this many rows, INSERT below


@functools.lru_cache(maxsize=64)
def _insert_sql(
    dialect: Any, table: Any, cols: tuple[str, ...]
) -> tuple[str, tuple[str, ...] | None]:
    compiled = insert(table).compile(dialect=dialect, column_keys=list(cols))
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return str(compiled), order


def bulk_insert(conn: Connection, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows at the driver level (the hot path of imports and appends).

    SQLite: ``executemany`` of the SQL SQLAlchemy compiles for the dialect, without
    per-row parameter processing. PostgreSQL: ``COPY … FROM STDIN`` on the same
    connection and transaction for many rows (instead of a pipelined statement per
    row); a few rows (one photo's leaf) are cheaper as plain inserts, since COPY
    costs an extra round trip to start. Every row must have the same keys.
    """
    if not rows:
        return
    cols = tuple(rows[0].keys())
    insert_rows(conn, table, cols, [tuple(r[k] for k in cols) for r in rows])


def insert_rows(
    conn: Connection, table: Any, cols: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """:func:`bulk_insert` of rows given as tuples of values in ``cols`` order."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) >= _COPY_MIN:
        _copy_rows(conn, table.name, cols, rows)
        return
    sql, order = _insert_sql(conn.dialect, table, cols)
    params: Any
    if order is None:  # named parameters
        params = [dict(zip(cols, r, strict=True)) for r in rows]
    elif order == cols:
        params = rows
    else:
        at = [cols.index(k) for k in order]
        params = [tuple(r[i] for i in at) for r in rows]
    conn.exec_driver_sql(sql, params)


def _copy_rows(
    conn: Connection, table: str, cols: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """PostgreSQL fast path of :func:`insert_rows`: psycopg's COPY in text format."""
    import psycopg

    names = ", ".join(f'"{c}"' for c in cols)  # schema column names, never user input
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for r in rows:
                copy.write_row(r)
    except psycopg.IntegrityError as exc:
        raise IntegrityError(f"COPY {table}", None, exc) from exc
    except psycopg.OperationalError as exc:
        raise OperationalError(f"COPY {table}", None, exc) from exc
    finally:
        cursor.close()


def matching(conn: Connection, col: Any, values: Sequence[Any]) -> Iterator[ColumnElement[bool]]:
    """``col IN values`` in one statement with one parameter, however many values:
    ``col = ANY(:array)`` on PostgreSQL, ``col IN (SELECT value FROM json_each(:json))``
    on SQLite (instead of a bound parameter per value, which SQLite limits and
    SQLAlchemy compiles anew for every list). The caller runs one query per clause."""
    if not values:
        return
    if conn.dialect.name == "postgresql":
        yield col == any_(bindparam(None, list(values), type_=ARRAY(col.type)))
        return
    each = func.json_each(bindparam(None, json.dumps(list(values)), type_=Text))
    yield col.in_(select(literal_column("value")).select_from(each))
