"""Ratio estimates of candidate shares from collected tables (FORENSICS §5.1).

Per table ``i``: ``y_i`` votes for a candidate, ``x_i`` valid votes.

**SRS of tables** (:func:`ratio_estimate`): ``R̂ = Σy/Σx`` and the
Taylor-linearised variance for a simple random sample of ``n`` out of ``M``
tables without replacement,

    V̂(R̂) = (1 − n/M) · Σ(y_i − R̂·x_i)² / ((n − 1) · n · x̄²),   x̄ = Σx/n.

**Stratified** (:func:`stratified_projection`), strata ``h`` (e.g. states)
with ``n_h`` collected of ``N_h`` tables in the frame: the combined ratio
``R̂ = Ŷ/X̂`` with ``Ŷ = Σ_h N_h·ȳ_h`` and ``X̂ = Σ_h N_h·x̄_h``, and

    V̂(R̂) = Σ_h N_h² · (1 − n_h/N_h) · s²_{e,h} / n_h  /  X̂²,

``s²_{e,h}`` the sample variance of ``e_i = y_i − R̂·x_i`` in stratum ``h``.
With one stratum this is the SRS formula. When the frame counts ``N_h`` are
unknown the strata are weighted by the collected tables and no finite-
population correction is applied; the result says so.

Collected tables are not a random sample: which sheets were collected may
depend on the vote itself. The interval describes sampling noise *if* they
were, nothing more. Fixture: the 24,532 opposition actas treated as an SRS of
30,026 give González R̂ = 0.671393, SE 0.000373.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from actas.core.errors import InputError
from actas.core.forensics.result import jsonable

__all__ = [
    "CAVEAT",
    "Projection",
    "RatioEstimate",
    "StratumSummary",
    "ratio_estimate",
    "stratified_projection",
]

CAVEAT = (
    "Collected tables are not a random sample: which tables were collected can depend on "
    "the vote itself (e.g. where witnesses could be present). The standard errors and "
    "intervals describe sampling noise only if the tables had been drawn at random, and are "
    "not valid inference here; use the deterministic bounds of the claim comparison."
)


@dataclass(frozen=True, slots=True)
class RatioEstimate:
    """R̂ with its Taylor-linearised standard error and a normal interval."""

    ratio: float
    se: float
    ci_low: float
    ci_high: float
    confidence: float
    n: int
    population: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "ratio": self.ratio,
            "se": self.se,
            "ci": [self.ci_low, self.ci_high],
            "confidence": self.confidence,
            "n": self.n,
            "population": self.population,
            "caveat": CAVEAT,
        }


def _z(confidence: float) -> float:
    from scipy import stats  # lazily: importing it takes about a second

    if not 0.0 < confidence < 1.0:
        raise InputError("confidence must be in (0, 1)")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def ratio_estimate(
    y: ArrayLike, x: ArrayLike, population: int | None = None, *, confidence: float = 0.95
) -> RatioEstimate:
    """Ratio Σy/Σx with its SRS (without replacement) Taylor variance.

    ``population`` is the number of tables in the frame (M); ``None`` means
    no finite-population correction.
    """
    ya = np.asarray(y, dtype=np.float64)
    xa = np.asarray(x, dtype=np.float64)
    if ya.shape != xa.shape or ya.ndim != 1:
        raise InputError("ratio_estimate: y and x must be 1-D arrays of equal length")
    n = int(ya.size)
    if n < 2 or xa.sum() <= 0:
        raise InputError("ratio_estimate: need at least two tables with votes")
    if population is not None and population < n:
        raise InputError(f"ratio_estimate: population {population} smaller than sample {n}")
    r = float(ya.sum() / xa.sum())
    fpc = 1.0 - n / population if population else 1.0
    xbar = float(xa.mean())
    var = fpc * float(np.sum((ya - r * xa) ** 2)) / ((n - 1) * n * xbar**2)
    se = math.sqrt(max(var, 0.0))
    z = _z(confidence)
    return RatioEstimate(r, se, r - z * se, r + z * se, confidence, n, population)


@dataclass(frozen=True, slots=True)
class StratumSummary:
    code: str
    collected: int
    frame: int | None
    shares: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Projection:
    """Stratified ratio estimates of each candidate's share of valid votes."""

    candidate_ids: tuple[str, ...]
    shares: tuple[float, ...]
    se: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    confidence: float
    collected: int
    frame_total: int | None
    frame_known: bool
    strata: tuple[StratumSummary, ...]
    notes: tuple[str, ...]
    caveat: str = CAVEAT

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": "stratified_ratio_projection",
            "inputs": "per collected table: stratum, candidate votes, valid votes; "
            "tables per stratum in the frame",
            "candidates": {
                c: {"share": s, "se": e, "ci": [lo, hi]}
                for c, s, e, lo, hi in zip(
                    self.candidate_ids, self.shares, self.se, self.ci_low, self.ci_high, strict=True
                )
            },
            "confidence": self.confidence,
            "collected": self.collected,
            "frame_total": self.frame_total,
            "frame_known": self.frame_known,
            "strata": [
                {"code": s.code, "collected": s.collected, "frame": s.frame, "shares": s.shares}
                for s in self.strata
            ],
            "notes": list(self.notes),
            "caveat": self.caveat,
        }
        result: dict[str, object] = jsonable(out)
        return result


