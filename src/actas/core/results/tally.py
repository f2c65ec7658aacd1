"""Aggregation of table results by region level, with coverage and turnout.

Pure and deterministic: arrays of exact integers in, frozen dataclasses out.
The tables are sorted by id, so every region is a contiguous run of rows; the
deepest level is summed from the tables (``np.add.reduceat`` over column-major
int64 columns) and every level above from the one below, so the tally of a
parent region is the sum of its children's by construction. No Python work per
table: 1,000,000 tables in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from actas.core.model import Election, TableIdScheme

__all__ = [
    "Expected",
    "RegionTally",
    "Registry",
    "TableArrays",
    "expected_from_registry",
    "fill_registered",
    "pack",
    "tally_all",
    "tally_packed",
    "tally_to_json",
    "unpack",
]

NATIONAL = ""
_HEAD = 8  # columns of a region's sums before the votes (tables_reported .. null)


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
        return _sorted(self)[0]


@dataclass(frozen=True, slots=True)
class Expected:
    """What a region should contain, when known (from a registry or the definition)."""

    tables: int | None = None
    registered: int | None = None


@dataclass(frozen=True)
class Registry:
    """A registry of tables: ids and registered voters (-1 when unknown)."""

    table_ids: Sequence[str]
    registered: NDArray[np.int64]

    def __post_init__(self) -> None:
        if len(self.registered) != len(self.table_ids):
            raise ValueError("registered has the wrong length")


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


def _fixed(ids: Sequence[str]) -> NDArray[np.uint8] | None:
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


def _keys(ids: Sequence[str], fixed: NDArray[np.uint8] | None) -> NDArray[Any]:
    """An array of the ids that numpy compares as Python compares the strings."""
    if fixed is not None:
        return fixed.reshape(-1).view(f"S{fixed.shape[1]}")
    return np.array(ids, dtype=str)


def _order(ids: Sequence[str], fixed: NDArray[np.uint8] | None) -> NDArray[np.intp] | None:
    """The permutation that sorts ``ids``, or None when they are sorted already."""
    if len(ids) < 2:
        return None
    keys = _keys(ids, fixed)
    if bool(np.all(keys[:-1] <= keys[1:])):
        return None
    return np.argsort(keys, kind="stable")


def _groups(
    scheme: TableIdScheme, ids: Sequence[str], fixed: NDArray[np.uint8] | None
) -> list[tuple[NDArray[np.intp], list[str]]]:
    """Row groups of the (sorted) tables by region, per level: (start rows, codes).

    Every member of a region has the prefix ``code + separator``, so in sorted
    order each region is one contiguous run of rows, and a region's run is a
    union of runs one level down.
    """
    n = len(ids)
    if n == 0:
        return [(np.zeros(0, np.intp), []) for _ in scheme.levels]
    out = []
    if fixed is not None and not scheme.separator:
        # first differing byte of each pair of neighbours (the width when equal)
        neq = fixed[1:] != fixed[:-1]
        first = np.where(neq.any(axis=1), neq.argmax(axis=1), fixed.shape[1])
        width = 0
        for lv in scheme.levels:
            width += lv.width
            starts = np.flatnonzero(np.r_[True, first < width])
            out.append((starts, [ids[i][:width] for i in starts.tolist()]))
        return out
    for level in range(len(scheme.levels)):
        codes = _codes(scheme, ids, level)
        first_rows = [0, *(i for i in range(1, n) if codes[i] != codes[i - 1])]
        out.append((np.array(first_rows, dtype=np.intp), [codes[i] for i in first_rows]))
    return out


def _sums(
    scheme: TableIdScheme,
    ids: Sequence[str],
    fixed: NDArray[np.uint8] | None,
    columns: NDArray[np.int64],
) -> list[tuple[int, list[str], NDArray[np.int64]]]:
    """Column sums of the nation (level -1) and of every region, level by level.

    ``columns`` has one row per (sorted) table. The deepest level is summed from
    the tables, every level above from the one below (``np.add.reduceat`` over
    runs), so children sum to their parent by construction. Column-major
    ``columns`` make the one pass over all tables several times faster.
    """
    groups = _groups(scheme, ids, fixed)
    sums: list[NDArray[np.int64]] = []
    below, below_starts = columns, np.arange(len(ids), dtype=np.intp)
    for starts, _ in reversed(groups):
        idx = np.searchsorted(below_starts, starts)
        below = np.add.reduceat(below, idx, axis=0) if len(starts) else below[:0]
        below_starts = starts
        sums.append(below)
    sums.reverse()
    top = sums[0] if sums else columns
    nation = top.sum(axis=0, dtype=np.int64).reshape(1, -1)
    return [
        (-1, [NATIONAL], nation),
        *((lv, codes, sums[lv]) for lv, (_, codes) in enumerate(groups)),
    ]


def _sorted(tables: TableArrays) -> tuple[TableArrays, NDArray[np.uint8] | None]:
    fixed = _fixed(tables.table_ids)
    order = _order(tables.table_ids, fixed)
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


def _tally(
    election: Election, tables: TableArrays
) -> list[tuple[int, list[str], NDArray[np.int64]]]:
    """(level, codes, sums) of the nation and every level; the columns of ``sums``
    are those of :class:`RegionTally` from ``tables_reported`` to ``null``, then
    the votes."""
    tables, fixed = _sorted(tables)
    k = len(election.candidates)
    n = len(tables.table_ids)
    counted = np.asarray(tables.counted, dtype=np.bool_)
    reg_known = counted & (tables.registered >= 0)
    votes = tables.votes.reshape(n, k)
    if not counted.all():  # conflicts: their numbers stay out of the totals
        votes = np.where(counted[:, None], votes, 0)
    valid = votes.sum(axis=1, dtype=np.int64)
    null = np.where(counted & (tables.null >= 0), tables.null, 0)
    columns = np.empty((n, _HEAD + k), dtype=np.int64, order="F")
    columns[:, 0] = 1
    columns[:, 1] = counted
    columns[:, 2] = ~counted
    columns[:, 3] = reg_known
    columns[:, 4] = np.where(reg_known, tables.registered, 0)
    columns[:, 5] = np.where(reg_known, valid + null, 0)
    columns[:, 6] = valid
    columns[:, 7] = null
    columns[:, _HEAD:] = votes
    return _sums(election.scheme, tables.table_ids, fixed, columns)


def _with_national(
    election: Election, expected: Mapping[str, Expected] | None
) -> dict[str, Expected]:
    out = dict(expected or {})
    if NATIONAL not in out:
        out[NATIONAL] = Expected(election.expected_tables, election.expected_registered)
    return out


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
    exp = _with_national(election, expected)
    k = len(election.candidates)
    out: dict[int, list[RegionTally]] = {}
    for level, codes, sums in _tally(election, tables):
        rows = sums.tolist()
        out[level] = [_region(level, code, rows[i], k, exp) for i, code in enumerate(codes)]
    return out


def tally_packed(
    election: Election, tables: TableArrays, registry: Registry | None = None
) -> list[tuple[str, int, str]]:
    """(code, level, :func:`pack` text) of the nation and every region, level by
    level and sorted by code: :func:`tally_all` with the expectations of
    :func:`expected_from_registry`, packed, without building a :class:`RegionTally`
    or an :class:`Expected` per region (what the store keeps after every import)."""
    expected = None if registry is None else _registry_sums(election, registry)
    out: list[tuple[str, int, str]] = []
    for i, (level, codes, sums) in enumerate(_tally(election, tables)):
        rows = np.empty((len(codes), sums.shape[1] + 3), dtype=np.int64)
        rows[:, 0] = level
        rows[:, 1 : 1 + _HEAD] = sums[:, :_HEAD]
        exp = rows[:, 1 + _HEAD : 3 + _HEAD]
        if expected is not None:
            _, reg_codes, reg_sums = expected[i]
            exp[:, 0], exp[:, 1] = _expected_columns(codes, reg_codes, reg_sums)
        elif level < 0:
            exp[:, 0] = _or_unknown(election.expected_tables)
            exp[:, 1] = _or_unknown(election.expected_registered)
        else:
            exp[:] = -1
        rows[:, 3 + _HEAD :] = sums[:, _HEAD:]
        text = ",".join(["%d"] * rows.shape[1])  # the shape of pack(), 30% faster
        out.extend(
            (code, level, text % tuple(row)) for code, row in zip(codes, rows.tolist(), strict=True)
        )
    return out


def _or_unknown(value: int | None) -> int:
    return -1 if value is None else value


def _expected_columns(
    codes: list[str], reg_codes: list[str], reg_sums: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Expected tables and registered voters (-1 = unknown) of ``codes``, from the
    registry's sums of the same level (both sorted by code)."""
    if not codes:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    have, want = np.array(reg_codes, dtype=str), np.array(codes, dtype=str)
    pos = np.minimum(np.searchsorted(have, want), len(have) - 1)
    hit = have[pos] == want
    tables, known, registered = reg_sums[pos, 0], reg_sums[pos, 1], reg_sums[pos, 2]
    return np.where(hit, tables, -1), np.where(hit & (known == tables), registered, -1)


