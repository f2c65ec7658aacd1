"""Quick count (parallel vote tabulation): sample design and ratio estimation.

Design (:func:`design_quick_count`): the NDI voter sample size
``n_v = p(1-p) / (e^2/z^2 + p(1-p)/N)``, times an optional design effect,
divided by the average valid votes per table to give a number of tables,
allocated to strata proportionally to their tables or by Neyman
(``n_h ~ M_h S_h``), with a minimum per stratum.

Estimation (:func:`estimate_quick_count`): the combined ratio estimator
``R = sum_h (M_h/n_h) sum_i y_hi / sum_h (M_h/n_h) sum_i x_hi`` per candidate
(y = the candidate's votes, x = valid votes), with the Taylor-linearised
(cluster) variance ``V = sum_h M_h^2 (1 - n_h/M_h) s_eh^2 / n_h / X^2`` of the
residuals ``e = y - R x`` and a Student t interval on ``n - H`` degrees of
freedom. Details and caveats are in ``docs/audit.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from actas.core.errors import InputError

__all__ = [
    "QuickCountDesign",
    "QuickCountEstimate",
    "ShareEstimate",
    "StratumPlan",
    "allocate",
    "design_effect",
    "design_quick_count",
    "estimate_quick_count",
    "ratio_estimate",
]

Allocation = Literal["proportional", "neyman"]


@dataclass(frozen=True, slots=True)
class StratumPlan:
    """What is known about a stratum before the election.

    ``tables`` is M_h; ``valid_votes`` the expected valid votes (from a previous
    election or registered voters times expected turnout); ``sd`` the per-table
    standard deviation S_h of ``y - p x`` in votes, needed only for Neyman.
    """

    tables: int
    valid_votes: int
    sd: float | None = None


@dataclass(frozen=True, slots=True)
class QuickCountDesign:
    margin: float
    confidence: float
    share: float
    design_effect: float
    voters: float  # n_v after the design effect
    votes_per_table: float
    tables: int  # ceil(voters / votes_per_table), capped at the frame size
    sizes: Mapping[str, int]  # per stratum, after minimums and caps

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


@dataclass(frozen=True, slots=True)
class ShareEstimate:
    candidate: str
    share: float
    se: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class QuickCountEstimate:
    """Shares with intervals, and what of the designed sample was received.

    Strata with no received table are left out of the estimate and listed in
    ``strata_without_data``: the estimate then covers only the other strata.
    """

    shares: tuple[ShareEstimate, ...]
    confidence: float
    designed: int
    received: int
    missing: tuple[str, ...]
    strata_without_data: tuple[str, ...]
    degrees_of_freedom: int

    def share_of(self, candidate: str) -> ShareEstimate:
        for s in self.shares:
            if s.candidate == candidate:
                return s
        raise KeyError(candidate)


def design_quick_count(
    strata: Mapping[str, StratumPlan],
    margin: float,
    *,
    share: float = 0.5,
    confidence: float = 0.95,
    allocation: Allocation = "proportional",
    design_effect: float = 1.0,
    min_per_stratum: int = 2,
) -> QuickCountDesign:
    """Tables to sample per stratum for a margin of error ``margin`` (e.g. 0.01)."""
    from scipy import stats  # lazily: importing it takes about a second

    if not 0 < margin < 1 or not 0 < confidence < 1 or not 0 < share < 1:
        raise InputError("margin, confidence and share must be in (0, 1)")
    if design_effect <= 0 or min_per_stratum < 0 or not strata:
        raise InputError("need design_effect > 0, min_per_stratum >= 0 and some strata")
    tables = sum(s.tables for s in strata.values())
    votes = sum(s.valid_votes for s in strata.values())
    if tables <= 0 or votes <= 0:
        raise InputError("the frame needs tables and valid votes")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    pq = share * (1 - share)
    voters = pq / (margin**2 / z**2 + pq / votes) * design_effect
    per_table = votes / tables
    n = min(tables, math.ceil(voters / per_table))
    if allocation == "proportional":
        weight = {h: float(s.tables) for h, s in strata.items()}
    elif allocation == "neyman":
        if any(s.sd is None or s.sd < 0 for s in strata.values()):
            raise InputError("Neyman allocation needs sd >= 0 for every stratum")
        weight = {h: s.tables * float(s.sd or 0.0) for h, s in strata.items()}
    else:
        raise InputError(f"unknown allocation {allocation!r}")
    caps = {h: s.tables for h, s in strata.items()}
    sizes = allocate(n, weight, caps)
    sizes = {h: max(k, min(min_per_stratum, caps[h])) for h, k in sizes.items()}
    return QuickCountDesign(margin, confidence, share, design_effect, voters, per_table, n, sizes)


def design_effect(votes: Sequence[int], valid: Sequence[int]) -> float:
    """Design effect of sampling whole tables instead of voters, from past table results.

    ``deff = s_e^2 / (x_bar p (1 - p))`` with ``p = sum y / sum x``,
    ``e = y - p x`` and ``s_e^2`` their variance (n - 1): the variance of the
    ratio estimator under simple random sampling of tables divided by the
    binomial variance of the same number of voters. Pass it to
    :func:`design_quick_count` so that the margin is met under clustering.
    """
    y = np.asarray(votes, dtype=np.float64)
    x = np.asarray(valid, dtype=np.float64)
    if y.shape != x.shape or y.size < 2 or x.sum() <= 0:
        raise InputError("need two or more tables with votes and valid votes")
    p = float(y.sum() / x.sum())
    if not 0 < p < 1:
        raise InputError("the share must be strictly between 0 and 1")
    e = y - p * x
    s2 = float(((e - e.mean()) ** 2).sum() / (y.size - 1))
    return s2 / (float(x.mean()) * p * (1 - p))


def allocate(n: int, weights: Mapping[str, float], caps: Mapping[str, int]) -> dict[str, int]:
    """Split ``n`` into integers proportional to ``weights``, none above its cap.

    Largest remainders (Hamilton); equal remainders go to the stratum whose
    label sorts first. A stratum whose share exceeds its cap gets the cap and
    the rest is shared again among the others.
    """
    out = dict.fromkeys(weights, 0)
    free = sorted(h for h in weights if caps[h] > 0)
    left = min(n, sum(caps[h] for h in free))
    while left > 0 and free:
        total = sum(weights[h] for h in free)
        if total <= 0:
            quota = {h: left / len(free) for h in free}
        else:
            quota = {h: left * weights[h] / total for h in free}
        over = [h for h in free if quota[h] >= caps[h]]
        if over:
            for h in over:
                out[h] = caps[h]
                left -= caps[h]
            free = [h for h in free if h not in over]
            continue
        base = {h: math.floor(quota[h]) for h in free}
        rest = left - sum(base.values())
        order = sorted(free, key=lambda h: (-(quota[h] - base[h]), h))
        for h in order[:rest]:
            base[h] += 1
        out.update(base)
        break
    return out


def ratio_estimate(
    y: np.ndarray,
    x: np.ndarray,
    stratum: np.ndarray,
    stratum_tables: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Vectorised combined ratio estimator.

    ``y`` is (n, C) votes per candidate, ``x`` (n,) valid votes, ``stratum``
    (n,) stratum index into ``stratum_tables`` (M_h). Strata with no sampled
    table are ignored. Returns shares (C,), standard errors (C,) and the degrees
    of freedom ``n - H`` (at least 1). A stratum with one sampled table uses
    the pooled within-stratum residual variance.
    """
    y = np.asarray(y, dtype=np.float64).reshape(len(x), -1)
    x = np.asarray(x, dtype=np.float64)
    stratum = np.asarray(stratum, dtype=np.int64)
    big_m = np.asarray(stratum_tables, dtype=np.float64)
    h_count = len(big_m)
    n_h = np.bincount(stratum, minlength=h_count).astype(np.float64)
    if (n_h > big_m).any():
        raise InputError("a stratum has more sampled tables than tables")
    present = n_h > 0
    w = np.zeros(h_count)
    w[present] = big_m[present] / n_h[present]
    x_hat = float((w[stratum] * x).sum())
    if x_hat <= 0:
        raise InputError("the sample has no valid votes")
    r = (w[stratum][:, None] * y).sum(axis=0) / x_hat
    e = y - x[:, None] * r[None, :]
    sum_e = np.zeros((h_count, y.shape[1]))
    np.add.at(sum_e, stratum, e)
    mean_e = np.zeros_like(sum_e)
    mean_e[present] = sum_e[present] / n_h[present, None]
    ss = np.zeros_like(sum_e)
    np.add.at(ss, stratum, (e - mean_e[stratum]) ** 2)
    df_h = np.maximum(n_h - 1, 0)
    df_total = int(df_h.sum())
    s2 = np.zeros_like(sum_e)
    several = n_h > 1
    s2[several] = ss[several] / df_h[several, None]
    if df_total > 0:
        s2[n_h == 1] = ss.sum(axis=0) / df_total  # pooled, for single-table strata
    fpc = np.zeros(h_count)
    fpc[present] = 1 - n_h[present] / big_m[present]
    var_total = np.zeros(y.shape[1])
    for h in np.flatnonzero(present):
        var_total += big_m[h] ** 2 * fpc[h] * s2[h] / n_h[h]
    se = np.sqrt(var_total) / x_hat
    return r, se, max(1, int(n_h.sum()) - int(present.sum()))


