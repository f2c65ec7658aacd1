"""Batch-comparison risk-limiting audit with one table (acta) as one batch.

The method is MACRO + PPEB + Kaplan–Markov (Stark 2008, 2009), for one contest
with any number of candidates and any set of reported winners; every
(winner, loser) pair is a margin. Steps (formulas in ``docs/audit.md``):

1. pairwise margins ``V_wl = V_w - V_l`` from the reported totals; any margin
   <= 0 (a tie) means a full hand count;
2. error bounds ``u_p = max_wl (v_wp - v_lp + b_p) / V_wl`` and ``U = sum u_p``
   (:func:`macro_bounds`, exact fractions kept as integers over one common
   denominator);
3. zero-error sample size ``n0 = ceil(ln a / ln(1 - 1/U))``
   (:func:`initial_sample_size`);
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
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from actas.audit.sampling import Draw, ppeb_sample
from actas.errors import InputError

__all__ = [
    "Batch",
    "Contest",
    "Discrepancy",
    "MacroBounds",
    "RlaResult",
    "RlaStatus",
    "batch_error",
    "draw_batches",
    "error_bound",
    "evaluate",
    "initial_sample_size",
    "kaplan_markov",
    "macro_bounds",
]


class RlaStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # the risk limit is met: the reported winners stand
    CONTINUE = "continue"  # draw more batches (see RlaResult.next_sample_size)
    FULL_HAND_COUNT = "full_hand_count"  # sampling cannot confirm: count everything


@dataclass(frozen=True, slots=True)
class Contest:
    """Candidate names in vote order, the reported winners and the losers.

    ``losers`` defaults to every candidate that is not a winner.
    """

    candidates: tuple[str, ...]
    winners: tuple[str, ...]
    losers: tuple[str, ...] = ()

    def pairs(self) -> tuple[tuple[int, int], ...]:
        """(winner index, loser index) for every pair whose margin is audited."""
        idx = {c: i for i, c in enumerate(self.candidates)}
        if len(idx) != len(self.candidates):
            raise InputError("candidate names must be unique")
        unknown = [c for c in (*self.winners, *self.losers) if c not in idx]
        if unknown:
            raise InputError(f"unknown candidates: {unknown}")
        if not self.winners:
            raise InputError("a contest needs at least one reported winner")
        losers = self.losers or tuple(c for c in self.candidates if c not in self.winners)
        if set(losers) & set(self.winners) or not losers:
            raise InputError("losers must be non-empty and disjoint from winners")
        return tuple((idx[w], idx[lo]) for w in self.winners for lo in losers)


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch (a table): reported votes per candidate and ballots cast.

    The ballot count used for the error bound is ``max(ballots, sum(votes))``,
    so a sheet that reports fewer ballots than votes cannot shrink its bound.
    """

    table_id: str
    votes: tuple[int, ...]
    ballots: int


@dataclass(frozen=True, slots=True)
class MacroBounds:
    """MACRO error bounds of every batch, exact: ``u_p = numerators[p] / denominator``."""

    contest: Contest
    totals: tuple[int, ...]
    margins: tuple[tuple[int, int, int], ...]  # (winner index, loser index, V_wl)
    denominator: int
    numerators: Mapping[str, int]
    reported: Mapping[str, tuple[int, ...]]

    @property
    def total(self) -> Fraction:
        """``U``, the sum of all batch error bounds."""
        return Fraction(sum(self.numerators.values()), self.denominator)

    @property
    def tie(self) -> bool:
        """True when some reported winner does not lead some loser."""
        return any(m <= 0 for _, _, m in self.margins)

    def bound(self, table_id: str) -> Fraction:
        """``u_p`` of one batch."""
        return Fraction(self.numerators[table_id], self.denominator)


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


