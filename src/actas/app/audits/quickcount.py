"""Quick counts: a stratified design over the election's tables, and the estimate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from actas.app.audits.ledger import Audit, Entry, append, new_id, read_index, save_index
from actas.core.audit import QuickCountDesign, StratumPlan, design_quick_count, stratified_sample
from actas.core.audit import commitment as doc
from actas.core.audit import design_effect as estimate_design_effect
from actas.core.audit.trail import committed_estimate
from actas.core.errors import InputError

if TYPE_CHECKING:
    from actas.app.service import Service

__all__ = [
    "Allocation",
    "QuickCountPlan",
    "create_quick_count",
    "plan_quick_count",
    "quickcount_status",
]

Allocation = Literal["proportional", "neyman"]


# ----------------------------------------------------------------- quick count: design


@dataclass(frozen=True)
class QuickCountPlan:
    """A quick-count design over the election's tables, before it is committed."""

    frame_source: str  # "registry" or "results"
    strata_level: str
    strata: Mapping[str, str]  # table id -> stratum (top-level region)
    plans: Mapping[str, StratumPlan]
    design: QuickCountDesign
    design_effect_note: str
    notes: tuple[str, ...]
    params: Mapping[str, str | int]

    def to_json(self) -> dict[str, Any]:
        d = self.design
        return {
            "frame_source": self.frame_source,
            "frame_tables": len(self.strata),
            "strata_level": self.strata_level,
            "strata": len(self.plans),
            "margin": d.margin,
            "confidence": d.confidence,
            "design_effect": d.design_effect,
            "design_effect_note": self.design_effect_note,
            "voters": round(d.voters),
            "votes_per_table": d.votes_per_table,
            "tables": d.tables,
            "total": d.total,
            "sizes": dict(sorted(d.sizes.items())),
            "notes": list(self.notes),
        }


def plan_quick_count(
    svc: Service,
    margin: float,
    *,
    confidence: float = 0.95,
    allocation: Allocation = "proportional",
    design_effect: float | None = None,
    turnout: float = 0.6,
    min_per_stratum: int = 2,
) -> QuickCountPlan:
    """Design a quick count over the election's tables, stratified by the top level.

    The frame is the table registry when one was imported, otherwise every
    table with a counted result. Expected valid votes per table: its counted
    result, else registered voters times ``turnout``, else the mean of the
    others. ``design_effect=None`` ("auto") estimates it from the counted
    results of the frame's tables, for the leading candidate.
    """
    election = svc.election
    k = len(election.candidates)
    registry = svc.store.registry()
    with svc.store.read() as conn:
        arrays = svc.store.table_arrays(k, conn)
    counted = {t: i for i, t in enumerate(arrays.table_ids) if bool(arrays.counted[i])}
    if registry:
        ids, source = sorted(registry), "registry"
    else:
        ids, source = sorted(counted), "results"
    if not ids:
        raise InputError("no sampling frame: import a registry of tables or some results first")
    level = election.levels[0]
    strata = {t: _top(svc, t) for t in ids}
    notes: list[str] = []
    with_result = [t for t in ids if t in counted]
    rows = np.asarray([counted[t] for t in with_result], dtype=np.int64)
    votes = arrays.votes[rows] if rows.size else np.zeros((0, k), np.int64)
    valid = votes.sum(axis=1)
    expected = {t: float(v) for t, v in zip(with_result, valid.tolist(), strict=True)}
    guessed = 0
    for t in ids:
        if t not in expected and registry.get(t) is not None:
            expected[t] = float(registry[t] or 0) * turnout
            guessed += 1
    if guessed:
        notes.append(f"{guessed} tables: expected valid votes = registered × turnout {turnout}")
    if not expected:
        raise InputError("no valid votes or registered voters known: cannot size the sample")
    mean = sum(expected.values()) / len(expected)
    unknown = [t for t in ids if t not in expected]
    if unknown:
        notes.append(f"{len(unknown)} tables: expected valid votes = the mean, {mean:.0f}")
    lead = int(np.argmax(votes.sum(axis=0))) if rows.size else None
    lead_name = election.candidates[lead].id if lead is not None else ""
    sd_of = _stratum_sd(ids, strata, counted, arrays.votes, lead)
    plans = {}
    for h in sorted(set(strata.values())):
        members = [t for t in ids if strata[t] == h]
        plans[h] = StratumPlan(
            tables=len(members),
            valid_votes=max(1, round(sum(expected.get(t, mean) for t in members))),
            sd=sd_of.get(h),
        )
    if allocation == "neyman" and any(p.sd is None for p in plans.values()):
        raise InputError("Neyman allocation needs counted results in the frame; use proportional")
    if design_effect is None:
        if lead is None or rows.size < 2:
            raise InputError(
                "--design-effect auto needs counted results of two or more tables; give a number"
            )
        deff = estimate_design_effect(votes[:, lead].tolist(), valid.tolist())
        deff_note = f"estimated from {rows.size} counted tables of the frame ({lead_name})"
    else:
        if design_effect <= 0:
            raise InputError("the design effect must be > 0")
        deff, deff_note = design_effect, "given"
    design = design_quick_count(
        plans,
        margin,
        confidence=confidence,
        allocation=allocation,
        design_effect=deff,
        min_per_stratum=min_per_stratum,
    )
    params: dict[str, str | int] = {
        "margin": doc.decimal(margin),
        "confidence": doc.decimal(confidence),
        "allocation": allocation,
        "design_effect": f"{deff:.6g}",
        "design_effect_note": deff_note,
        "share": "0.5",
        "min_per_stratum": min_per_stratum,
        "tables": design.tables,
    }
    if guessed:
        params["turnout"] = doc.decimal(turnout)
    return QuickCountPlan(source, level.id, strata, plans, design, deff_note, tuple(notes), params)


