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
whose raw bytes are a document of :mod:`actas.audit.commitment`: the
commitment (frame and parameters, before any seed), the seed, and each audited
value. The commitment and seed leaves alone determine the sample
(:func:`actas.audit.commitment.recompute`). The store's ``meta`` table holds
only an index (audit id -> leaf indices) under :data:`INDEX_KEY`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as replace_
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from sqlalchemy import Connection, select

from . import merkle
from .audit import (
    Batch,
    Contest,
    Draw,
    MacroBounds,
    QuickCountDesign,
    RlaResult,
    RlaStatus,
    StratumPlan,
    batch_error,
    design_quick_count,
    draw_batches,
    estimate_quick_count,
    evaluate,
    kaplan_markov,
    stratified_sample,
)
from .audit import commitment as doc
from .audit import design_effect as estimate_design_effect
from .errors import InputError, NotFound, StoreError
from .importer import open_table_file
from .model import Counts, Source, Submission, SubmissionKind, TableId
from .records import header_for, read_row
from .store import schema

if TYPE_CHECKING:
    from .service import Service

__all__ = [
    "CHANNEL",
    "INDEX_KEY",
    "Allocation",
    "QuickCountPlan",
    "create_quick_count",
    "create_rla",
    "list_audits",
    "log_randomness",
    "plan_quick_count",
    "record",
    "reported_from_file",
    "set_seed",
    "status",
]

CHANNEL = "audit"
#: the ``meta`` key of the index: audit id -> kind and leaf indices (JSON)
INDEX_KEY = "audits"
Allocation = Literal["proportional", "neyman"]


# ----------------------------------------------------------------- the index


@dataclass
class _Entry:
    kind: str
    commitment: int
    seed: int | None = None
    records: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "commitment": self.commitment,
            "seed": self.seed,
            "records": self.records,
        }


def _index(conn: Connection) -> dict[str, _Entry]:
    text = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == INDEX_KEY)).scalar()
    if text is None:
        return {}
    data = json.loads(text)["audits"]
    return {
        a: _Entry(e["kind"], int(e["commitment"]), e["seed"], [int(x) for x in e["records"]])
        for a, e in data.items()
    }


def _save(svc: Service, conn: Connection, index: Mapping[str, _Entry]) -> None:
    data = {"v": 1, "audits": {a: e.to_json() for a, e in index.items()}}
    svc.store.set_meta(INDEX_KEY, json.dumps(data, sort_keys=True, separators=(",", ":")), conn)


def _append(
    svc: Service,
    conn: Connection,
    name: str,
    raw: bytes,
    event: str,
    actor: str = "",
    table_id: str | None = None,
) -> int:
    """Log one audit document as an EVENT leaf; returns its leaf index."""
    sub = Submission(
        kind=SubmissionKind.EVENT,
        source=Source(CHANNEL, name),
        received_at=svc.clock(),
        raw=raw,
        table_id=None if table_id is None else _table(svc, table_id),
        actor=actor,
        meta={"event": event},
    )
    if svc.store.known_identities([sub.identity()], conn):
        raise InputError("this exact audit document was already logged at this time")
    (seq,) = svc.log.append(conn, [sub])
    return seq


def _table(svc: Service, table_id: str) -> TableId:
    try:
        svc.election.scheme.split(table_id)
    except ValueError as exc:
        raise InputError(f"malformed table id: {exc}") from None
    return TableId(table_id)


def _new_id(index: Mapping[str, _Entry], kind: str) -> str:
    return f"{'qc' if kind == 'quickcount' else 'rla'}-{len(index) + 1}"


# ----------------------------------------------------------------- loading an audit


@dataclass(frozen=True)
class _Audit:
    id: str
    commitment: doc.Commitment
    commitment_seq: int
    commitment_hash: str
    created_at: str
    seed: doc.SeedDoc | None
    seed_seq: int | None
    records: tuple[tuple[int, doc.Record], ...]  # log order

    def audited(self) -> dict[str, tuple[int, doc.Record]]:
        """The latest record of every audited table (a correction replaces the earlier one)."""
        out: dict[str, tuple[int, doc.Record]] = {}
        for seq, r in self.records:
            out[r.table_id] = (seq, r)
        return out


