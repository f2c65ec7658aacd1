"""Batch-comparison risk-limiting audit with one table (acta) as one batch.

The method is MACRO + PPEB + Kaplan–Markov (Stark 2008, 2009), for one contest
with any number of candidates and any set of reported winners; every
(winner, loser) pair is a margin. Steps (formulas in ``docs/audit.md``):

1. pairwise margins ``V_wl = V_w - V_l`` from the reported totals; any margin
   <= 0 (a tie) means a full hand count;
2. error bounds ``u_p = max_wl (v_wp - v_lp + b_p) / V_wl`` and ``U = sum u_p``
   and 3. the zero-error sample size ``n0 = ceil(ln a / ln(1 - 1/U))`` are in
   :mod:`actas.core.audit.macro`;
4. PPEB draws with probability ``u_p / U`` (:func:`draw_batches`);
5. observed errors ``e_p = max(0, max_wl ((v_wp - v_lp) - (a_wp - a_lp)) / V_wl)``
   and taints ``t_p = e_p / u_p``; a drawn batch that cannot be audited counts as
   ``t_p = 1`` (:func:`batch_error`);
6. Kaplan–Markov p-values ``P_j = prod_{i<=j} (1 - 1/U) / (1 - t_i)``
   (:func:`kaplan_markov`) and the stop / continue / full-count decision
   (:func:`evaluate`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from actas.core.audit.macro import MacroBounds, check_risk_limit
from actas.core.audit.sampling import Draw, ppeb_sample
from actas.core.errors import InputError

__all__ = [
    "Discrepancy",
    "RlaResult",
    "RlaStatus",
    "batch_error",
    "draw_batches",
    "evaluate",
    "kaplan_markov",
]


class RlaStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # the risk limit is met: the reported winners stand
    CONTINUE = "continue"  # draw more batches (see RlaResult.next_sample_size)
    FULL_HAND_COUNT = "full_hand_count"  # sampling cannot confirm: count everything


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """A drawn batch whose audited values overstate the reported margins."""

    draw: int
    table_id: str
    error: Fraction
    taint: Fraction
    missing: bool = False


@dataclass(frozen=True, slots=True)
class RlaResult:
    """Outcome of :func:`evaluate`.

    ``p_values[j-1]`` is the Kaplan–Markov p-value after draw ``j``, up to the
    draw where the audit stopped; ``next_sample_size`` is the total number of
    draws to reach when the status is ``CONTINUE``.
    """

    status: RlaStatus
    risk_limit: float
    total_bound: Fraction
    draws_used: int
    p_values: tuple[float, ...]
    taints: tuple[Fraction, ...]
    discrepancies: tuple[Discrepancy, ...]
    next_sample_size: int | None
    reason: str

    @property
    def p_value(self) -> float:
        """The last p-value (1 before any draw, 0 when no error can change the outcome)."""
        return self.p_values[-1] if self.p_values else (0.0 if self.total_bound < 1 else 1.0)


def draw_batches(seed: str, bounds: MacroBounds, n: int, *, start: int = 1) -> tuple[Draw, ...]:
    """PPEB draws ``start`` .. ``start + n - 1``: batch p with probability ``u_p / U``."""
    return ppeb_sample(seed, bounds.numerators, n, start=start)


def batch_error(
    bounds: MacroBounds, table_id: str, audited: Sequence[int] | None
) -> tuple[Fraction, Fraction]:
    """Observed error ``e_p`` (understatements clipped to 0) and taint ``e_p / u_p``.

    ``audited`` is the hand count per candidate; ``None`` (the batch could not
    be found or counted) is the maximal error ``u_p``, taint 1.
    """
    u = bounds.bound(table_id)
    if audited is None:
        return u, Fraction(1)
    reported = bounds.reported[table_id]
    if len(audited) != len(reported):
        raise InputError(
            f"batch {table_id}: {len(audited)} audited counts, expected {len(reported)}"
        )
    err = Fraction(0)
    for w, lo, margin in bounds.margins:
        over = (reported[w] - reported[lo]) - (audited[w] - audited[lo])
        err = max(err, Fraction(over, margin))
    if err == 0:
        return err, Fraction(0)
    return err, (err / u if u > 0 else Fraction(1))


def kaplan_markov(taints: Iterable[Fraction | float], total_bound: Fraction | float) -> list[float]:
    """``P_j = prod_{i<=j} (1 - 1/U) / (1 - t_i)`` for j = 1, 2, ...

    A taint >= 1 makes every later p-value infinite. Needs ``U >= 1``.
    """
    u = Fraction(total_bound)
    if u < 1:
        raise InputError("the Kaplan–Markov p-value needs U >= 1")
    gain = float(1 - 1 / u)
    out: list[float] = []
    p = 1.0
    for t in taints:
        p = math.inf if t >= 1 or math.isinf(p) else p * gain / float(1 - Fraction(t))
        out.append(p)
    return out


def evaluate(
    bounds: MacroBounds,
    draws: Sequence[Draw],
    audited: Mapping[str, Sequence[int] | None],
    risk_limit: float,
    *,
    max_draws: int | None = None,
) -> RlaResult:
    """Walk the audited draws in order and decide.

    * a tie (margin <= 0) -> ``FULL_HAND_COUNT``;
    * ``U < 1`` -> ``CONFIRMED`` with no draws;
    * the first draw with taint >= 1 (including a batch missing from
      ``audited`` or mapped to ``None``) -> ``FULL_HAND_COUNT``;
    * the first draw ``j`` with ``P_j <= risk_limit`` -> ``CONFIRMED`` (later
      draws are not used for the decision, but their discrepancies are listed);
    * otherwise ``CONTINUE`` with ``next_sample_size = j + m``, the draws needed
      if later draws show the mean taint seen so far:
      ``m = ceil(ln(a / P_j) / ln g)`` with ``g = (1 - 1/U) / (1 - mean taint)``;
      when ``g >= 1`` or ``j + m`` exceeds ``max_draws`` (default: the number
      of batches with a positive bound) -> ``FULL_HAND_COUNT``.
    """
    check_risk_limit(risk_limit)
    u_total = bounds.total
    if bounds.tie or u_total < 1:
        status = RlaStatus.FULL_HAND_COUNT if bounds.tie else RlaStatus.CONFIRMED
        reason = (
            "a reported winner does not lead a loser (tie): count all ballots"
            if bounds.tie
            else "U < 1: no possible error in the batches can change the outcome"
        )
        return RlaResult(status, risk_limit, u_total, 0, (), (), (), None, reason)
    discrepancies: list[Discrepancy] = []
    taints: list[Fraction] = []
    for d in draws:
        counts = audited.get(d.table_id)
        err, taint = batch_error(bounds, d.table_id, counts)
        taints.append(taint)
        if err > 0:
            discrepancies.append(Discrepancy(d.number, d.table_id, err, taint, counts is None))
    p_values = kaplan_markov(taints, u_total)
    if max_draws is None:
        max_draws = sum(1 for v in bounds.numerators.values() if v)
    status, used, next_n, reason = _decide(p_values, taints, u_total, risk_limit, max_draws)
    return RlaResult(
        status=status,
        risk_limit=risk_limit,
        total_bound=u_total,
        draws_used=used,
        p_values=tuple(p_values[:used]),
        taints=tuple(taints[:used]),
        discrepancies=tuple(discrepancies),
        next_sample_size=next_n,
        reason=reason,
    )


def _decide(
    p_values: list[float], taints: list[Fraction], u_total: Fraction, alpha: float, cap: int
) -> tuple[RlaStatus, int, int | None, str]:
    """Status, draws used, next sample size and reason (see :func:`evaluate`)."""
    for j, p in enumerate(p_values, start=1):
        if math.isinf(p):
            reason = f"draw {j} has taint >= 1 (maximal error or missing batch)"
            return RlaStatus.FULL_HAND_COUNT, j, None, reason
        if p <= alpha:
            return RlaStatus.CONFIRMED, j, None, f"p-value {p:.6g} <= {alpha} after {j} draws"
    j = len(p_values)
    p_now = p_values[-1] if p_values else 1.0
    mean_taint = float(sum(taints, Fraction(0)) / j) if j else 0.0
    gain = float(1 - 1 / u_total) / (1 - mean_taint)
    if gain >= 1:
        reason = f"mean taint {mean_taint:.4g} is too high for sampling to confirm"
        return RlaStatus.FULL_HAND_COUNT, j, None, reason
    more = max(1, math.ceil(math.log(alpha / p_now) / math.log(gain)))
    if j + more > cap:
        reason = f"about {j + more} draws would be needed, more than {cap}"
        return RlaStatus.FULL_HAND_COUNT, j, None, reason
    reason = f"p-value {p_now:.6g} > {alpha}: draw up to {j + more} in all"
    return RlaStatus.CONTINUE, j, j + more, reason
