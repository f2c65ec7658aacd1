"""Audits: reproducible sampling from a public seed, quick counts, risk-limiting audits.

Pure core (no I/O, clock, environment or global randomness). Nine modules:

* :mod:`actas.core.audit.sampling` — SHA-256 tickets, samples without replacement,
  stratified samples, PPEB draws, canonical frame bytes;
* :mod:`actas.core.audit.quickcount` — quick-count design (NDI sample size,
  proportional / Neyman allocation) and the stratified ratio estimator;
* :mod:`actas.core.audit.macro` — MACRO error bounds and the zero-error sample size;
* :mod:`actas.core.audit.rla` — batch-comparison RLA: PPEB draws, taints,
  Kaplan–Markov p-values, stop / continue / full hand count;
* :mod:`actas.core.audit.commitment` — the documents an audit logs (frame
  commitment, seed, audited values) and the sample recomputed from them;
* :mod:`actas.core.audit.rounds` — an RLA's rounds: the draws, the audited prefix,
  the p-values and the decision;
* :mod:`actas.core.audit.leaves` — an audit read back from its leaves: the checks,
  the sample and decision they lead to;
* :mod:`actas.core.audit.summary` — the summary a bundle publishes, and how two differ;
* :mod:`actas.core.audit.trail` — a bundle's audits checked against its leaves.

The procedures, byte formats and caveats are specified in ``docs/audit.md``.
"""

from __future__ import annotations

from actas.core.audit.macro import (
    Batch,
    Contest,
    MacroBounds,
    error_bound,
    initial_sample_size,
    macro_bounds,
)
from actas.core.audit.quickcount import (
    QuickCountDesign,
    QuickCountEstimate,
    ShareEstimate,
    StratumPlan,
    allocate,
    design_effect,
    design_quick_count,
    estimate_quick_count,
    ratio_estimate,
)
from actas.core.audit.rla import (
    Discrepancy,
    RlaResult,
    RlaStatus,
    batch_error,
    draw_batches,
    evaluate,
    kaplan_markov,
)
from actas.core.audit.sampling import (
    Draw,
    frame_bytes,
    frame_sha256,
    normalize_seed,
    ppeb_sample,
    sample,
    stratified_sample,
    ticket,
)

__all__ = [
    "Batch",
    "Contest",
    "Discrepancy",
    "Draw",
    "MacroBounds",
    "QuickCountDesign",
    "QuickCountEstimate",
    "RlaResult",
    "RlaStatus",
    "ShareEstimate",
    "StratumPlan",
    "allocate",
    "batch_error",
    "design_effect",
    "design_quick_count",
    "draw_batches",
    "error_bound",
    "estimate_quick_count",
    "evaluate",
    "frame_bytes",
    "frame_sha256",
    "initial_sample_size",
    "kaplan_markov",
    "macro_bounds",
    "normalize_seed",
    "ppeb_sample",
    "ratio_estimate",
    "sample",
    "stratified_sample",
    "ticket",
]