def stratified_projection(
    strata: ArrayLike,
    votes: ArrayLike,
    valid: ArrayLike,
    candidate_ids: Sequence[str],
    frame_tables: Mapping[str, int] | None = None,
    *,
    confidence: float = 0.95,
) -> Projection:
    """Combined stratified ratio estimate per candidate (columns of ``votes``).

    ``frame_tables`` maps each stratum code to its number of tables in the
    frame. Strata in the frame without collected tables cannot be estimated:
    they are left out and listed in ``notes``. A stratum with one collected
    table contributes no variance (noted).
    """
    st = np.asarray(strata).astype(np.str_)
    v = np.asarray(votes, dtype=np.float64)
    x = np.asarray(valid, dtype=np.float64)
    if v.ndim != 2 or st.shape != (v.shape[0],) or x.shape != (v.shape[0],):
        raise InputError("stratified_projection: strata, votes rows and valid must agree")
    if v.shape[1] != len(candidate_ids):
        raise InputError("stratified_projection: one candidate id per votes column")
    if v.shape[0] == 0 or x.sum() <= 0:
        raise InputError("stratified_projection: no collected votes")
    codes, inv = np.unique(st, return_inverse=True)
    n_h = np.bincount(inv, minlength=codes.size).astype(np.float64)
    notes: list[str] = []
    frame_known = frame_tables is not None
    if frame_tables is not None:
        missing = sorted(set(frame_tables) - set(codes.tolist()))
        if missing:
            notes.append(
                f"{len(missing)} strata in the frame have no collected tables and are left "
                f"out of the estimate: {', '.join(missing)}"
            )
        unknown = [c for c in codes.tolist() if c not in frame_tables]
        if unknown:
            raise InputError(f"stratified_projection: strata not in the frame: {unknown}")
        big_n = np.array([float(frame_tables[c]) for c in codes.tolist()])
        if np.any(big_n < n_h):
            raise InputError(
                "stratified_projection: a stratum has more collected than frame tables"
            )
        fpc = 1.0 - n_h / big_n
        frame_total: int | None = int(sum(frame_tables.values()))
    else:
        notes.append(
            "tables per stratum in the frame are unknown: strata are weighted by their "
            "collected tables and no finite-population correction is applied"
        )
        big_n = n_h.copy()
        fpc = np.ones_like(n_h)
        frame_total = None
    if np.any(n_h == 1):
        notes.append(f"{int((n_h == 1).sum())} strata with a single table add no variance")
    weight = big_n / n_h  # expansion factor per table of stratum h
    w = weight[inv]
    x_hat = float(np.sum(w * x))
    z = _z(confidence)
    sum_x_h = np.bincount(inv, weights=x, minlength=codes.size)
    shares, ses, los, his = [], [], [], []
    per_stratum = []
    for j in range(v.shape[1]):
        y = v[:, j]
        r = float(np.sum(w * y)) / x_hat
        e = y - r * x
        sum_e = np.bincount(inv, weights=e, minlength=codes.size)
        sum_e2 = np.bincount(inv, weights=e * e, minlength=codes.size)
        dof = np.maximum(n_h - 1.0, 1.0)
        s2 = np.where(n_h > 1, (sum_e2 - sum_e**2 / n_h) / dof, 0.0)
        var = float(np.sum(big_n**2 * fpc * s2 / n_h)) / x_hat**2
        se = math.sqrt(max(var, 0.0))
        shares.append(r)
        ses.append(se)
        los.append(r - z * se)
        his.append(r + z * se)
        sum_y_h = np.bincount(inv, weights=y, minlength=codes.size)
        per_stratum.append(
            np.divide(sum_y_h, sum_x_h, out=np.zeros_like(sum_y_h), where=sum_x_h > 0)
        )
    share_matrix = np.array(per_stratum).T
    summaries = tuple(
        StratumSummary(
            code=str(c),
            collected=int(n_h[i]),
            frame=int(big_n[i]) if frame_known else None,
            shares=tuple(float(s) for s in share_matrix[i]),
        )
        for i, c in enumerate(codes.tolist())
    )
    return Projection(
        candidate_ids=tuple(candidate_ids),
        shares=tuple(shares),
        se=tuple(ses),
        ci_low=tuple(los),
        ci_high=tuple(his),
        confidence=confidence,
        collected=int(v.shape[0]),
        frame_total=frame_total,
        frame_known=frame_known,
        strata=summaries,
        notes=tuple(notes),
    )