def _load(svc: Service, audit_id: str) -> _Audit:
    with svc.store.read() as conn:
        entry = _index(conn).get(audit_id)
        if entry is None:
            raise NotFound(f"no audit {audit_id[:40]!r}; 'actas audit list' shows them")
        csub = svc.store.submission(entry.commitment, conn)
        ssub = None if entry.seed is None else svc.store.submission(entry.seed, conn)
        rsubs = [svc.store.submission(s, conn) for s in entry.records]
    chash = merkle.leaf_hash(csub.leaf).hex()
    c = _commitment(chash, csub.raw)
    if c.audit != audit_id:
        raise StoreError(f"leaf {entry.commitment} commits audit {c.audit!r}, not {audit_id!r}")
    seed = None
    if ssub is not None and entry.seed is not None:
        seed = doc.parse_seed(ssub.raw)
        if (seed.audit, seed.commitment_seq, seed.commitment_leaf_hash) != (
            audit_id,
            entry.commitment,
            chash,
        ):
            raise StoreError(f"the seed at leaf {entry.seed} names another commitment")
        _check_after(entry.seed, entry.commitment)
        if seed.randomness_seq is not None:
            _check_after(seed.randomness_seq, entry.commitment)
    records = []
    for sub in rsubs:
        r = doc.parse_record(sub.raw)
        if r.audit != audit_id or r.commitment_seq != entry.commitment:
            raise StoreError(f"the record at leaf {sub.seq} belongs to another audit")
        records.append((sub.seq, r))
    return _Audit(
        audit_id, c, entry.commitment, chash, csub.received_at, seed, entry.seed, tuple(records)
    )


@functools.lru_cache(maxsize=8)
def _commitment(leaf_hash: str, raw: bytes) -> doc.Commitment:
    """Parsed commitments, memoised by leaf hash (a leaf never changes)."""
    return doc.parse_commitment(raw)


@functools.lru_cache(maxsize=32)
def _draws(c: doc.Commitment, seed: str, n: int) -> tuple[Draw, ...]:
    """PPEB draws 1 .. n of an RLA (memoised: the weights take a while on large frames)."""
    return draw_batches(seed, c.bounds(), n)


def _check_after(seed_seq: int, commitment_seq: int) -> None:
    if seed_seq <= commitment_seq:
        raise InputError(
            f"refused: the seed was logged at leaf {seed_seq}, before the commitment at leaf "
            f"{commitment_seq}; a seed known before the frame could have steered the sample"
        )


def list_audits(svc: Service) -> list[dict[str, Any]]:
    """Every audit: id, kind, commitment and seed leaves, number of records."""
    with svc.store.read() as conn:
        index = _index(conn)
    return [
        {
            "audit": a,
            "kind": e.kind,
            "commitment_seq": e.commitment,
            "seed_seq": e.seed,
            "records": len(e.records),
        }
        for a, e in sorted(index.items(), key=lambda kv: kv[1].commitment)
    ]


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
        index = _index(conn)
        audit_id = _new_id(index, "quickcount")
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
        seq = _append(svc, conn, audit_id, raw, "audit.commit", actor)
        index[audit_id] = _Entry("quickcount", seq)
        _save(svc, conn, index)
    c = doc.parse_commitment(raw)
    return {
        "audit": audit_id,
        "kind": "quickcount",
        "commitment_seq": seq,
        "frame_sha256": c.frame_sha256,
        "design": plan.to_json(),
    }


# ----------------------------------------------------------------- RLA: create


def reported_from_file(
    svc: Service,
    data: bytes,
    name: str,
    fmt: str | None = None,
    mapping_file: Path | None = None,
) -> dict[str, Counts]:
    """An authority's table-level results read with the import mappings (nothing is logged).

    Every row must be readable and every table appear once: a manifest with
    holes would weaken the audit silently.
    """
    table_file = open_table_file(data, name)
    mapping = svc._mapping_for(table_file.header, name, fmt, mapping_file)
    if mapping.kind != "results":
        raise InputError(f"{name}: format {mapping.name} holds no results")
    try:
        header = header_for(mapping, svc.election, table_file.header)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    width = len(table_file.header)
    out: dict[str, Counts] = {}
    for row in table_file.rows():
        if row.fields and row.fields[0].startswith("\0"):
            raise InputError(f"{name} row {row.number}: {row.fields[0][1:]}")
        reading = read_row(header, row.fields, width)
        if reading.table_id is None or reading.counts is None:
            why = "; ".join(f.message for f in reading.findings) or "unreadable"
            raise InputError(f"{name} row {row.number}: {why}")
        if reading.table_id in out:
            raise InputError(f"{name} row {row.number}: table {reading.table_id} appears twice")
        out[reading.table_id] = reading.counts
    if not out:
        raise InputError(f"{name}: no rows")
    return out


