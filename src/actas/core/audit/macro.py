"""MACRO error bounds for a batch-comparison audit, one table (acta) as one batch.

For one contest with any number of candidates and any set of reported winners,
every (winner, loser) pair is a margin ``V_wl = V_w - V_l``. A batch's error
bound is ``u_p = max_wl (v_wp - v_lp + b_p) / V_wl`` (Stark 2008, 2009; MACRO),
``U = sum u_p``, and with no errors found the audit needs
``n0 = ceil(ln a / ln(1 - 1/U))`` PPEB draws. Bounds are exact: integers over
one common denominator ``lcm(V_wl)``, which are also the PPEB weights.
The audit itself (taints, Kaplan–Markov, decisions) is in :mod:`actas.core.audit.rla`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from actas.core.errors import InputError

__all__ = [
    "Batch",
    "Contest",
    "MacroBounds",
    "check_risk_limit",
    "error_bound",
    "initial_sample_size",
    "macro_bounds",
]


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
    check_risk_limit(risk_limit)
    u = Fraction(total_bound)
    if u < 1:
        return 0
    if u == 1:
        return 1
    return math.ceil(math.log(risk_limit) / math.log1p(-1 / float(u)))


def check_risk_limit(alpha: float) -> None:
    """Raise :class:`InputError` unless ``0 < alpha < 1``."""
    if not 0 < alpha < 1:
        raise InputError(f"the risk limit must be in (0, 1), got {alpha}")
