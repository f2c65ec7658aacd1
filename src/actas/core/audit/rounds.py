"""An RLA's rounds: from the commitment, the seed and the values audited so far, the
draws of the current round, the audited prefix, the Kaplan–Markov p-values and the
decision. Pure: the app (``actas audit rla status``) and the verifier (:mod:`.trail`)
both decide with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from actas.core.audit import commitment as doc
from actas.core.audit.macro import MacroBounds
from actas.core.audit.rla import (
    RlaResult,
    RlaStatus,
    batch_error,
    draw_batches,
    evaluate,
    kaplan_markov,
)
from actas.core.audit.sampling import Draw

__all__ = ["DrawFn", "Progress", "audited_votes", "rla_progress"]

#: draws 1 .. n of an RLA, given n (lets the app memoise them)
DrawFn = Callable[[int], tuple[Draw, ...]]


# ----------------------------------------------------------------- the RLA's rounds


@dataclass(frozen=True)
class Progress:
    """Where an RLA stands: its current round, the audited prefix and the decision."""

    bounds: MacroBounds
    target: int  # the current sample size (draws 1 .. target)
    draws: tuple[Draw, ...]
    audited_prefix: int  # draws 1 .. k are all audited
    result: RlaResult  # evaluate() over the audited prefix
    decision: str  # confirmed, continue, full_hand_count or awaiting_seed
    reason: str
    taints: tuple[tuple[Draw, Fraction], ...] = ()  # (draw, taint) over the audited prefix

    def p_values(self) -> list[float]:
        """Kaplan–Markov p-values after each draw of the audited prefix."""
        if self.bounds.total < 1:
            return []
        return kaplan_markov([t for _, t in self.taints], self.bounds.total)


def audited_votes(
    commitment: doc.Commitment, records: Iterable[doc.Record]
) -> dict[str, tuple[int, ...] | None]:
    """Table -> the contest's audited votes (latest record wins; ``None``: not found)."""
    names = commitment.contest.candidates
    out: dict[str, tuple[int, ...] | None] = {}
    for r in records:
        out[r.table_id] = None if r.counts is None else tuple(r.counts[n] for n in names)
    return out


def rla_progress(
    c: doc.Commitment,
    seed: str | None,
    audited: Mapping[str, Sequence[int] | None],
    draws_of: DrawFn | None = None,
) -> Progress:
    """Draw, evaluate the audited prefix, escalate when the whole round is audited.

    A round is the draws 1 .. target. Within a round the audit can stop early
    (the p-value reaches the risk limit: confirmed; a taint of 1: full hand
    count). When every draw of the round is audited and neither happened, the
    re-estimated size becomes the next round, or a full hand count when
    sampling cannot confirm (:func:`actas.core.audit.evaluate`). ``draws_of(n)``
    gives draws 1 .. n (default: :func:`draw_batches` on the committed bounds).
    """
    bounds = c.bounds()
    alpha = c.risk_limit
    n0 = int(c.doc["initial_sample_size"])
    if bounds.tie or bounds.total < 1:
        res = evaluate(bounds, (), audited, alpha)
        return Progress(bounds, 0, (), 0, res, str(res.status), res.reason)
    if seed is None:
        res = evaluate(bounds, (), audited, alpha)
        return Progress(bounds, n0, (), 0, res, "awaiting_seed", "log the seed to draw the sample")
    draw = draws_of or (lambda n: draw_batches(seed, bounds, n))
    target = max(1, n0)
    draws = draw(target)
    while True:
        k = next((j for j, d in enumerate(draws) if d.table_id not in audited), len(draws))
        res = evaluate(bounds, draws[:k], audited, alpha)
        hopeless = any(math.isinf(x) for x in res.p_values)
        taints = tuple(
            (d, batch_error(bounds, d.table_id, audited[d.table_id])[1]) for d in draws[:k]
        )
        if res.status is RlaStatus.CONFIRMED or (
            res.status is RlaStatus.FULL_HAND_COUNT and (k == target or hopeless)
        ):
            return Progress(bounds, target, draws, k, res, str(res.status), res.reason, taints)
        if k < target:
            reason = f"{target - k} of {target} draws still to audit (draw {k + 1} next)"
            if res.status is RlaStatus.CONTINUE and (res.next_sample_size or 0) > target:
                reason += f"; the evidence so far points to about {res.next_sample_size} in all"
            return Progress(bounds, target, draws, k, res, "continue", reason, taints)
        target = int(res.next_sample_size or target + 1)
        draws = draw(target)
