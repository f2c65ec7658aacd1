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
    """
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
    return [
        (-1, [NATIONAL], nation),
        *((lv, codes, sums[lv]) for lv, (_, codes) in enumerate(groups)),
    ]
