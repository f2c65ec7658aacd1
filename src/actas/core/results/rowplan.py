"""The fast path for clean rows: column positions worked out once per file. Pure.

Most rows of a real file are clean: the right width, a well-formed id and plain
digits in every count. For those, :func:`read_clean` gives exactly what the
general reader (:func:`actas.core.results.rows.read_row`) gives, from column
positions worked out once per file (:func:`row_plan`); any row it is not sure of
(an empty, signed, spaced, huge or non-ASCII value, a bad id) goes to the general
reader, which explains the problem. A property test holds the two to the same
answers.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from actas.core.definitions import TEMPLATE_FIELD, ImportMapping
from actas.core.model import Election, RegionCode, TableId
from actas.core.results.reading import MAX_COUNT, ROLES, RowReading, counts_of

__all__ = ["RowPlan", "read_clean", "row_plan"]

_MAX_DIGITS = len(str(MAX_COUNT)) - 1  # any run of this many digits is <= MAX_COUNT

# cells joined by NUL: each 1.._MAX_DIGITS ASCII digits, nothing else
_PLAIN_COUNTS = re.compile(rf"[0-9]{{1,{_MAX_DIGITS}}}(?:\0[0-9]{{1,{_MAX_DIGITS}}})*")


@dataclass(frozen=True, slots=True)
class RowPlan:
    """Where a file's cells are, per role, for the fast path (one per header)."""

    election: Election
    id_parts: tuple[tuple[str, int, int], ...]  # (literal before, column, width or 0)
    id_tail: str
    id_col: int  # with an id column instead of a template; -1 without
    id_regex: re.Pattern[str] | None
    option_cols: tuple[int, ...] | None
    candidate_cols: tuple[tuple[int, ...], ...]
    extras: tuple[tuple[str, tuple[int, ...] | None], ...]  # role -> columns (None: absent)
    names: tuple[tuple[int, int], ...]  # (level index, column)
    meta: tuple[tuple[str, int], ...]
    count_cells: Callable[[Sequence[str]], tuple[str, ...]]  # the vote cells, in order
    single_columns: bool  # one column per candidate
    # the vote cells and then every present role's cells; each role's slice of them
    all_cells: Callable[[Sequence[str]], tuple[str, ...]]
    extra_slices: tuple[tuple[str, int, int], ...]  # (role, start, end), None roles left out
    vote_cells: int  # how many of all_cells are vote cells
    # a template of fixed-width numbers only ("{CENTRO:09}.{MESA:02}"): the id is
    # id_format % the cells' integers, id_len characters long when none is too wide
    id_format: str | None = None
    id_cells: Callable[[Sequence[str]], tuple[str, ...]] | None = None
    id_len: int = 0


