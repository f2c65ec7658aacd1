"""One table as JSON: its result, every submission with its leaf and inclusion proof,
its regions, how its readings agree, where it stands (``tablestate``) and its sources
side by side. The portal's table page and API, the static
export and ``actas table --json`` all answer with it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from actas.core.log import merkle
from actas.core.log.entry import LoggedSubmission
from actas.core.log.leaf import decode_leaf
from actas.core.model import Election
from actas.core.results.agreement import grade
from actas.core.results.reconcile import TableResult
from actas.core.results.tablestate import comparison, table_state

__all__ = ["Checkpoint", "table_json"]

_PHOTO_URL = re.compile(r"https?://[^\s<>\"']{1,500}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    size: int
    root: bytes
    note: str
    created_at: str
    verifier_key: str

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root_hash": self.root.hex(),
            "note": self.note,
            "created_at": self.created_at,
            "verifier_key": self.verifier_key,
        }


def _result_json(election: Election, r: TableResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": str(r.status),
        "agreeing": r.agreeing,
        "channels": list(r.channels),
        "seqs": list(r.seqs),
        "differing": list(r.differing),
    }
    c = r.counts
    if c is not None:
        out["valid"] = c.valid
        out["null"] = c.null
        out["registered"] = c.registered
        out["candidates"] = [
            {"id": cand.id, "name": cand.name, "short": cand.short, "votes": v}
            for cand, v in zip(election.candidates, c.votes, strict=True)
        ]
        if c.options is not None:
            out["options"] = [
                {"id": o.id, "name": o.name, "candidate": o.candidate, "votes": v}
                for o, v in zip(election.options, c.options, strict=True)
            ]
    return out


def _submission_json(
    sub: LoggedSubmission, cp: Checkpoint | None, nodes: merkle.NodeSource | None
) -> dict[str, Any]:
    try:
        entry = decode_leaf(sub.leaf)
    except ValueError:
        entry = {}
    meta = entry.get("meta") or {}
    url = meta.get("photo_url") if isinstance(meta, dict) else None
    leaf_hash = sub.leaf_hash
    inclusion = None
    if cp is not None and nodes is not None and sub.seq < cp.size:
        proof = merkle.inclusion_proof(sub.seq, cp.size, nodes)
        inclusion = {
            "leaf_index": sub.seq,
            "tree_size": cp.size,
            "proof": [h.hex() for h in proof],
            "root_hash": cp.root.hex(),
            "verified": merkle.verify_inclusion(leaf_hash, sub.seq, cp.size, proof, cp.root),
        }
    return {
        "seq": sub.seq,
        "kind": sub.kind,
        "channel": sub.channel,
        "source": entry.get("source", {"channel": sub.channel}),
        "received_at": sub.received_at,
        "leaf_hash": leaf_hash.hex(),
        "leaf": sub.leaf.decode("ascii", "replace"),
        "blob_sha256": sub.blob_sha256 or None,
        "photo_url": url if isinstance(url, str) and _PHOTO_URL.fullmatch(url) else None,
        "counts": sub.counts.to_json() if sub.counts else None,
        "raw": sub.raw.decode("utf-8", "replace") if sub.kind == "record" else None,
        "findings": [f.to_json() for f in sub.findings],
        "inclusion": inclusion,
    }


def table_json(
    election: Election,
    table_id: str,
    result: TableResult | None,
    subs: Sequence[LoggedSubmission],
    names: Mapping[str, str],
    cp: Checkpoint | None,
    nodes: merkle.NodeSource | None,
    pending: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    codes = election.scheme.region_codes(table_id)
    return {
        "table_id": table_id,
        "election": election.id,
        # pending, received (waiting for reading or transcription), read, confirmed, conflict
        **table_state(result, subs, pending),
        "regions": [
            {"level": lv.id, "code": c, "name": names.get(c, "")}
            for lv, c in zip(election.levels, codes, strict=True)
        ],
        "result": _result_json(election, result) if result else None,
        "submissions": [_submission_json(sub, cp, nodes) for sub in subs],
        "checkpoint": cp.to_json() if cp else None,
        "agreement": grade(result, subs),
        # uploads logged on receipt whose photo a queue worker has not decoded yet
        "pending": [dict(p) for p in pending],
        # every version with counts side by side: candidate × source, differences marked
        "comparison": comparison(election, subs),
    }
