"""The documents an audit writes to the log, and the sample they determine.

An audit in the transparency log is a chain of EVENT leaves whose raw bytes
are canonical JSON documents (``docs/audit.md`` §6): a **commitment** (the
sampling frame and the audit's parameters, logged before the seed exists), a
**seed** (public randomness, logged after the commitment and naming it), and
one **record** per audited value. Free-standing **randomness** (dice rolled on
camera, logged as they are read) can be logged first and used as a seed later,
but only if it was logged after the commitment.

Pure: documents are built from and parsed to plain values; :func:`recompute`
derives the sample from a commitment and a seed document alone, so anyone
holding the two leaves can check it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from actas.core.audit.macro import Batch, Contest, MacroBounds, initial_sample_size, macro_bounds
from actas.core.audit.rla import draw_batches
from actas.core.audit.sampling import Draw, frame_bytes, normalize_seed, stratified_sample
from actas.core.errors import InputError
from actas.core.log.leaf import canonical_json

__all__ = [
    "FORMAT",
    "Commitment",
    "Record",
    "SeedDoc",
    "decimal",
    "manifest_bytes",
    "parse_commitment",
    "parse_document",
    "parse_record",
    "parse_seed",
    "quickcount_commitment",
    "randomness_document",
    "recompute",
    "record_document",
    "rla_commitment",
    "seed_document",
]

#: ``actas_audit`` field of every document; bump it if a document changes meaning
FORMAT = 1
Kind = Literal["quickcount", "rla"]


def decimal(x: float) -> str:
    """A parameter as the shortest decimal string that reads back as ``x`` (no floats in leaves)."""
    return repr(float(x))


def parse_document(raw: bytes, expect: str | None = None) -> dict[str, Any]:
    """Decode a document; it must be canonical JSON with ``actas_audit`` = 1."""
    try:
        doc = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not an audit document: {exc}") from None
    if not isinstance(doc, dict) or doc.get("actas_audit") != FORMAT:
        raise InputError("not an audit document (no actas_audit = 1)")
    try:
        canonical = canonical_json(doc)
    except ValueError as exc:
        raise InputError(f"audit document: {exc}") from None
    if canonical != raw:
        raise InputError("audit document is not in canonical form")
    if expect is not None and doc.get("type") != expect:
        raise InputError(f"expected a {expect} document, got {doc.get('type')!r}")
    return doc


# ----------------------------------------------------------------- commitment


@dataclass(frozen=True, eq=False)
class Commitment:
    """A parsed commitment document (see :func:`quickcount_commitment`, :func:`rla_commitment`).

    Compared and hashed by identity, so that derived values can be memoised per object.
    """

    audit: str
    kind: Kind
    election: str
    frame: bytes
    frame_sha256: str
    doc: Mapping[str, Any]

    # -- quick count

    @property
    def strata(self) -> dict[str, str]:
        """Table id -> stratum label (quick count frames are stratified)."""
        out: dict[str, str] = {}
        for line in self.frame.decode("ascii").splitlines():
            table, _, label = line.partition(" ")
            out[table] = label
        return out

    @property
    def sizes(self) -> dict[str, int]:
        return {str(h): int(n) for h, n in self.doc.get("sizes", {}).items()}

    @property
    def candidates(self) -> tuple[str, ...]:
        if self.kind == "rla":
            return self.contest.candidates
        return tuple(self.doc["candidates"])

    # -- RLA

    @property
    def contest(self) -> Contest:
        c = self.doc["contest"]
        return Contest(tuple(c["candidates"]), tuple(c["winners"]), tuple(c["losers"]))

    @property
    def risk_limit(self) -> float:
        return float(self.doc["risk_limit"])

    @property
    def manifest(self) -> bytes:
        return str(self.doc["manifest"]).encode("ascii")

    def batches(self) -> list[Batch]:
        """The committed reported results: one batch per line of the manifest."""
        width = 2 + len(self.contest.candidates)
        out = []
        for line in self.manifest.decode("ascii").splitlines():
            parts = line.split(" ")
            if len(parts) != width:
                raise InputError(f"manifest line {line[:40]!r} does not have {width} fields")
            out.append(Batch(parts[0], tuple(map(int, parts[2:])), int(parts[1])))
        return out

    @functools.cached_property
    def _bounds(self) -> MacroBounds:
        return macro_bounds(self.contest, self.batches())

    def bounds(self) -> MacroBounds:
        """MACRO bounds of the committed manifest (computed once per parsed commitment)."""
        return self._bounds

    def table_ids(self) -> list[str]:
        return [line.partition(" ")[0] for line in self.frame.decode("ascii").splitlines()]


def quickcount_commitment(
    *,
    audit: str,
    election: str,
    strata: Mapping[str, str],
    sizes: Mapping[str, int],
    candidates: Sequence[str],
    design: Mapping[str, str | int],
    frame_source: str,
    strata_level: str,
) -> bytes:
    """The commitment of a stratified quick count: frame, per-stratum sizes, design.

    ``design`` holds the design parameters as decimal strings or integers
    (margin, confidence, allocation, design effect, planned tables).
    """
    frame = frame_bytes(strata, strata)
    unknown = sorted(set(sizes) - set(strata.values()))
    if unknown:
        raise InputError(f"sizes for strata with no tables: {unknown[:5]}")
    doc = {
        "actas_audit": FORMAT,
        "type": "commitment",
        "kind": "quickcount",
        "audit": audit,
        "election": election,
        "frame": frame.decode("ascii"),
        "frame_sha256": hashlib.sha256(frame).hexdigest(),
        "frame_source": frame_source,
        "strata_level": strata_level,
        "sizes": {str(h): int(n) for h, n in sorted(sizes.items())},
        "candidates": list(candidates),
        "design": dict(design),
        "draw": 1,
    }
    return canonical_json(doc)


def manifest_bytes(batches: Sequence[Batch]) -> bytes:
    """``table_id SP ballots SP v_1 SP … v_k LF`` per batch, sorted by table id."""
    lines = []
    for b in sorted(batches, key=lambda b: b.table_id):
        lines.append(" ".join([b.table_id, str(b.ballots), *(str(v) for v in b.votes)]) + "\n")
    return "".join(lines).encode("ascii")


def rla_commitment(
    *,
    audit: str,
    election: str,
    contest: Contest,
    batches: Sequence[Batch],
    risk_limit: float,
    reported: Mapping[str, str | int],
) -> bytes:
    """The commitment of a batch-comparison RLA: frame, reported results, contest, risk limit.

    The reported results (the manifest) are committed with the frame: the PPEB
    weights follow from them, so they must not change once the seed is known.
    """
    if not 0 < risk_limit < 1:
        raise InputError(f"the risk limit must be in (0, 1), got {risk_limit}")
    pairs = contest.pairs()  # validates the names
    losers = sorted({contest.candidates[lo] for _, lo in pairs}, key=contest.candidates.index)
    contest = Contest(contest.candidates, contest.winners, tuple(losers))
    bounds = macro_bounds(contest, batches)
    frame = frame_bytes(b.table_id for b in batches)
    manifest = manifest_bytes(batches)
    u = bounds.total
    doc = {
        "actas_audit": FORMAT,
        "type": "commitment",
        "kind": "rla",
        "audit": audit,
        "election": election,
        "frame": frame.decode("ascii"),
        "frame_sha256": hashlib.sha256(frame).hexdigest(),
        "contest": {
            "candidates": list(contest.candidates),
            "winners": list(contest.winners),
            "losers": list(contest.losers),
        },
        "risk_limit": decimal(risk_limit),
        "manifest": manifest.decode("ascii"),
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        "reported": dict(reported),
        "total_bound": f"{u.numerator}/{u.denominator}",
        "initial_sample_size": 0 if bounds.tie else initial_sample_size(u, risk_limit),
    }
    return canonical_json(doc)


def parse_commitment(raw: bytes) -> Commitment:
    """Parse and check a commitment: the frame hash must match the frame."""
    doc = parse_document(raw, "commitment")
    kind = doc.get("kind")
    if kind not in ("quickcount", "rla"):
        raise InputError(f"unknown audit kind {kind!r}")
    frame = str(doc["frame"]).encode("ascii")
    if hashlib.sha256(frame).hexdigest() != doc["frame_sha256"]:
        raise InputError("the commitment's frame does not match its frame_sha256")
    if kind == "rla":
        manifest = str(doc["manifest"]).encode("ascii")
        if hashlib.sha256(manifest).hexdigest() != doc["manifest_sha256"]:
            raise InputError("the commitment's manifest does not match its manifest_sha256")
    return Commitment(
        str(doc["audit"]), kind, str(doc["election"]), frame, doc["frame_sha256"], doc
    )


# ----------------------------------------------------------------- seed


@dataclass(frozen=True, slots=True)
class SeedDoc:
    audit: str
    seed: str  # normalised (docs/audit.md §1.2)
    commitment_seq: int
    commitment_leaf_hash: str
    randomness_seq: int | None


def randomness_document(seed: str, note: str = "") -> bytes:
    """Public randomness as read out (e.g. dice), logged before it is used as a seed."""
    doc: dict[str, Any] = {
        "actas_audit": FORMAT,
        "type": "randomness",
        "seed": seed,
        "seed_normalized": normalize_seed(seed),
    }
    if note:
        doc["note"] = note
    return canonical_json(doc)


def seed_document(
    *,
    audit: str,
    seed: str,
    commitment_seq: int,
    commitment_leaf_hash: str,
    randomness_seq: int | None = None,
) -> bytes:
    """The seed of an audit, naming the commitment leaf (index and RFC 9162 leaf hash)."""
    doc: dict[str, Any] = {
        "actas_audit": FORMAT,
        "type": "seed",
        "audit": audit,
        "commitment": {"seq": commitment_seq, "leaf_hash": commitment_leaf_hash},
        "seed": seed,
        "seed_normalized": normalize_seed(seed),
    }
    if randomness_seq is not None:
        doc["randomness_seq"] = randomness_seq
    return canonical_json(doc)


def parse_seed(raw: bytes) -> SeedDoc:
    doc = parse_document(raw, "seed")
    seed = normalize_seed(str(doc["seed"]))
    if seed != doc["seed_normalized"]:
        raise InputError("the seed document's normalised seed is wrong")
    c = doc["commitment"]
    r = doc.get("randomness_seq")
    return SeedDoc(str(doc["audit"]), seed, int(c["seq"]), str(c["leaf_hash"]), r)


# ----------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Record:
    """One audited value: the counts found for a table, or ``None`` (not found / uncountable)."""

    audit: str
    table_id: str
    counts: Mapping[str, int] | None
    method: str
    commitment_seq: int
    from_leaf: int | None = None
    note: str = ""
    replaces: int | None = None


def record_document(r: Record) -> bytes:
    doc: dict[str, Any] = {
        "actas_audit": FORMAT,
        "type": "record",
        "audit": r.audit,
        "commitment_seq": r.commitment_seq,
        "table_id": r.table_id,
        "counts": None if r.counts is None else {k: int(v) for k, v in r.counts.items()},
        "method": r.method,
    }
    if r.from_leaf is not None:
        doc["from_leaf"] = r.from_leaf
    if r.note:
        doc["note"] = r.note
    if r.replaces is not None:
        doc["replaces"] = r.replaces
    return canonical_json(doc)


def parse_record(raw: bytes) -> Record:
    doc = parse_document(raw, "record")
    counts = doc["counts"]
    return Record(
        audit=str(doc["audit"]),
        table_id=str(doc["table_id"]),
        counts=None if counts is None else {str(k): int(v) for k, v in counts.items()},
        method=str(doc["method"]),
        commitment_seq=int(doc["commitment_seq"]),
        from_leaf=doc.get("from_leaf"),
        note=str(doc.get("note", "")),
        replaces=doc.get("replaces"),
    )


# ----------------------------------------------------------------- the sample


def recompute(
    commitment: bytes, seed: bytes, *, draws: int | None = None
) -> dict[str, tuple[Draw, ...]] | tuple[Draw, ...]:
    """The sample from the two leaves' raw bytes alone.

    A quick count gives the stratified sample (stratum -> draws); an RLA gives
    the PPEB draws 1 .. ``draws`` (default: the committed initial sample size;
    an escalated audit passes the larger size its records led to).
    """
    c = parse_commitment(commitment)
    s = parse_seed(seed)
    if s.audit != c.audit:
        raise InputError(f"the seed is for audit {s.audit!r}, the commitment for {c.audit!r}")
    if c.kind == "quickcount":
        return stratified_sample(s.seed, c.strata, c.sizes, draw=int(c.doc.get("draw", 1)))
    n = int(c.doc["initial_sample_size"]) if draws is None else draws
    bounds = c.bounds()
    if bounds.tie or bounds.total < 1 or n == 0:
        return ()
    return draw_batches(s.seed, bounds, n)
