"""What a region should contain: expected tables and registered voters, from a registry.

Pure. A registry of tables is summed region by region with the same runs as the
tally (:mod:`actas.core.results.regions`); a region's registered voters are known
when every one of its tables' are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from actas.core.idorder import id_array
from actas.core.model import Election
from actas.core.results.arrays import Registry, fits_scheme, id_matrix, id_order
from actas.core.results.regions import region_sums

__all__ = ["Expected", "expected_columns", "expected_from_registry", "registry_sums"]


@dataclass(frozen=True, slots=True)
class Expected:
    """What a region should contain, when known (from a registry or the definition)."""

    tables: int | None = None
    registered: int | None = None


def expected_columns(
    codes: list[str], reg_codes: list[str], reg_sums: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Expected tables and registered voters (-1 = unknown) of ``codes``, from the
    registry's sums of the same level (both sorted by code)."""
    if not codes:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    both = id_array([*reg_codes, *codes])  # one encoding for both
    have, want = both[: len(reg_codes)], both[len(reg_codes) :]
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
    for _, codes, sums in registry_sums(election, registry) or []:
        for code, (tables, known, reg) in zip(codes, sums.tolist(), strict=True):
            out[code] = Expected(tables, reg if known == tables else None)
    return out


def registry_sums(
    election: Election, registry: Registry
) -> list[tuple[int, list[str], NDArray[np.int64]]] | None:
    """(level, codes, [tables, tables with registered known, registered]) of the
    nation and every region of the registry; None when no id fits the scheme."""
    scheme = election.scheme
    ids, registered = registry.table_ids, registry.registered
    fixed = id_matrix(ids)
    fits = fits_scheme(scheme, ids, fixed)
    if not fits.all():
        keep = np.flatnonzero(fits)
        ids = [ids[i] for i in keep.tolist()]
        registered = registered[keep]
        fixed = None if fixed is None else fixed[keep]
    n = len(ids)
    if not n:
        return None
    order = id_order(ids, fixed)
    if order is not None:
        ids = [ids[i] for i in order.tolist()]
        registered = registered[order]
        fixed = None if fixed is None else fixed[order]
    known = registered >= 0
    columns = np.empty((n, 3), dtype=np.int64, order="F")
    columns[:, 0] = 1
    columns[:, 1] = known
    columns[:, 2] = np.where(known, registered, 0)
    return region_sums(scheme, ids, fixed, columns)