def _batch(table_id: str, counts: Mapping[str, Any], pos: Sequence[int]) -> Batch:
    """A batch from counts as JSON (``Counts.to_json``): the contest's votes and the ballots.

    Ballots are the stated ballots, else valid + null + invalid votes (those known).
    """
    votes = counts["votes"]
    ballots = counts.get("ballots")
    if ballots is None:
        ballots = sum(votes) + (counts.get("null") or 0) + (counts.get("invalid") or 0)
    return Batch(table_id, tuple(int(votes[i]) for i in pos), int(ballots))


def create_rla(
    svc: Service,
    winners: Sequence[str],
    losers: Sequence[str] = (),
    *,
    risk_limit: float = 0.05,
    reported: bytes | None = None,
    reported_name: str = "reported.csv",
    fmt: str | None = None,
    mapping_file: Path | None = None,
    actor: str = "",
) -> dict[str, Any]:
    """Commit a batch-comparison RLA (one table = one batch) to the log, before any seed.

    The reported results are Actas's counted table results, or ``reported``
    (an authority's table-level file read with the import mappings). Losers
    default to every other candidate.
    """
    ids = [c.id for c in svc.election.candidates]
    unknown = [c for c in (*winners, *losers) if c not in ids]
    if unknown:
        raise InputError(f"unknown candidates {unknown}; candidates: {', '.join(ids)}")
    chosen = set(winners) | set(losers) if losers else set(ids)
    names = tuple(c for c in ids if c in chosen)
    pos = [ids.index(c) for c in names]
    contest = Contest(names, tuple(winners), tuple(losers))
    source: dict[str, str | int]
    batches: list[Batch] = []
    if reported is not None:
        results = reported_from_file(svc, reported, reported_name, fmt, mapping_file)
        batches = [_batch(t, c.to_json(), pos) for t, c in sorted(results.items())]
        source = {
            "source": "file",
            "name": reported_name,
            "sha256": hashlib.sha256(reported).hexdigest(),
        }
    # Actas's own results are read in the commitment's write transaction, so the
    # manifest is exactly the counted results of the log before the commitment.
    with svc.store.write() as conn:
        if reported is None:
            size = svc.store.size(conn)
            stored = svc.store.counted_counts(conn)
            batches = [_batch(t, json.loads(c), pos) for t, c in stored]
            source = {"source": "actas", "log_size": size}
        if not batches:
            raise InputError("no reported table results to audit: import results first")
        source["tables"] = len(batches)
        index = _index(conn)
        audit_id = _new_id(index, "rla")
        raw = doc.rla_commitment(
            audit=audit_id,
            election=svc.election.id,
            contest=contest,
            batches=batches,
            risk_limit=risk_limit,
            reported=source,
        )
        seq = _append(svc, conn, audit_id, raw, "audit.commit", actor)
        index[audit_id] = _Entry("rla", seq)
        _save(svc, conn, index)
    c = doc.parse_commitment(raw)
    bounds = c.bounds()
    return {
        "audit": audit_id,
        "kind": "rla",
        "commitment_seq": seq,
        "frame_sha256": c.frame_sha256,
        "manifest_sha256": c.doc["manifest_sha256"],
        "tables": len(batches),
        "reported": source,
        "contest": c.doc["contest"],
        "risk_limit": risk_limit,
        "margins": _margins(bounds),
        "total_bound": float(bounds.total),
        "initial_sample_size": int(c.doc["initial_sample_size"]),
    }


def _margins(bounds: MacroBounds) -> list[dict[str, Any]]:
    names = bounds.contest.candidates
    return [{"winner": names[w], "loser": names[lo], "margin": m} for w, lo, m in bounds.margins]


# ----------------------------------------------------------------- seeds


