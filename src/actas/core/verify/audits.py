"""Step 10: every audit again from its leaves and the reconciled results (``audits.json``). Pure."""

from __future__ import annotations

from actas.core.audit import trail
from actas.core.bundle import format as b
from actas.core.model import Election
from actas.core.results.reconcile import TableResult
from actas.core.verify import replay
from actas.core.verify.report import leaf_where
from actas.core.verify.run import Run

__all__ = ["audits"]


def audits(
    run: Run,
    election: Election,
    leaves: list[replay.LeafInfo | None],
    hashes: list[bytes | None],
    results: list[TableResult],
) -> None:
    """Step 10: samples, decisions and quick-count estimates again from the audit
    leaves and the reconciled results; ``audits.json``."""
    picked = [
        trail.AuditLeaf(i, h.hex(), leaf.raw)
        for i, (leaf, h) in enumerate(zip(leaves, hashes, strict=True))
        if leaf is not None and leaf.channel == "audit" and leaf.kind == "event"
        if leaf.raw is not None and h is not None
    ]
    found = trail.check_bundle(
        picked,
        run.files.get(b.AUDITS_JSON),
        election.id,
        b.counted_votes(election, results),
    )
    for code, seq, _, message in found.failures:
        run.fail(code, leaf_where(seq) if seq is not None else b.AUDITS_JSON, message)
    for name, n in found.checks.items():
        run.count(name, n)
    run.notes.extend(found.notes)
