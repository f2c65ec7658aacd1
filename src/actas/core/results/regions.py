"""Regions as runs of sorted tables, and their column sums level by level.

Pure. Every member of a region has the prefix ``code + separator``, so once the
tables are sorted by id each region is one contiguous run of rows; the deepest
level is summed from the tables (``np.add.reduceat``) and every level above from
the one below, so a parent's sums are its children's by construction.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from actas.core.idorder import id_order, is_sorted
from actas.core.model import TableIdScheme

__all__ = ["NATIONAL", "level_codes", "region_groups", "region_sums"]

#: The code of the nation (level -1).
NATIONAL = ""


def level_codes(scheme: TableIdScheme, ids: Sequence[str], level: int) -> list[str]:
    if not scheme.separator:
        width = sum(lv.width for lv in scheme.levels[: level + 1])
        return [t[:width] for t in ids]
    sep, n = scheme.separator, level + 1
    return [sep.join(t.rpartition(scheme.table_separator)[0].split(sep)[:n]) for t in ids]


def region_groups(
    scheme: TableIdScheme, ids: Sequence[str], fixed: NDArray[np.uint8] | None
) -> list[tuple[NDArray[np.intp], list[str]]]:
    """Row groups of the tables by region, per level: (start rows, codes).

    The tables come sorted by their deepest region code (sorted by id does, unless
    a code holds the table separator). Every member of a region has the prefix
    ``code + separator`` and a part holds no separator, so each region is then one
    contiguous run of rows, and a region's run is a union of runs one level down.
    The codes are in the order of the runs, which is not the order of the codes
    when one code is a prefix of another (:func:`region_sums` sorts them).
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
        codes = level_codes(scheme, ids, level)
        first_rows = [0, *(i for i in range(1, n) if codes[i] != codes[i - 1])]
        out.append((np.array(first_rows, dtype=np.intp), [codes[i] for i in first_rows]))
    return out


def region_sums(
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

    Each level's regions come sorted by code (:mod:`actas.core.idorder`), which is
    not always the order of their runs: the tables ``X b#1`` < ``X#1`` make the runs
    ``X b``, ``X`` of the codes ``X`` < ``X b``.
    """
    if scheme.levels and (fixed is None or scheme.separator):
        # a code may hold the table separator ("X#1" beside "X"), and then the tables
        # "X#1", "X#1#1", "X#2" interleave the regions X and X#1: sum in the order of
        # the deepest codes instead (the regions' sums do not depend on the tables' order)
        deepest = level_codes(scheme, ids, len(scheme.levels) - 1)
        if not is_sorted(deepest):
            order = id_order(deepest)
            ids = [ids[i] for i in order.tolist()]
            columns = columns[order]
    groups = region_groups(scheme, ids, fixed)
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
    out: list[tuple[int, list[str], NDArray[np.int64]]] = [(-1, [NATIONAL], nation)]
    for lv, (_, codes) in enumerate(groups):
        level_sums = sums[lv]
        if not is_sorted(codes):  # runs follow "code + separator", the order is the codes'
            order = id_order(codes)
            codes = [codes[i] for i in order.tolist()]
            level_sums = level_sums[order]
        out.append((lv, codes, level_sums))
    return out
