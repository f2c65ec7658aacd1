"""Batch-comparison RLAs: the committed manifest, audited values, rounds and the decision."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace as replace_
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actas.adapters.tabular import open_table_file
from actas.app.audits.ledger import (
    Audit,
    Entry,
    append,
    draws_of,
    head,
    load,
    new_id,
    read_index,
    save_index,
)
from actas.core.audit import Batch, Contest, Draw, MacroBounds, batch_error, kaplan_markov
from actas.core.audit import commitment as doc
from actas.core.audit.rounds import Progress, audited_votes, rla_progress
from actas.core.errors import InputError, NotFound
from actas.core.model import Counts
from actas.core.results.rows import header_for, read_row

if TYPE_CHECKING:
    from actas.app.service import Service

__all__ = ["create_rla", "record", "reported_from_file", "rla_status"]


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
        index = read_index(conn)
        audit_id = new_id(index, "rla")
        raw = doc.rla_commitment(
            audit=audit_id,
            election=svc.election.id,
            contest=contest,
            batches=batches,
            risk_limit=risk_limit,
            reported=source,
        )
        seq = append(svc, conn, audit_id, raw, "audit.commit", actor)
        index[audit_id] = Entry("rla", seq)
        save_index(svc, conn, index)
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
    a = load(svc, audit_id)
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
        index = read_index(conn)
        entry = index[audit_id]
        seq = append(svc, conn, audit_id, raw, "audit.record", actor, table_id)
        entry.records.append(seq)
        save_index(svc, conn, index)
    after = replace_(a, records=(*a.records, (seq, r)))
    out = {**head(after), **rla_status(svc, after)}
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


def _rla_progress(a: Audit) -> Progress:
    """The rounds and the decision (:func:`actas.core.audit.rounds.rla_progress`), draws memoised."""
    c = a.commitment
    seed = None if a.seed is None else a.seed.seed

    def draws(n: int) -> tuple[Draw, ...]:
        assert seed is not None
        return draws_of(c, seed, n)

    return rla_progress(c, seed, _audited_votes(a), draws)


def _audited_votes(a: Audit) -> dict[str, tuple[int, ...] | None]:
    return audited_votes(a.commitment, (r for _, r in a.records))


def _num(x: float) -> float | None:
    """JSON has no infinity: an infinite p-value (taint 1) is null."""
    return None if math.isinf(x) or math.isnan(x) else x


def rla_status(svc: Service, a: Audit) -> dict[str, Any]:
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