def _top(svc: Service, table_id: str) -> str:
    try:
        return str(svc.election.scheme.region_codes(table_id)[0])
    except ValueError as exc:
        raise InputError(f"frame table {table_id[:40]!r}: {exc}") from None


def _stratum_sd(
    ids: Sequence[str],
    strata: Mapping[str, str],
    counted: Mapping[str, int],
    votes: np.ndarray,
    lead: int | None,
) -> dict[str, float]:
    """Per stratum, the sd of ``y - p x`` (leading candidate) over its counted tables."""
    if lead is None:
        return {}
    rows = [counted[t] for t in ids if t in counted]
    y = votes[rows, lead].astype(np.float64)
    x = votes[rows].sum(axis=1).astype(np.float64)
    p = float(y.sum() / x.sum()) if x.sum() > 0 else 0.0
    e = y - p * x
    overall = float(e.std(ddof=1)) if e.size > 1 else 0.0
    by: dict[str, list[float]] = {}
    for t, v in zip((t for t in ids if t in counted), e.tolist(), strict=True):
        by.setdefault(strata[t], []).append(v)
    out = {h: overall for h in set(strata.values())}
    for h, vals in by.items():
        if len(vals) > 1:
            out[h] = float(np.std(vals, ddof=1))
    return out


def create_quick_count(
    svc: Service,
    margin: float,
    *,
    confidence: float = 0.95,
    allocation: Allocation = "proportional",
    design_effect: float | None = None,
    turnout: float = 0.6,
    min_per_stratum: int = 2,
    actor: str = "",
) -> dict[str, Any]:
    """Design a quick count and commit its frame and design to the log (before any seed)."""
    plan = plan_quick_count(
        svc,
        margin,
        confidence=confidence,
        allocation=allocation,
        design_effect=design_effect,
        turnout=turnout,
        min_per_stratum=min_per_stratum,
    )
    with svc.store.write() as conn:
        index = read_index(conn)
        audit_id = new_id(index, "quickcount")
        raw = doc.quickcount_commitment(
            audit=audit_id,
            election=svc.election.id,
            strata=plan.strata,
            sizes=plan.design.sizes,
            candidates=[c.id for c in svc.election.candidates],
            design=plan.params,
            frame_source=plan.frame_source,
            strata_level=plan.strata_level,
        )
        seq = append(svc, conn, audit_id, raw, "audit.commit", actor)
        index[audit_id] = Entry("quickcount", seq)
        save_index(svc, conn, index)
    c = doc.parse_commitment(raw)
    return {
        "audit": audit_id,
        "kind": "quickcount",
        "commitment_seq": seq,
        "frame_sha256": c.frame_sha256,
        "design": plan.to_json(),
    }


def quickcount_status(svc: Service, a: Audit) -> dict[str, Any]:
    c = a.commitment
    strata = c.strata
    sizes = c.sizes
    tables = Counter(strata.values())
    out: dict[str, Any] = {
        "frame_source": c.doc["frame_source"],
        "design": dict(c.doc["design"]),
        "sizes": sizes,
        "designed": sum(min(n, tables[h]) for h, n in sizes.items()),
    }
    if a.seed is None:
        return {**out, "state": "awaiting_seed", "sample": [], "estimate": None}
    sample = stratified_sample(a.seed.seed, strata, sizes, draw=int(c.doc.get("draw", 1)))
    candidates = list(c.candidates)
    ids = [x.id for x in svc.election.candidates]
    pos = [ids.index(x) for x in candidates]
    with svc.store.read() as conn:
        arrays = svc.store.table_arrays(len(ids), conn)
    row_of = {t: i for i, t in enumerate(arrays.table_ids)}
    results: dict[str, tuple[int, ...]] = {}
    conflicts: list[str] = []
    rows = []
    for h in sorted(sample):
        for d in sample[h]:
            i = row_of.get(d.table_id)
            state = "missing"
            if i is not None and bool(arrays.counted[i]):
                results[d.table_id] = tuple(int(arrays.votes[i, p]) for p in pos)
                state = "received"
            elif i is not None:
                conflicts.append(d.table_id)
                state = "conflict"
            rows.append({"stratum": h, "draw": d.number, "table_id": d.table_id, "state": state})
    missing = [r["table_id"] for r in rows if r["state"] != "received"]
    out.update(
        state="estimating" if results else "awaiting_results",
        sample=rows,
        received=len(results),
        missing=missing,
        conflicts=conflicts,
        by_stratum={
            h: {
                "tables": tables[h],
                "designed": len(sample[h]),
                "received": sum(1 for d in sample[h] if d.table_id in results),
            }
            for h in sorted(sample)
        },
    )
    estimate = None
    if results:
        try:
            est = committed_estimate(c, sample, results)
        except InputError as exc:
            out["notes"] = [str(exc)]
        else:
            names = {x.id: x.name for x in svc.election.candidates}
            estimate = {
                "confidence": est.confidence,
                "degrees_of_freedom": est.degrees_of_freedom,
                "strata_without_data": list(est.strata_without_data),
                "shares": [
                    {
                        "candidate": s.candidate,
                        "name": names.get(s.candidate, s.candidate),
                        "share": s.share,
                        "se": s.se,
                        "low": s.low,
                        "high": s.high,
                    }
                    for s in sorted(est.shares, key=lambda s: -s.share)
                ],
            }
    out["estimate"] = estimate
    return out
