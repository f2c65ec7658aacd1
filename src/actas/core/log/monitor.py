"""A monitor's judgement of a log's next checkpoint, pure: what it saw, what it sees now.

A monitor remembers the last checkpoint of a log it verified. Each new checkpoint must
open with the log's key and extend that one: a larger tree with a consistency proof
that verifies, or the same tree. Anything else is kept as **evidence**, both signed
notes side by side (and the proof that failed), which anyone can check with the log's
public key:

* ``fork``: the same size, another root (two histories signed by one key);
* ``rollback``: a smaller tree than one the log already published;
* ``inconsistent``: a larger tree whose consistency proof does not verify.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from actas.core.errors import ProofError
from actas.core.log import checkpoint as cp
from actas.core.log import merkle

__all__ = ["Evidence", "Observation", "Seen", "judge"]


@dataclass(frozen=True)
class Seen:
    """A verified checkpoint: its parsed fields and the note as fetched."""

    checkpoint: cp.Checkpoint
    note: bytes


@dataclass(frozen=True)
class Evidence:
    kind: str  # fork, rollback, inconsistent
    origin: str
    detail: str
    older: bytes  # the note seen before
    newer: bytes  # the note that contradicts it
    proof: tuple[bytes, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "origin": self.origin,
            "detail": self.detail,
            "checkpoints": [self.older.decode("utf-8"), self.newer.decode("utf-8")],
            "proof": [p.hex() for p in self.proof],
        }


@dataclass(frozen=True)
class Observation:
    kind: str  # first, same, grew, or an evidence kind
    seen: Seen  # what to remember next: the new checkpoint, or the old one on evidence
    evidence: Evidence | None = None

    @property
    def ok(self) -> bool:
        return self.evidence is None


def judge(last: Seen | None, new: Seen, proof: Sequence[bytes] | None) -> Observation:
    """Compare ``new`` (already opened with the log's key) with ``last``.

    ``proof``: the consistency proof from ``last``'s size to ``new``'s, needed only when
    the tree grew (``None`` when it could not be fetched: that is an error, not evidence).
    """
    if last is None:
        return Observation("first", new)
    old, cur = last.checkpoint, new.checkpoint
    if old.origin != cur.origin:
        raise ProofError(
            f"checkpoint is for origin {cur.origin!r}, the monitor follows {old.origin!r}"
        )
    if cur.size == old.size:
        if cur.root_hash == old.root_hash:
            return Observation("same", new)
        detail = f"two roots signed for size {cur.size}"
        return Observation("fork", last, Evidence("fork", cur.origin, detail, last.note, new.note))
    if cur.size < old.size:
        detail = f"the log now shows size {cur.size} after it showed {old.size}"
        return Observation(
            "rollback", last, Evidence("rollback", cur.origin, detail, last.note, new.note)
        )
    if proof is None:
        raise ProofError(f"no consistency proof from {old.size} to {cur.size} was available")
    try:
        merkle.check_consistency(old.size, cur.size, old.root_hash, cur.root_hash, proof)
    except ProofError as exc:
        detail = f"size {cur.size} does not extend size {old.size}: {exc}"
        evidence = Evidence("inconsistent", cur.origin, detail, last.note, new.note, tuple(proof))
        return Observation("inconsistent", last, evidence)
    return Observation("grew", new)