def log_randomness(svc: Service, seed: str, note: str = "", actor: str = "") -> dict[str, Any]:
    """Log public randomness as it is read out (dice on camera); use it later with ``leaf=``."""
    raw = doc.randomness_document(seed, note)
    with svc.store.write() as conn:
        seq = _append(svc, conn, "randomness", raw, "audit.randomness", actor)
    return {"seq": seq, "seed": doc.parse_document(raw)["seed_normalized"]}


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
    randomness leaf logged earlier, which must come after the commitment.
    A second seed is refused.
    """
    if (seed is None) == (leaf is None):
        raise InputError("give the seed or the leaf that holds it, not both")
    with svc.store.write() as conn:
        index = _index(conn)
        entry = index.get(audit_id)
        if entry is None:
            raise NotFound(f"no audit {audit_id[:40]!r}")
        if entry.seed is not None:
            raise InputError(
                f"audit {audit_id} already has a seed (leaf {entry.seed}); a second seed is refused"
            )
        csub = svc.store.submission(entry.commitment, conn)
        if leaf is not None:
            rsub = svc.store.submission(leaf, conn)
            if rsub.channel != CHANNEL:
                raise InputError(f"leaf {leaf} is not audit randomness")
            rdoc = doc.parse_document(rsub.raw, "randomness")
            _check_after(leaf, entry.commitment)
            seed = str(rdoc["seed"])
        assert seed is not None
        raw = doc.seed_document(
            audit=audit_id,
            seed=seed,
            commitment_seq=entry.commitment,
            commitment_leaf_hash=merkle.leaf_hash(csub.leaf).hex(),
            randomness_seq=leaf,
        )
        seq = _append(svc, conn, audit_id, raw, "audit.seed", actor)
        entry.seed = seq
        _save(svc, conn, index)
    return status(svc, audit_id)


# ----------------------------------------------------------------- RLA: records


def record(
    svc: Service,
    audit_id: str,
    table_id: str,
    counts: Mapping[str, int] | None,
    *,
    method: str = "hand_count",
    from_leaf: int | None = None,
    from_transcription: bool = False,
    actor: str = "",
    note: str = "",
    replace: bool = False,
) -> dict[str, Any]:
    """Log the audited value of one drawn table; returns the audit's new status.

    ``counts`` maps candidate ids to the votes found (every contest candidate
    needed); ``None`` with neither ``from_leaf`` nor ``from_transcription``
    records that the table could not be found or counted (the maximal error).
    ``from_leaf`` copies the counts of a logged photo or transcription of
    the table; ``from_transcription`` takes the latest one.
    """
    a = _load(svc, audit_id)
    if a.commitment.kind != "rla":
        raise InputError(f"{audit_id} is a quick count: it receives results, not audited values")
    if a.seed is None:
        raise InputError(f"{audit_id} has no seed yet: 'actas audit seed {audit_id} --seed …'")
    progress = _rla_progress(a)
    drawn = {d.table_id for d in progress.draws}
    if table_id not in drawn:
        raise InputError(
            f"table {table_id} is not in the current sample of {audit_id} "
            f"({progress.target} draws); 'actas audit rla status {audit_id}' lists it"
        )
    if from_transcription or from_leaf is not None:
        counts, from_leaf, method = _counts_from_leaf(svc, table_id, from_leaf)
    contest = a.commitment.contest
    if counts is not None:
        counts = _check_counts(svc, contest, counts)
    previous = a.audited().get(table_id)
    if previous is not None and not replace:
        raise InputError(
            f"table {table_id} was already audited (leaf {previous[0]}); "
            "pass --replace to log a correction"
        )
    r = doc.Record(
        audit=audit_id,
        table_id=table_id,
        counts=counts,
        method=method if counts is not None or method != "hand_count" else "not_found",
        commitment_seq=a.commitment_seq,
        from_leaf=from_leaf,
        note=note,
        replaces=previous[0] if previous is not None else None,
    )
    raw = doc.record_document(r)
    with svc.store.write() as conn:
        index = _index(conn)
        entry = index[audit_id]
        seq = _append(svc, conn, audit_id, raw, "audit.record", actor, table_id)
        entry.records.append(seq)
        _save(svc, conn, index)
    out = _status(svc, replace_(a, records=(*a.records, (seq, r))))
    out["recorded"] = {"seq": seq, "table_id": table_id}
    return out


def _counts_from_leaf(
    svc: Service, table_id: str, leaf: int | None
) -> tuple[dict[str, int], int, str]:
    with svc.store.read() as conn:
        subs = svc.store.submissions_of(table_id, conn)
    usable = [s for s in subs if s.kind in ("photo", "transcription") and s.counts is not None]
    if leaf is None:
        if not usable:
            raise NotFound(f"no photo or transcription with counts for table {table_id}")
        chosen = usable[-1]
    else:
        found = [s for s in subs if s.seq == leaf and s.counts is not None]
        if not found:
            raise InputError(f"leaf {leaf} holds no counts for table {table_id}")
        chosen = found[0]
    assert chosen.counts is not None
    ids = [c.id for c in svc.election.candidates]
    return dict(zip(ids, chosen.counts.votes, strict=True)), chosen.seq, f"from_{chosen.kind}"


def _check_counts(svc: Service, contest: Contest, counts: Mapping[str, int]) -> dict[str, int]:
    ids = {c.id for c in svc.election.candidates}
    unknown = sorted(set(counts) - ids)
    if unknown:
        raise InputError(f"unknown candidates {unknown}")
    missing = [c for c in contest.candidates if c not in counts]
    if missing:
        raise InputError(f"counts missing for {missing}")
    out = {}
    for c, v in counts.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InputError(f"the count for {c} must be a whole number >= 0, got {v!r}")
        out[c] = v
    return out


# ----------------------------------------------------------------- status


def status(svc: Service, audit_id: str) -> dict[str, Any]:
    """Where an audit stands, as JSON-ready data (the portal shows the same)."""
    return _status(svc, _load(svc, audit_id))


def _status(svc: Service, a: _Audit) -> dict[str, Any]:
    head = {
        "audit": a.id,
        "kind": a.commitment.kind,
        "election": a.commitment.election,
        "created_at": a.created_at,
        "commitment": {
            "seq": a.commitment_seq,
            "leaf_hash": a.commitment_hash,
            "frame_sha256": a.commitment.frame_sha256,
            "frame_tables": len(a.commitment.table_ids()),
        },
        "seed": None
        if a.seed is None
        else {"seq": a.seed_seq, "seed": a.seed.seed, "randomness_seq": a.seed.randomness_seq},
    }
    if a.commitment.kind == "quickcount":
        return {**head, **_quickcount_status(svc, a)}
    return {**head, **_rla_status(svc, a)}


def _quickcount_status(svc: Service, a: _Audit) -> dict[str, Any]:
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
        confidence = float(c.doc["design"]["confidence"])
        try:
            est = estimate_quick_count(
                dict(tables),
                {h: [d.table_id for d in ds] for h, ds in sample.items()},
                results,
                candidates,
                confidence=confidence,
            )
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


@dataclass(frozen=True)
class _Progress:
    bounds: MacroBounds
    target: int  # the current sample size (draws 1 .. target)
    draws: tuple[Draw, ...]
    audited_prefix: int  # draws 1 .. k are all audited
    result: RlaResult  # evaluate() over the audited prefix
    decision: str  # confirmed, continue, full_hand_count or awaiting_seed
    reason: str


def _rla_progress(a: _Audit) -> _Progress:
    """Draw, evaluate the audited prefix, escalate when the whole sample is audited.

    A round is the draws 1 .. target. Within a round the audit can stop early
    (the p-value reaches the risk limit: confirmed; a taint of 1: full hand
    count). When every draw of the round is audited and neither happened, the
    re-estimated size becomes the next round, or a full hand count when
    sampling cannot confirm (``actas.audit.evaluate``).
    """
    c = a.commitment
    bounds = c.bounds()
    alpha = c.risk_limit
    audited = _audited_votes(a)
    n0 = int(c.doc["initial_sample_size"])
    if bounds.tie or bounds.total < 1:
        res = evaluate(bounds, (), audited, alpha)
        return _Progress(bounds, 0, (), 0, res, str(res.status), res.reason)
    if a.seed is None:
        res = evaluate(bounds, (), audited, alpha)
        return _Progress(bounds, n0, (), 0, res, "awaiting_seed", "log the seed to draw the sample")
    target = max(1, n0)
    draws = _draws(c, a.seed.seed, target)
    while True:
        k = next((j for j, d in enumerate(draws) if d.table_id not in audited), len(draws))
        res = evaluate(bounds, draws[:k], audited, alpha)
        hopeless = any(math.isinf(x) for x in res.p_values)
        if res.status is RlaStatus.CONFIRMED or (
            res.status is RlaStatus.FULL_HAND_COUNT and (k == target or hopeless)
        ):
            return _Progress(bounds, target, draws, k, res, str(res.status), res.reason)
        if k < target:
            reason = f"{target - k} of {target} draws still to audit (draw {k + 1} next)"
            if res.status is RlaStatus.CONTINUE and (res.next_sample_size or 0) > target:
                reason += f"; the evidence so far points to about {res.next_sample_size} in all"
            return _Progress(bounds, target, draws, k, res, "continue", reason)
        target = int(res.next_sample_size or target + 1)
        draws = _draws(c, a.seed.seed, target)


def _audited_votes(a: _Audit) -> dict[str, tuple[int, ...] | None]:
    names = a.commitment.contest.candidates
    out: dict[str, tuple[int, ...] | None] = {}
    for t, (_, r) in a.audited().items():
        out[t] = None if r.counts is None else tuple(r.counts[n] for n in names)
    return out


def _num(x: float) -> float | None:
    """JSON has no infinity: an infinite p-value (taint 1) is null."""
    return None if math.isinf(x) or math.isnan(x) else x


def _rla_status(svc: Service, a: _Audit) -> dict[str, Any]:
    c = a.commitment
    p = _rla_progress(a)
    bounds, res = p.bounds, p.result
    audited = a.audited()
    votes = _audited_votes(a)
    prefix = p.draws[: p.audited_prefix]
    taints: list[Fraction] = [batch_error(bounds, d.table_id, votes[d.table_id])[1] for d in prefix]
    pvals = kaplan_markov(taints, bounds.total) if bounds.total >= 1 else []
    draws = []
    for j, d in enumerate(p.draws):
        rec = audited.get(d.table_id)
        row: dict[str, Any] = {
            "draw": d.number,
            "table_id": d.table_id,
            "bound": float(bounds.bound(d.table_id)),
            "audited": rec is not None,
            "record_seq": rec[0] if rec else None,
        }
        if j < len(taints):
            row["taint"] = float(taints[j])
            row["p_value"] = _num(pvals[j])
            row["matches"] = votes[d.table_id] == bounds.reported[d.table_id]
        draws.append(row)
    names = bounds.contest.candidates
    discrepancies = [
        {
            "draw": x.draw,
            "table_id": x.table_id,
            "error": float(x.error),
            "taint": float(x.taint),
            "missing": x.missing,
            "reported": dict(zip(names, bounds.reported[x.table_id], strict=True)),
            "audited": None
            if votes.get(x.table_id) is None
            else dict(zip(names, votes[x.table_id] or (), strict=True)),
        }
        for x in res.discrepancies
    ]
    decision, reason = p.decision, p.reason
    pending: list[str] = []
    if decision == "continue":
        for d in p.draws[p.audited_prefix :]:
            if d.table_id not in audited and d.table_id not in pending:
                pending.append(d.table_id)
    notes = []
    expected = svc.election.expected_tables
    if expected and len(bounds.reported) < expected:
        notes.append(
            f"the committed results cover {len(bounds.reported):,} of {expected:,} expected "
            "tables: the audit speaks only for the outcome among them"
        )
    return {
        "contest": c.doc["contest"],
        "risk_limit": c.risk_limit,
        "reported": c.doc["reported"],
        "manifest_sha256": c.doc["manifest_sha256"],
        "margins": _margins(bounds),
        "total_bound": float(bounds.total),
        "initial_sample_size": int(c.doc["initial_sample_size"]),
        "sample_size": p.target,
        "draws": draws,
        "audited_tables": len(audited),
        "p_values": [_num(x) for x in pvals],
        "p_value": _num(pvals[-1]) if pvals else None,
        "discrepancies": discrepancies,
        "decision": decision,
        "reason": reason,
        "next_sample_size": p.target if decision == "continue" else None,
        "pending": pending,
        "notes": notes,
    }
