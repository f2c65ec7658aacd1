"""Tables far from their region: robust z-scores of turnout and winner share.

Within each region (at a chosen level), a table's robust z-score is

    z = 0.6745 · (x − median) / MAD,   MAD = median(|x − median|)

(Iglewicz & Hoaglin 1993); a table is flagged when ``|z| > threshold``
(default 3.5). When the MAD is zero (half the region identical) the mean
absolute deviation is used instead (``z = (x − median) / (1.2533 · meanAD)``);
when that is zero too the region is not scored. Regions with fewer than
``min_group`` scored tables are not scored either, and are reported.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from actas.core.errors import InputError
from actas.core.forensics.result import ScreenResult
from actas.core.forensics.tabledata import FloatArray, TableData

__all__ = ["outlier_screens", "robust_z"]

CAVEAT = (
    "A robust z-score says a table differs from its region, not why: a hospital, a prison, "
    "a military unit or a community voting as a bloc is an outlier too. Use it to choose "
    "sheets to look at."
)


def robust_z(
    values: ArrayLike, groups: ArrayLike, *, min_group: int = 10
) -> tuple[FloatArray, int]:
    """Robust z-score of each value within its group; NaN where not scored.

    Returns the scores and the number of groups left unscored (too small or
    with no spread). NaN values are ignored and score NaN.
    """
    x = np.asarray(values, dtype=np.float64)
    g = np.asarray(groups)
    if x.shape != g.shape or x.ndim != 1:
        raise InputError("robust_z: values and groups must be 1-D arrays of equal length")
    if min_group < 3:
        raise InputError("robust_z: min_group must be >= 3")
    z = np.full(x.size, np.nan)
    ok = ~np.isnan(x)
    if not ok.any():
        return z, 0
    _, inv = np.unique(g[ok], return_inverse=True)
    rows = np.flatnonzero(ok)
    order = np.argsort(inv, kind="stable")
    inv_sorted = inv[order]
    bounds = np.flatnonzero(np.diff(inv_sorted)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [inv_sorted.size]))
    unscored = 0
    xs = x[rows[order]]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b - a < min_group:
            unscored += 1
            continue
        seg = xs[a:b]
        med = float(np.median(seg))
        dev = np.abs(seg - med)
        mad = float(np.median(dev))
        if mad > 0:
            scores = 0.6745 * (seg - med) / mad
        else:
            mean_ad = float(dev.mean())
            if mean_ad == 0:
                unscored += 1
                continue
            scores = (seg - med) / (1.2533 * mean_ad)
        z[rows[order[a:b]]] = scores
    return z, unscored


def _screen(
    name: str, what: str, z: FloatArray, unscored: int, threshold: float, level: str
) -> ScreenResult:
    flag: NDArray[np.bool_] = np.abs(np.nan_to_num(z, nan=0.0)) > threshold
    scored = int((~np.isnan(z)).sum())
    return ScreenResult(
        name=name,
        inputs=f"per table: {what}, grouped by region level {level!r}",
        statistic_name="tables_beyond_threshold",
        statistic=int(flag.sum()),
        bound=threshold,
        caveat=CAVEAT,
        flagged=tuple(int(i) for i in np.flatnonzero(flag)),
        details={
            "threshold": threshold,
            "level": level,
            "scored_tables": scored,
            "unscored_regions": unscored,
            "high": int((np.nan_to_num(z, nan=0.0) > threshold).sum()),
            "low": int((np.nan_to_num(z, nan=0.0) < -threshold).sum()),
        },
    )


def outlier_screens(
    data: TableData,
    *,
    level: int | str = 0,
    threshold: float = 3.5,
    min_group: int = 10,
) -> tuple[ScreenResult, ...]:
    """Robust-z outliers in turnout (when registered is known) and winner share."""
    if threshold <= 0:
        raise InputError("outlier_screens: threshold must be > 0")
    if not data.region_levels:
        raise InputError("outlier_screens: the data has no region levels")
    idx = data.level_index(level)
    name = data.region_levels[idx]
    groups = data.regions[idx]
    out = []
    turnout = data.turnout()
    if not np.all(np.isnan(turnout)):
        z, unscored = robust_z(turnout, groups, min_group=min_group)
        out.append(_screen("outlier_turnout", "turnout", z, unscored, threshold, name))
    z, unscored = robust_z(data.winner_share(), groups, min_group=min_group)
    out.append(_screen("outlier_winner_share", "winner share", z, unscored, threshold, name))
    return tuple(out)