def error_bound(
    votes: Sequence[int], ballots: int, totals: Sequence[int], pairs: Iterable[tuple[int, int]]
) -> Fraction:
    """``u_p = max_wl (v_wp - v_lp + b_p) / V_wl`` for one batch (MACRO)."""
    b = max(ballots, sum(votes))
    best = Fraction(0)
    for w, lo in pairs:
        margin = totals[w] - totals[lo]
        if margin <= 0:
            raise InputError(f"no positive margin between candidates {w} and {lo}")
        best = max(best, Fraction(votes[w] - votes[lo] + b, margin))
    return best


def macro_bounds(contest: Contest, batches: Iterable[Batch]) -> MacroBounds:
    """Contest totals, pairwise margins and every batch's error bound.

    The totals are the sums over the batches (the manifest is the reported
    result). When a margin is <= 0 the bounds are all zero and ``tie`` is set.
    """
    pairs = contest.pairs()
    width = len(contest.candidates)
    reported: dict[str, tuple[int, ...]] = {}
    stated: list[int] = []
    for batch in batches:
        if len(batch.votes) != width:
            raise InputError(f"batch {batch.table_id} has {len(batch.votes)} vote counts")
        reported[batch.table_id] = batch.votes
        stated.append(batch.ballots)
    if len(reported) != len(stated):
        raise InputError("a batch appears twice in the manifest")
    ids = list(reported)
    flat = itertools.chain.from_iterable(reported.values())
    votes = np.fromiter(flat, dtype=np.int64, count=len(ids) * width).reshape(len(ids), width)
    given = np.asarray(stated, dtype=np.int64)
    negative = np.flatnonzero((votes < 0).any(axis=1) | (given < 0))
    if negative.size:
        raise InputError(f"batch {ids[int(negative[0])]} has negative counts")
    ballots = np.maximum(given, votes.sum(axis=1))
    totals = tuple(int(x) for x in votes.sum(axis=0))
    margins = tuple((w, lo, totals[w] - totals[lo]) for w, lo in pairs)
    if any(m <= 0 for _, _, m in margins):
        return MacroBounds(contest, totals, margins, 1, dict.fromkeys(ids, 0), reported)
    den = math.lcm(*(m for _, _, m in margins))
    # per pair k: n_k = v_w - v_l + b >= 0, and u_p = max_k n_k / m_k
    numer = np.stack([votes[:, w] - votes[:, lo] + ballots for w, lo, _ in margins], axis=1)
    scale = [den // m for _, _, m in margins]
    if len(margins) == 1:
        nums = (
            (numer[:, 0] * scale[0]).tolist() if scale[0] == 1 else _scaled(numer[:, 0], scale[0])
        )
    else:
        nums = _exact_max(numer, [m for _, _, m in margins], scale)
    return MacroBounds(contest, totals, margins, den, dict(zip(ids, nums, strict=True)), reported)


def _scaled(column: np.ndarray, factor: int) -> list[int]:
    return [int(x) * factor for x in column.tolist()]


def _exact_max(numer: np.ndarray, margins: list[int], scale: list[int]) -> list[int]:
    """``max_k numer[:, k] * scale[k]`` per row, exactly, without a Python loop per pair.

    Floats pick the maximising pair; rows where another pair comes within
    1e-9 relative (float rounding is far smaller) are settled with integers.
    """
    ratio = numer / np.asarray(margins, dtype=np.float64)
    best = ratio.max(axis=1)
    near = ratio >= best[:, None] * (1 - 1e-9)
    k_best = ratio.argmax(axis=1)
    out = [
        int(n) * scale[k]
        for n, k in zip(numer[np.arange(len(numer)), k_best].tolist(), k_best.tolist(), strict=True)
    ]
    for i in np.flatnonzero(near.sum(axis=1) > 1).tolist():
        out[i] = max(int(numer[i, k]) * scale[k] for k in range(len(scale)))
    return out


def initial_sample_size(total_bound: Fraction | float, risk_limit: float) -> int:
    """``n0 = ceil(ln a / ln(1 - 1/U))``: draws needed if no error is found.

    0 when ``U < 1`` (no error can change the outcome), 1 when ``U == 1``.
    """
    _check_alpha(risk_limit)
    u = Fraction(total_bound)
    if u < 1:
        return 0
    if u == 1:
        return 1
    return math.ceil(math.log(risk_limit) / math.log1p(-1 / float(u)))


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
        raise InputError(f"batch {table_id}: {len(audited)} audited counts, expected more")
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
    _check_alpha(risk_limit)
    u_total = bounds.total
    if bounds.tie:
        return _result(
            RlaStatus.FULL_HAND_COUNT,
            risk_limit,
            u_total,
            0,
            [],
            [],
            [],
            None,
            "a reported winner does not lead a loser (tie): count all ballots",
        )
    if u_total < 1:
        return _result(
            RlaStatus.CONFIRMED,
            risk_limit,
            u_total,
            0,
            [],
            [],
            [],
            None,
            "U < 1: no possible error in the batches can change the outcome",
        )
    discrepancies: list[Discrepancy] = []
    taints: list[Fraction] = []
    for d in draws:
        err, taint = batch_error(bounds, d.table_id, audited.get(d.table_id))
        taints.append(taint)
        if err > 0:
            missing = audited.get(d.table_id) is None
            discrepancies.append(Discrepancy(d.number, d.table_id, err, taint, missing))
    p_values = kaplan_markov(taints, u_total)
    for j, p in enumerate(p_values, start=1):
        if math.isinf(p):
            return _result(
                RlaStatus.FULL_HAND_COUNT,
                risk_limit,
                u_total,
                j,
                p_values[:j],
                taints[:j],
                discrepancies,
                None,
                f"draw {j} has taint >= 1 (maximal error or missing batch)",
            )
        if p <= risk_limit:
            return _result(
                RlaStatus.CONFIRMED,
                risk_limit,
                u_total,
                j,
                p_values[:j],
                taints[:j],
                discrepancies,
                None,
                f"p-value {p:.6g} <= risk limit {risk_limit} after {j} draws",
            )
    j = len(p_values)
    p_now = p_values[-1] if p_values else 1.0
    mean_taint = float(sum(taints, Fraction(0)) / j) if j else 0.0
    gain = float(1 - 1 / u_total) / (1 - mean_taint)
    cap = max_draws if max_draws is not None else sum(1 for v in bounds.numerators.values() if v)
    if gain >= 1:
        return _result(
            RlaStatus.FULL_HAND_COUNT,
            risk_limit,
            u_total,
            j,
            p_values,
            taints,
            discrepancies,
            None,
            f"mean taint {mean_taint:.4g} is too high for sampling to confirm",
        )
    more = max(1, math.ceil(math.log(risk_limit / p_now) / math.log(gain)))
    if j + more > cap:
        return _result(
            RlaStatus.FULL_HAND_COUNT,
            risk_limit,
            u_total,
            j,
            p_values,
            taints,
            discrepancies,
            None,
            f"about {j + more} draws would be needed, more than {cap}",
        )
    return _result(
        RlaStatus.CONTINUE,
        risk_limit,
        u_total,
        j,
        p_values,
        taints,
        discrepancies,
        j + more,
        f"p-value {p_now:.6g} > risk limit {risk_limit}: draw up to {j + more}",
    )


def _result(
    status: RlaStatus,
    alpha: float,
    u_total: Fraction,
    used: int,
    p_values: list[float],
    taints: list[Fraction],
    discrepancies: list[Discrepancy],
    next_n: int | None,
    reason: str,
) -> RlaResult:
    return RlaResult(
        status,
        alpha,
        u_total,
        used,
        tuple(p_values),
        tuple(taints),
        tuple(discrepancies),
        next_n,
        reason,
    )


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise InputError(f"the risk limit must be in (0, 1), got {alpha}")
