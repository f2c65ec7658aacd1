"""Round-percentage test: were the counts back-computed from rounded shares?

FORENSICS §1.5. Given counts ``v_1..v_k`` and a total ``T`` (their sum, or an
independently reported total) and grid steps ``s`` (shares: 1/100, 1/1000,
1/10000 = 1, 0.1, 0.01 percentage points), all in exact rationals:

* nearest grid share ``g_i = round(v_i / (s·T)) · s``; residual
  ``r_i = v_i − g_i·T`` in votes;
* cell size ``Δ = s·T`` (votes spanned by one grid step);
* ``p₁ = min(1, 2·max(τ, ½)/Δ)``: the chance one count lands within τ of its
  grid point when its position in the cell is uniform;
* when ``T`` is the sum of the counts only ``k − 1`` counts are free (the last
  residual is minus the sum of the others), so the test uses the ``k − 1``
  smallest ``|r_i|``; ``p(s) = min(1, 2·max(r_max, ½)/Δ)^(k−1)`` with
  ``r_max`` the largest of them. With an independent total all ``k`` are free;
* over grids: the smallest ``p(s)``, times the number of grids tried plus any
  ``extra_comparisons`` (groupings, levels), capped at 1 (Bonferroni);
* a grid *fits* when each free ``|r_i| <= τ`` and the dependent one is
  within ``(k − 1)·τ``; the flag is raised when some grid fits.

Fixture F1 (CNE bulletin 1: 5,150,092 / 4,445,978 / 462,704): at 0.1 pp the
residuals are −0.288, −0.108, +0.396 votes and p = 9.88e-9 (≈ 1 in 101 million).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from actas.core.errors import InputError
from actas.core.forensics.result import ScreenResult

__all__ = ["DEFAULT_STEPS", "GridFit", "RoundPctResult", "round_percentage_test"]

#: 1, 0.1 and 0.01 percentage points, as shares
DEFAULT_STEPS: tuple[Fraction, ...] = (Fraction(1, 100), Fraction(1, 1000), Fraction(1, 10000))

CAVEAT = (
    "The p-value is the chance, if each count's position inside its grid cell were uniform, "
    "that the counts sit this close to round percentages; it measures improbability, not "
    "the size of any fraud. Grids and groupings chosen after seeing the data must be "
    "counted in the Bonferroni factor. Legitimate systems sometimes publish counts computed "
    "from rounded shares; the test is only meaningful when the cell size is much larger "
    "than one vote."
)


def _round_half_even(q: Fraction) -> int:
    return round(q)


def _count(v: object) -> int:
    if isinstance(v, bool):
        raise InputError(f"round_percentage_test: counts must be integers, got {v!r}")
    try:
        out = operator.index(v)  # type: ignore[arg-type]
    except TypeError:
        raise InputError(f"round_percentage_test: counts must be integers, got {v!r}") from None
    if out < 0:
        raise InputError(f"round_percentage_test: counts must be >= 0, got {out}")
    return int(out)


@dataclass(frozen=True, slots=True)
class GridFit:
    """How closely the counts sit on one grid of shares."""

    step: Fraction  # share per grid step, e.g. 1/1000 for 0.1 pp
    cell: Fraction  # Δ = step · T votes
    shares: tuple[Fraction, ...]  # nearest grid shares g_i
    residuals: tuple[Fraction, ...]  # r_i = v_i − g_i·T in votes
    free: int  # counts treated as free (k − 1 or k)
    r_max_free: Fraction  # largest |r| among the free counts
    r_max: Fraction  # largest |r| among all counts
    p1: float
    p: float
    fits: bool

    @property
    def step_pp(self) -> str:
        """The step in percentage points, e.g. ``"0.1"``."""
        pp = self.step * 100
        return str(pp.numerator) if pp.denominator == 1 else f"{float(pp):g}"

    def to_json(self) -> dict[str, object]:
        return {
            "step_pp": self.step_pp,
            "cell_votes": float(self.cell),
            "shares_pct": [float(s * 100) for s in self.shares],
            "residuals": [float(r) for r in self.residuals],
            "residuals_exact": [str(r) for r in self.residuals],
            "free_counts": self.free,
            "r_max_free": float(self.r_max_free),
            "r_max": float(self.r_max),
            "p1": self.p1,
            "p": self.p,
            "fits": self.fits,
        }


@dataclass(frozen=True, slots=True)
class RoundPctResult:
    """The round-percentage test over several grids."""

    labels: tuple[str, ...]
    counts: tuple[int, ...]
    total: int
    tolerance: Fraction
    grids: tuple[GridFit, ...]
    comparisons: int  # Bonferroni factor
    p_min: float
    p_bonferroni: float
    flag: bool

    @property
    def best(self) -> GridFit | None:
        """The coarsest grid that fits, or None."""
        fitting = [g for g in self.grids if g.fits]
        return max(fitting, key=lambda g: g.step) if fitting else None

    def to_screen(self) -> ScreenResult:
        best = self.best
        return ScreenResult(
            name="round_percentages",
            inputs="claimed counts " + ", ".join(self.labels) + f" and total {self.total}",
            statistic_name="r_max_free_votes_at_best_grid",
            statistic=float(best.r_max_free) if best else None,
            p_value=self.p_bonferroni,
            caveat=CAVEAT,
            details={
                "counts": dict(zip(self.labels, self.counts, strict=True)),
                "total": self.total,
                "tolerance": float(self.tolerance),
                "comparisons": self.comparisons,
                "p_min": self.p_min,
                "flag": self.flag,
                "best_grid_pp": best.step_pp if best else None,
                "grids": [g.to_json() for g in self.grids],
            },
        )


def _grid(
    counts: Sequence[int], total: int, step: Fraction, tol: Fraction, dependent: bool
) -> GridFit:
    cell = step * total
    shares = tuple(_round_half_even(Fraction(v) / cell) * step for v in counts)
    residuals = tuple(Fraction(v) - g * total for v, g in zip(counts, shares, strict=True))
    mags = sorted(abs(r) for r in residuals)
    k = len(counts)
    free = k - 1 if dependent else k
    r_max_free = mags[free - 1] if free > 0 else Fraction(0)
    half = Fraction(1, 2)
    p1 = min(1.0, float(2 * max(tol, half) / cell))
    p = min(1.0, float(2 * max(r_max_free, half) / cell)) ** free
    fits = all(m <= tol for m in mags[:free]) and (not dependent or mags[-1] <= max(k - 1, 1) * tol)
    return GridFit(
        step=step,
        cell=cell,
        shares=shares,
        residuals=residuals,
        free=free,
        r_max_free=r_max_free,
        r_max=mags[-1],
        p1=p1,
        p=p,
        fits=fits,
    )


def round_percentage_test(
    counts: Sequence[int],
    total: int | None = None,
    *,
    labels: Sequence[str] | None = None,
    steps: Sequence[Fraction] = DEFAULT_STEPS,
    tolerance: Fraction = Fraction(1, 2),
    extra_comparisons: int = 0,
) -> RoundPctResult:
    """Test whether ``counts`` sit on a grid of round shares of ``total``.

    ``total`` defaults to the sum of the counts; when it differs from that
    sum, every count is free. ``extra_comparisons`` adds other groupings or
    aggregation levels tried to the Bonferroni factor.
    """
    vals = tuple(_count(v) for v in counts)
    if len(vals) < 2:
        raise InputError("round_percentage_test: need at least two counts")
    tot = sum(vals) if total is None else total
    if tot <= 0:
        raise InputError("round_percentage_test: total must be positive")
    if tot < sum(vals):
        raise InputError("round_percentage_test: total is smaller than the sum of the counts")
    if not steps or any(s <= 0 or s >= 1 for s in steps):
        raise InputError("round_percentage_test: grid steps must be shares in (0, 1)")
    if tolerance < 0 or extra_comparisons < 0:
        raise InputError("round_percentage_test: tolerance and extra_comparisons must be >= 0")
    names = tuple(labels) if labels is not None else tuple(f"c{i}" for i in range(len(vals)))
    if len(names) != len(vals):
        raise InputError("round_percentage_test: one label per count")
    dependent = tot == sum(vals)
    grids = tuple(_grid(vals, tot, Fraction(s), Fraction(tolerance), dependent) for s in steps)
    comparisons = len(grids) + extra_comparisons
    p_min = min(g.p for g in grids)
    return RoundPctResult(
        labels=names,
        counts=vals,
        total=tot,
        tolerance=Fraction(tolerance),
        grids=grids,
        comparisons=comparisons,
        p_min=p_min,
        p_bonferroni=min(1.0, p_min * comparisons),
        flag=any(g.fits for g in grids),
    )