def _cells(cols: Sequence[int]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    if len(cols) == 1:
        col = cols[0]
        return lambda fields: (fields[col],)
    return operator.itemgetter(*cols)


def row_plan(
    mapping: ImportMapping, election: Election, index: Mapping[str, int]
) -> RowPlan | None:
    """The fast path for ``mapping`` bound to a header (column name -> position), or
    None when the mapping allows none."""
    m, ix = mapping, index
    if m.kind != "results" or not (m.id_template or m.id_column):
        return None
    parts: list[tuple[str, int, int]] = []
    pos = 0
    for match in TEMPLATE_FIELD.finditer(m.id_template):
        parts.append(
            (m.id_template[pos : match.start()], ix[match.group(1)], int(match.group(2) or 0))
        )
        pos = match.end()
    extras: list[tuple[str, tuple[int, ...] | None]] = []
    for role in ROLES:
        group = m.column_sums.get(role)
        col = m.columns.get(role)
        if group is not None:
            cols = None if any(c not in ix for c in group) else tuple(ix[c] for c in group)
        elif col is not None and col in ix:
            cols = (ix[col],)
        else:
            cols = None
        extras.append((role, cols))
    option_cols = tuple(ix[m.options[o.id]] for o in election.options) if m.options else None
    candidate_cols = (
        ()
        if m.options
        else tuple(tuple(ix[c] for c in m.candidates[k.id]) for k in election.candidates)
    )
    cells = option_cols if option_cols is not None else [c for g in candidate_cols for c in g]
    if not cells:
        return None
    every = list(cells)
    slices = []
    for role, role_cols in extras:
        if role_cols is not None:
            slices.append((role, len(every), len(every) + len(role_cols)))
            every.extend(role_cols)
    return RowPlan(
        election=election,
        id_parts=tuple(parts),
        id_tail=m.id_template[pos:],
        **_id_format(parts, m.id_template[pos:]),
        id_col=-1 if m.id_template else ix[m.id_column],
        id_regex=re.compile(m.id_pattern) if m.id_pattern and not m.id_template else None,
        option_cols=option_cols,
        candidate_cols=candidate_cols,
        extras=tuple(extras),
        names=tuple(
            (i, ix[m.region_names[lvl.id]])
            for i, lvl in enumerate(election.levels)
            if lvl.id in m.region_names and m.region_names[lvl.id] in ix
        ),
        meta=tuple(
            (role, ix[m.columns[role]])
            for role in ("photo_url", "photo_name")
            if role in m.columns and m.columns[role] in ix
        ),
        count_cells=_cells(cells),
        single_columns=all(len(g) == 1 for g in candidate_cols),
        all_cells=_cells(every),
        extra_slices=tuple(slices),
        vote_cells=len(cells),
    )


def _count(text: str) -> int | None:
    """A plain count, or None when the general reader must look at it."""
    if len(text) <= _MAX_DIGITS and text.isdigit() and text.isascii():
        return int(text)
    return None


def _id_format(parts: Sequence[tuple[str, int, int]], tail: str) -> dict[str, Any]:
    """The plan's ``id_format``, ``id_cells`` and ``id_len`` when every template field
    has a width (else none: the general template code builds the id)."""
    if not parts or any(width <= 0 for _, _, width in parts):
        return {}
    fmt = "".join(f"{lit.replace('%', '%%')}%0{width}d" for lit, _, width in parts)
    return {
        "id_format": fmt + tail.replace("%", "%%"),
        "id_cells": _cells([col for _, col, _ in parts]),
        "id_len": sum(len(lit) + width for lit, _, width in parts) + len(tail),
    }


def _clean_id(p: RowPlan, fields: Sequence[str]) -> str | None:
    if p.id_cells is not None and p.id_format is not None:
        # plain digits only (a space, a sign, a non-ASCII digit: the general reader)
        cells = p.id_cells(fields)
        joined = "".join(cells)
        if not (all(cells) and joined.isdigit() and joined.isascii()):
            return None
        tid = p.id_format % tuple(map(int, cells))
        return tid if len(tid) == p.id_len else None
    if p.id_col >= 0:
        value = fields[p.id_col].strip()
        if p.id_regex is None:
            return value
        match = p.id_regex.fullmatch(value)
        return None if match is None else match.group(1)
    pieces = []
    for literal, col, width in p.id_parts:
        value = fields[col].strip()
        if width:
            if not (value.isascii() and value.isdigit()):
                return None
            value = value.lstrip("0").rjust(width, "0")
            if len(value) > width:
                return None
        pieces.append(literal)
        pieces.append(value)
    pieces.append(p.id_tail)
    return "".join(pieces)


def _clean_extras(p: RowPlan, fields: Sequence[str]) -> dict[str, int | None] | None:
    """The count roles of a row whose cells are not all plain; None: ask the general reader."""
    extra: dict[str, int | None] = {}
    for role, group in p.extras:
        if group is None:
            extra[role] = None
            continue
        parts = [fields[c] for c in group]
        if not _PLAIN_COUNTS.fullmatch("\0".join(parts)):
            # an empty cell makes the role unknown, as the general reader says,
            # unless another cell is bad (which it explains)
            if all(not t.strip() or _count(t) is not None for t in parts) and not all(parts):
                extra[role] = None
                continue
            return None
        extra[role] = sum(map(int, parts))
    return extra


def read_clean(p: RowPlan, fields: Sequence[str]) -> RowReading | None:
    tid = _clean_id(p, fields)
    if tid is None:
        return None
    try:  # region_codes checks the id's form as split does
        codes = p.election.scheme.region_codes(tid)
    except ValueError:
        return None
    every = p.all_cells(fields)
    if _PLAIN_COUNTS.fullmatch("\0".join(every)):  # the usual row: every count plain
        numbers = list(map(int, every))
        extra: dict[str, int | None] = dict.fromkeys(ROLES)
        for role, start, end in p.extra_slices:
            extra[role] = numbers[start] if end == start + 1 else sum(numbers[start:end])
        values = numbers[: p.vote_cells]
    else:
        cells = p.count_cells(fields)
        if not _PLAIN_COUNTS.fullmatch("\0".join(cells)):
            return None
        values = list(map(int, cells))
        found = _clean_extras(p, fields)
        if found is None:
            return None
        extra = found
    options: tuple[int, ...] | None = None
    if p.option_cols is not None:
        options = tuple(values)
        votes = p.election.votes_from_options(options)
    elif p.single_columns:
        votes = tuple(values)
    else:
        totals = []
        pos = 0
        for cols in p.candidate_cols:
            totals.append(sum(values[pos : pos + len(cols)]))
            pos += len(cols)
        votes = tuple(totals)
    names: dict[RegionCode, str] = {}
    if p.names:
        for level, col in p.names:
            name = fields[col].strip()
            if name:
                names[codes[level]] = name[:200]
    meta: dict[str, str] = {}
    for role, col in p.meta:
        value = fields[col].strip()
        if value:
            meta[role] = value[:500]
    return RowReading(TableId(tid), counts_of(votes, options, extra), (), names, meta)
