"""Audits and quick counts over the stored election, every step a log leaf. Wiring only.

    from actas import audits
    qc = audits.create_quick_count(svc, margin=0.01)              # commits the frame
    audits.set_seed(svc, qc["audit"], "48203 91756 30418 27764")  # logs the seed, draws
    audits.status(svc, qc["audit"])                               # shares from received tables

    rla = audits.create_rla(svc, winners=["gonzalez"], risk_limit=0.05)
    audits.set_seed(svc, rla["audit"], "…")
    audits.record(svc, rla["audit"], "201301006.01", {"gonzalez": 167, …})
    audits.status(svc, rla["audit"])                  # confirmed / continue / full hand count

Every step is an EVENT leaf on channel ``audit`` (source name: the audit id)
whose raw bytes are a document of :mod:`actas.core.audit.commitment`: the
commitment (frame and parameters, before any seed), the seed, and each audited
value. The commitment and seed leaves alone determine the sample
(:func:`actas.core.audit.commitment.recompute`). The store's ``meta`` table holds
only an index (audit id -> leaf indices) under :data:`INDEX_KEY`.

Modules: :mod:`.ledger` (index, leaves, loading, seeds), :mod:`.quickcount`
(design and estimate), :mod:`.rla` (manifest, audited values, rounds, decision).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actas.app.audits.ledger import (
    CHANNEL,
    INDEX_KEY,
    head,
    list_audits,
    load,
    log_randomness,
    log_seed,
)
from actas.app.audits.quickcount import (
    Allocation,
    QuickCountPlan,
    create_quick_count,
    plan_quick_count,
    quickcount_status,
)
from actas.app.audits.rla import create_rla, record, reported_from_file, rla_status

if TYPE_CHECKING:
    from actas.app.service import Service

__all__ = [
    "CHANNEL",
    "INDEX_KEY",
    "Allocation",
    "QuickCountPlan",
    "create_quick_count",
    "create_rla",
    "list_audits",
    "log_randomness",
    "overview",
    "plan_quick_count",
    "record",
    "reported_from_file",
    "set_seed",
    "status",
]


def set_seed(
    svc: Service,
    audit_id: str,
    seed: str | None = None,
    *,
    leaf: int | None = None,
    actor: str = "",
) -> dict[str, Any]:
    """Log the seed of an audit (after its commitment), then draw the sample.

    ``seed`` is the public randomness itself; ``leaf`` the index of a
    randomness leaf logged after the commitment (``log_randomness``). A seed
    logged before the commitment, and a second seed, are refused.
    """
    log_seed(svc, audit_id, seed, leaf=leaf, actor=actor)
    return status(svc, audit_id)


def status(svc: Service, audit_id: str) -> dict[str, Any]:
    """Where an audit stands, as JSON-ready data (the portal can show the same)."""
    a = load(svc, audit_id)
    if a.commitment.kind == "quickcount":
        return {**head(a), **quickcount_status(svc, a)}
    return {**head(a), **rla_status(svc, a)}


def overview(svc: Service) -> list[dict[str, Any]]:
    """Every audit with where it stands, in commitment order (the portal's list).

    Both kinds: ``audit``, ``kind``, ``created_at``, ``commitment_seq``,
    ``seed_seq``, ``state`` (``awaiting_seed``, the RLA's decision or the quick
    count's state) and ``done`` of ``planned`` (audited draws of the current
    RLA sample; received tables of the quick-count sample). An RLA adds
    ``risk_limit`` and ``p_value``; a quick count ``missing``.
    """
    out = []
    for a in list_audits(svc):
        st = status(svc, a["audit"])
        row: dict[str, Any] = {
            "audit": st["audit"],
            "kind": st["kind"],
            "created_at": st["created_at"],
            "commitment_seq": st["commitment"]["seq"],
            "seed_seq": None if st["seed"] is None else st["seed"]["seq"],
        }
        if st["kind"] == "rla":
            row.update(
                state=st["decision"],
                done=sum(1 for d in st["draws"] if d["audited"]),
                planned=st["sample_size"],
                risk_limit=st["risk_limit"],
                p_value=st["p_value"],
            )
        else:
            row.update(
                state=st["state"],
                done=st.get("received", 0),
                planned=st["designed"],
                missing=len(st.get("missing", [])),
            )
        out.append(row)
    return out
