"""Aggregation of table results by region level, with coverage and turnout.

Pure and deterministic: arrays of exact integers in, frozen dataclasses out.
Summing is associative, so the tally of a parent region equals the sum of its
children's. numpy is used for speed (1,000,000 tables in well under a second).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .model import Election, TableIdScheme

__all__ = [
    "Expected",
    "RegionTally",
    "TableArrays",
    "pack",
    "tally_all",
    "tally_to_json",
    "unpack",
]

NATIONAL = ""


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


@dataclass(frozen=True, slots=True)
class Expected:
    """What a region should contain, when known (from a registry or the definition)."""

    tables: int | None = None
    registered: int | None = None


@dataclass(frozen=True, slots=True)
class RegionTally:
    level: int  # -1 = national
    code: str
    tables_reported: int  # tables with at least one reading (conflicts included)
    tables_counted: int  # tables whose numbers are in the totals
    tables_conflict: int
    tables_with_registered: int  # counted tables whose registered voters are known
    registered: int  # registered voters of those tables
    cast_where_registered: int  # valid + null at those tables (turnout numerator)
    valid: int
    null: int
    votes: tuple[int, ...]
    expected: Expected = field(default_factory=Expected)


def _codes(scheme: TableIdScheme, ids: Sequence[str], level: int) -> list[str]:
    if not scheme.separator:
        width = sum(lv.width for lv in scheme.levels[: level + 1])
        return [t[:width] for t in ids]
    sep, n = scheme.separator, level + 1
    return [sep.join(t.rpartition(scheme.table_separator)[0].split(sep)[:n]) for t in ids]


def tally_all(
    election: Election,
    tables: TableArrays,
    expected: Mapping[str, Expected] | None = None,
) -> dict[int, list[RegionTally]]:
    """Tally every level: ``{-1: [national], 0: [states...], 1: [...], ...}``.

    Regions are sorted by code. ``expected`` maps region codes (``""`` for the
    nation) to expected tables / registered voters; the election's expected
    totals are used for the nation when not given.
    """
    expected = dict(expected or {})
    if NATIONAL not in expected:
        expected[NATIONAL] = Expected(election.expected_tables, election.expected_registered)
    k = len(election.candidates)
    ids = tables.table_ids
    if any(a > b for a, b in itertools.pairwise(ids)):
        order = sorted(range(len(ids)), key=ids.__getitem__)
        idx = np.array(order, dtype=np.intp)
        tables = TableArrays(
            [ids[i] for i in order],
            tables.counted[idx],
            tables.registered[idx],
            tables.null[idx],
            tables.votes[idx],
        )
    counted = tables.counted
    reg_known = counted & (tables.registered >= 0)
    null = np.where(counted & (tables.null >= 0), tables.null, 0)
    valid_all = tables.votes.sum(axis=1) if tables.votes.size else np.zeros(len(counted), np.int64)
    valid = np.where(counted, valid_all, 0)
    columns = np.column_stack(
        [
            np.ones(len(counted), np.int64),
            counted.astype(np.int64),
            (~counted).astype(np.int64),
            reg_known.astype(np.int64),
            np.where(reg_known, tables.registered, 0),
            np.where(reg_known, valid + null, 0),
            valid,
            null,
            np.where(counted[:, None], tables.votes, 0).reshape(len(counted), k),
        ]
    ).astype(np.int64)
    out: dict[int, list[RegionTally]] = {}
    total = columns.sum(axis=0) if len(counted) else np.zeros(columns.shape[1], np.int64)
    out[-1] = [_region(-1, NATIONAL, total.tolist(), k, expected)]
    for level in range(len(election.levels)):
        starts, codes = _groups(election.scheme, tables.table_ids, level)
        sums = np.add.reduceat(columns, starts, axis=0) if len(starts) else columns[:0]
        rows = sums.tolist()
        out[level] = [_region(level, code, rows[i], k, expected) for i, code in enumerate(codes)]
    return out


def _groups(
    scheme: TableIdScheme, ids: Sequence[str], level: int
) -> tuple[NDArray[np.intp], list[str]]:
    """Row groups of the (sorted) tables by region at ``level``: (start rows, codes).

    Every member of a region has the prefix ``code + separator``, so in sorted
    order each region is one contiguous run of rows.
    """
    n = len(ids)
    if n == 0:
        return np.zeros(0, np.intp), []
    if not scheme.separator and len(ids[0]) == len(ids[-1]):
        width = sum(lv.width for lv in scheme.levels[: level + 1])
        raw = np.frombuffer("".join(ids).encode("ascii", "replace"), dtype=np.uint8)
        if raw.size == n * len(ids[0]):  # one length and ASCII: compare prefixes in bulk
            prefix = raw.reshape(n, -1)[:, :width]
            change = np.any(prefix[1:] != prefix[:-1], axis=1)
            starts = np.flatnonzero(np.r_[True, change])
            return starts, [ids[i][:width] for i in starts.tolist()]
    codes = _codes(scheme, ids, level)
    first = [0, *(i for i in range(1, n) if codes[i] != codes[i - 1])]
    return np.array(first, dtype=np.intp), [codes[i] for i in first]


def _region(
    level: int, code: str, r: list[int], k: int, expected: Mapping[str, Expected]
) -> RegionTally:
    return RegionTally(
        level=level,
        code=code,
        tables_reported=r[0],
        tables_counted=r[1],
        tables_conflict=r[2],
        tables_with_registered=r[3],
        registered=r[4],
        cast_where_registered=r[5],
        valid=r[6],
        null=r[7],
        votes=tuple(r[8 : 8 + k]),
        expected=expected.get(code, Expected()),
    )


def _ratio(num: int, den: int | None) -> float | None:
    if not den:
        return None
    return round(num / den, 6)


def tally_to_json(
    election: Election, t: RegionTally, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The JSON shape of one region's results (the API and ``actas results --json``)."""
    level = "national" if t.level < 0 else election.levels[t.level].id
    name = (names or {}).get(t.code, "") if t.code else election.name
    return {
        "election": election.id,
        "level": level,
        "code": t.code,
        "name": name,
        "tables": {
            "counted": t.tables_counted,
            "reported": t.tables_reported,
            "conflict": t.tables_conflict,
            "expected": t.expected.tables,
            "coverage": _ratio(t.tables_counted, t.expected.tables),
        },
        "registered": {
            "covered": t.registered,
            "tables_known": t.tables_with_registered,
            "expected": t.expected.registered,
            "coverage": _ratio(t.registered, t.expected.registered),
        },
        "turnout": _ratio(t.cast_where_registered, t.registered),
        "valid": t.valid,
        "null": t.null,
        "candidates": [
            {
                "id": c.id,
                "name": c.name,
                "short": c.short,
                "votes": v,
                "share": _ratio(v, t.valid),
            }
            for c, v in zip(election.candidates, t.votes, strict=True)
        ],
    }


def pack(t: RegionTally) -> str:
    """A compact, exact text form of a region's tally (what the store keeps)."""
    exp_t = -1 if t.expected.tables is None else t.expected.tables
    exp_r = -1 if t.expected.registered is None else t.expected.registered
    head = (
        t.level,
        t.tables_reported,
        t.tables_counted,
        t.tables_conflict,
        t.tables_with_registered,
        t.registered,
        t.cast_where_registered,
        t.valid,
        t.null,
        exp_t,
        exp_r,
    )
    return ",".join(map(str, (*head, *t.votes)))


def unpack(code: str, text: str) -> RegionTally:
    """Inverse of :func:`pack`."""
    v = [int(x) for x in text.split(",")]
    return RegionTally(
        level=v[0],
        code=code,
        tables_reported=v[1],
        tables_counted=v[2],
        tables_conflict=v[3],
        tables_with_registered=v[4],
        registered=v[5],
        cast_where_registered=v[6],
        valid=v[7],
        null=v[8],
        votes=tuple(v[11:]),
        expected=Expected(None if v[9] < 0 else v[9], None if v[10] < 0 else v[10]),
    )