def expected_from_registry(election: Election, registry: Registry) -> dict[str, Expected]:
    """Expected tables and registered voters of the nation (``""``) and of every
    region, from a registry of tables.

    A region's registered voters are known when every one of its tables' are.
    Ids that do not fit the election's scheme are left out; with none left the
    result is empty (the election's own expected totals then stand).
    """
    out: dict[str, Expected] = {}
    for _, codes, sums in _registry_sums(election, registry) or []:
        for code, (tables, known, reg) in zip(codes, sums.tolist(), strict=True):
            out[code] = Expected(tables, reg if known == tables else None)
    return out


def _registry_sums(
    election: Election, registry: Registry
) -> list[tuple[int, list[str], NDArray[np.int64]]] | None:
    """(level, codes, [tables, tables with registered known, registered]) of the
    nation and every region of the registry; None when no id fits the scheme."""
    scheme = election.scheme
    ids, registered = registry.table_ids, registry.registered
    fixed = _fixed(ids)
    fits = _fits(scheme, ids, fixed)
    if not fits.all():
        keep = np.flatnonzero(fits)
        ids = [ids[i] for i in keep.tolist()]
        registered = registered[keep]
        fixed = None if fixed is None else fixed[keep]
    n = len(ids)
    if not n:
        return None
    order = _order(ids, fixed)
    if order is not None:
        ids = [ids[i] for i in order.tolist()]
        registered = registered[order]
        fixed = None if fixed is None else fixed[order]
    known = registered >= 0
    columns = np.empty((n, 3), dtype=np.int64, order="F")
    columns[:, 0] = 1
    columns[:, 1] = known
    columns[:, 2] = np.where(known, registered, 0)
    return _sums(scheme, ids, fixed, columns)


def _fits(
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
    a, b = _fixed(want), _fixed(ids)
    same = a is not None and b is not None and a.shape[1] == b.shape[1]
    keys = _keys(ids, b if same else None)
    sought = _keys(want, a if same else None)
    order = np.argsort(keys, kind="stable")
    rows = order[np.minimum(np.searchsorted(keys, sought, sorter=order), len(keys) - 1)]
    found = (keys[rows] == sought) & (registry.registered[rows] >= 0)
    reg = tables.registered.copy()
    reg[missing[found]] = registry.registered[rows[found]]
    return TableArrays(tables.table_ids, tables.counted, reg, tables.null, tables.votes)


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