def estimate_quick_count(
    stratum_tables: Mapping[str, int],
    sample: Mapping[str, Sequence[str]],
    results: Mapping[str, Sequence[int]],
    candidates: Sequence[str],
    *,
    confidence: float = 0.95,
) -> QuickCountEstimate:
    """Shares and intervals from the received results of a designed sample.

    ``stratum_tables`` is M_h per stratum, ``sample`` the designed table ids per
    stratum, ``results`` the votes per candidate of each received table (tables
    not in ``results`` are missing; missing tables are assumed to be missing at
    random within their stratum, see ``docs/audit.md``).
    """
    from scipy import stats  # lazily: importing it takes about a second

    if not 0 < confidence < 1:
        raise InputError("confidence must be in (0, 1)")
    labels = sorted(stratum_tables)
    unknown = sorted(set(sample) - set(labels))
    if unknown:
        raise InputError(f"sample strata not in the frame: {unknown}")
    index = {h: i for i, h in enumerate(labels)}
    rows: list[Sequence[int]] = []
    strata_idx: list[int] = []
    missing: list[str] = []
    designed = 0
    for h in labels:
        for t in sample.get(h, ()):
            designed += 1
            got = results.get(t)
            if got is None:
                missing.append(t)
                continue
            if len(got) != len(candidates):
                raise InputError(f"table {t} has {len(got)} counts for {len(candidates)}")
            rows.append(got)
            strata_idx.append(index[h])
    if not rows:
        raise InputError("no sampled table has been received")
    y = np.asarray(rows, dtype=np.float64)
    x = y.sum(axis=1)
    big_m = np.asarray([stratum_tables[h] for h in labels], dtype=np.float64)
    r, se, df = ratio_estimate(y, x, np.asarray(strata_idx), big_m)
    q = float(stats.t.ppf(0.5 + confidence / 2, df))
    shares = tuple(
        ShareEstimate(
            c, float(r[i]), float(se[i]), float(r[i] - q * se[i]), float(r[i] + q * se[i])
        )
        for i, c in enumerate(candidates)
    )
    seen = set(strata_idx)
    without = tuple(h for h in labels if index[h] not in seen)
    return QuickCountEstimate(shares, confidence, designed, len(rows), tuple(missing), without, df)
