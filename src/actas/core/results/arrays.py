"""Per-table results as arrays: one row per table, sorted by id without a Python loop
(in the one order of ids, :mod:`actas.core.idorder`).

Pure. :class:`TableArrays` is what the tally sums (:mod:`actas.core.results.tally`)
and what the store keeps; :class:`Registry` the tables a registry lists. The
helpers here view many ids at once as a byte matrix, so that sorting, checking
against the scheme and matching a registry stay vectorised at a million tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from actas.core.idorder import id_array
from actas.core.model import TableIdScheme

__all__ = [
    "Registry",
    "TableArrays",
    "fill_registered",
    "fits_scheme",
    "id_keys",
    "id_matrix",
    "id_order",
    "sorted_tables",
]


@dataclass(frozen=True)
class TableArrays:
    """Per-table results, one row per table with any result.

    ``counted`` is False for tables in conflict (their numbers are zeros and
    do not enter totals). ``registered`` and ``null`` use -1 for unknown.
    """

    table_ids: Sequence[str]
    counted: NDArray[np.bool_]
    registered: NDArray[np.int64]
    null: NDArray[np.int64]
    votes: NDArray[np.int64]  # shape (tables, candidates)

    def __post_init__(self) -> None:
        n = len(self.table_ids)
        for name in ("counted", "registered", "null"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has the wrong length")
        if self.votes.shape[0] != n:
            raise ValueError("votes has the wrong number of rows")

    def sorted(self) -> TableArrays:
        """These tables sorted by id (themselves when they are already)."""
        return sorted_tables(self)[0]


@dataclass(frozen=True)
class Registry:
    """A registry of tables: ids and registered voters (-1 when unknown)."""

    table_ids: Sequence[str]
    registered: NDArray[np.int64]

    def __post_init__(self) -> None:
        if len(self.registered) != len(self.table_ids):
            raise ValueError("registered has the wrong length")


def id_matrix(ids: Sequence[str]) -> NDArray[np.uint8] | None:
    """The ids as an ``(n, width + 1)`` byte matrix (each row ends in a newline)
    when all are ASCII and of one length, else None. Built from one joined string,
    without a Python object per id."""
    n = len(ids)
    if not n or not ids[0]:
        return None
    w = len(ids[0])
    try:
        raw = ("\n".join(ids) + "\n").encode("ascii")
    except UnicodeEncodeError:
        return None
    if len(raw) != n * (w + 1) or raw.count(b"\n") != n:
        return None
    m = np.frombuffer(raw, np.uint8).reshape(n, w + 1)
    # n newlines, one at the end of every row: so no id is longer or shorter
    return m if bool(np.all(m[:, w] == 10)) else None


def id_keys(ids: Sequence[str], fixed: NDArray[np.uint8] | None) -> NDArray[Any]:
    """An array of the ids that numpy compares in the canonical order of ids
    (:mod:`actas.core.idorder`: by UTF-8 bytes, as Python compares the strings)."""
    if fixed is not None:
        return fixed.reshape(-1).view(f"S{fixed.shape[1]}")
    return id_array(ids)


def id_order(ids: Sequence[str], fixed: NDArray[np.uint8] | None) -> NDArray[np.intp] | None:
    """The permutation that sorts ``ids``, or None when they are sorted already."""
    if len(ids) < 2:
        return None
    keys = id_keys(ids, fixed)
    if bool(np.all(keys[:-1] <= keys[1:])):
        return None
    return np.argsort(keys, kind="stable")


def sorted_tables(tables: TableArrays) -> tuple[TableArrays, NDArray[np.uint8] | None]:
    fixed = id_matrix(tables.table_ids)
    order = id_order(tables.table_ids, fixed)
    if order is None:
        return tables, fixed
    ids = tables.table_ids
    tables = TableArrays(
        [ids[i] for i in order.tolist()],
        tables.counted[order],
        tables.registered[order],
        tables.null[order],
        tables.votes[order],
    )
    return tables, None if fixed is None else fixed[order]


def fits_scheme(
    scheme: TableIdScheme, ids: Sequence[str], fixed: NDArray[np.uint8] | None
) -> NDArray[np.bool_]:
    """Which ids fit the scheme (:meth:`TableIdScheme.split` accepts them)."""
    head = sum(lv.width for lv in scheme.levels)
    sep = scheme.table_separator
    if (
        fixed is not None
        and not scheme.separator
        and scheme.table_width
        and all(lv.width > 0 for lv in scheme.levels)
        and sep.isascii()
        and fixed.shape[1] - 1 == head + len(sep) + scheme.table_width
    ):  # the scheme's one regex, in bulk: digits, the table separator, digits
        body = fixed[:, :-1]
        digit = (body >= ord("0")) & (body <= ord("9"))
        tail = head + len(sep)
        ok: NDArray[np.bool_] = (
            digit[:, :head].all(axis=1)
            & digit[:, tail:].all(axis=1)
            & (body[:, head:tail] == np.frombuffer(sep.encode(), np.uint8)).all(axis=1)
        )
        return ok
    out = np.ones(len(ids), dtype=np.bool_)
    for i, t in enumerate(ids):
        try:
            scheme.split(t)
        except ValueError:
            out[i] = False
    return out


def fill_registered(tables: TableArrays, registry: Registry) -> TableArrays:
    """``tables`` with the registered voters of the registry where the tables' own
    results do not say."""
    missing = np.flatnonzero(tables.registered < 0)
    ids = registry.table_ids
    if not missing.size or not len(ids):
        return tables
    want = [tables.table_ids[i] for i in missing.tolist()]
    a, b = id_matrix(want), id_matrix(ids)
    same = a is not None and b is not None and a.shape[1] == b.shape[1]
    if same:
        keys, sought = id_keys(ids, b), id_keys(want, a)
    else:  # one encoding for both
        both = id_array([*ids, *want])
        keys, sought = both[: len(ids)], both[len(ids) :]
    order = np.argsort(keys, kind="stable")
    rows = order[np.minimum(np.searchsorted(keys, sought, sorter=order), len(keys) - 1)]
    found = (keys[rows] == sought) & (registry.registered[rows] >= 0)
    reg = tables.registered.copy()
    reg[missing[found]] = registry.registered[rows[found]]
    return TableArrays(tables.table_ids, tables.counted, reg, tables.null, tables.votes)
