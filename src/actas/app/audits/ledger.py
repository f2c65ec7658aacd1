"""The log side of audits: the index, appending documents, loading an audit, seeds.

Every step is an EVENT leaf on channel :data:`CHANNEL` whose raw bytes are a
document of :mod:`actas.core.audit.commitment`. The store's ``meta`` table keeps
only an index (audit id -> kind and leaf indices) under :data:`INDEX_KEY`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from actas.adapters.store.audits import INDEX_KEY, Connection, index_text
from actas.core.audit import Draw, draw_batches
from actas.core.audit import commitment as doc
from actas.core.errors import InputError, NotFound, StoreError
from actas.core.log import merkle
from actas.core.model import Source, Submission, SubmissionKind, TableId

if TYPE_CHECKING:
    from actas.app.service import Service

__all__ = [
    "CHANNEL",
    "INDEX_KEY",
    "Audit",
    "Entry",
    "append",
    "check_after",
    "draws_of",
    "head",
    "list_audits",
    "load",
    "log_randomness",
    "log_seed",
    "new_id",
    "parsed_commitment",
    "read_index",
    "save_index",
    "table_id_of",
]

CHANNEL = "audit"


# ----------------------------------------------------------------- the index


@dataclass
class Entry:
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


def read_index(conn: Connection) -> dict[str, Entry]:
    text = index_text(conn)
    if text is None:
        return {}
    data = json.loads(text)["audits"]
    return {
        a: Entry(e["kind"], int(e["commitment"]), e["seed"], [int(x) for x in e["records"]])
        for a, e in data.items()
    }


def save_index(svc: Service, conn: Connection, index: Mapping[str, Entry]) -> None:
    data = {"v": 1, "audits": {a: e.to_json() for a, e in index.items()}}
    svc.store.set_meta(INDEX_KEY, json.dumps(data, sort_keys=True, separators=(",", ":")), conn)


def append(
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
        table_id=None if table_id is None else table_id_of(svc, table_id),
        actor=actor,
        meta={"event": event},
    )
    if svc.store.known_identities([sub.identity()], conn):
        raise InputError("this exact audit document was already logged at this time")
    (seq,) = svc.log.append(conn, [sub])
    return seq


def table_id_of(svc: Service, table_id: str) -> TableId:
    try:
        svc.election.scheme.split(table_id)
    except ValueError as exc:
        raise InputError(f"malformed table id: {exc}") from None
    return TableId(table_id)


def new_id(index: Mapping[str, Entry], kind: str) -> str:
    return f"{'qc' if kind == 'quickcount' else 'rla'}-{len(index) + 1}"


# ----------------------------------------------------------------- loading an audit


@dataclass(frozen=True)
class Audit:
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


def load(svc: Service, audit_id: str) -> Audit:
    with svc.store.read() as conn:
        entry = read_index(conn).get(audit_id)
        if entry is None:
            raise NotFound(f"no audit {audit_id[:40]!r}; 'actas audit list' shows them")
        csub = svc.store.submission(entry.commitment, conn)
        ssub = None if entry.seed is None else svc.store.submission(entry.seed, conn)
        rsubs = [svc.store.submission(s, conn) for s in entry.records]
    chash = merkle.leaf_hash(csub.leaf).hex()
    c = parsed_commitment(chash, csub.raw)
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
        check_after(entry.seed, entry.commitment)
        if seed.randomness_seq is not None:
            check_after(seed.randomness_seq, entry.commitment)
    records = []
    for sub in rsubs:
        r = doc.parse_record(sub.raw)
        if r.audit != audit_id or r.commitment_seq != entry.commitment:
            raise StoreError(f"the record at leaf {sub.seq} belongs to another audit")
        records.append((sub.seq, r))
    return Audit(
        audit_id, c, entry.commitment, chash, csub.received_at, seed, entry.seed, tuple(records)
    )


@functools.lru_cache(maxsize=8)
def parsed_commitment(leaf_hash: str, raw: bytes) -> doc.Commitment:
    """Parsed commitments, memoised by leaf hash (a leaf never changes)."""
    return doc.parse_commitment(raw)


@functools.lru_cache(maxsize=32)
def draws_of(c: doc.Commitment, seed: str, n: int) -> tuple[Draw, ...]:
    """PPEB draws 1 .. n of an RLA (memoised: the weights take a while on large frames)."""
    return draw_batches(seed, c.bounds(), n)


def check_after(seed_seq: int, commitment_seq: int) -> None:
    if seed_seq <= commitment_seq:
        raise InputError(
            f"refused: the seed was logged at leaf {seed_seq}, before the commitment at leaf "
            f"{commitment_seq}; a seed known before the frame could have steered the sample"
        )


def list_audits(svc: Service) -> list[dict[str, Any]]:
    """Every audit: id, kind, commitment and seed leaves, number of records."""
    with svc.store.read() as conn:
        index = read_index(conn)
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


# ----------------------------------------------------------------- seeds


def log_randomness(svc: Service, seed: str, note: str = "", actor: str = "") -> dict[str, Any]:
    """Log public randomness as it is read out (dice on camera); use it later with ``leaf=``."""
    raw = doc.randomness_document(seed, note)
    with svc.store.write() as conn:
        seq = append(svc, conn, "randomness", raw, "audit.randomness", actor)
    return {"seq": seq, "seed": doc.parse_document(raw)["seed_normalized"]}


def log_seed(
    svc: Service,
    audit_id: str,
    seed: str | None = None,
    *,
    leaf: int | None = None,
    actor: str = "",
) -> int:
    """Log the seed of an audit (after its commitment); returns the seed leaf.

    ``seed`` is the public randomness itself; ``leaf`` the index of a
    randomness leaf logged earlier, which must come after the commitment.
    A second seed is refused.
    """
    if (seed is None) == (leaf is None):
        raise InputError("give the seed or the leaf that holds it, not both")
    with svc.store.write() as conn:
        index = read_index(conn)
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
            check_after(leaf, entry.commitment)
            seed = str(rdoc["seed"])
        assert seed is not None
        raw = doc.seed_document(
            audit=audit_id,
            seed=seed,
            commitment_seq=entry.commitment,
            commitment_leaf_hash=merkle.leaf_hash(csub.leaf).hex(),
            randomness_seq=leaf,
        )
        seq = append(svc, conn, audit_id, raw, "audit.seed", actor)
        entry.seed = seq
        save_index(svc, conn, index)
    return seq


def head(a: Audit) -> dict[str, Any]:
    """What every audit's status starts with: id, kind, commitment and seed leaves."""
    return {
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
