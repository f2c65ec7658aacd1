"""Steps 3 and 8: the leaves and their Merkle root, and a previous checkpoint's
consistency with this one. Pure."""

from __future__ import annotations

from actas.core.bundle import format as b
from actas.core.errors import ProofError
from actas.core.log import checkpoint as cp
from actas.core.log import merkle
from actas.core.model import Election
from actas.core.verify import replay
from actas.core.verify.report import leaf_where
from actas.core.verify.reread import Mapper
from actas.core.verify.run import Run

__all__ = ["LEAF_CHUNK", "leaves", "previous", "tree"]

#: Leaves decoded per task handed to the mapper.
LEAF_CHUNK = 5000


def leaves(
    run: Run, election: Election, mapper: Mapper | None
) -> tuple[list[replay.LeafInfo | None], list[bytes | None]]:
    data = run.files.get(b.LEAVES, b"")
    if data and not data.endswith(b"\n"):
        run.fail("leaf.format", b.LEAVES, "the last line has no newline")
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    out: list[replay.LeafInfo | None] = []
    hashes: list[bytes | None] = []
    chunks = ((election.id, k, lines[k : k + LEAF_CHUNK]) for k in range(0, len(lines), LEAF_CHUNK))
    for parsed in (mapper or map)(replay.parse_leaf_lines, chunks):
        for i, digest, info, problem in parsed:
            hashes.append(digest)
            out.append(info)
            if problem:
                code, message = problem.split(":", 1)
                run.fail(code, leaf_where(i), message.strip())
    run.count("leaves", len(out))
    return out, hashes


def tree(run: Run, hashes: list[bytes | None]) -> list[bytes] | None:
    """Step 3's root; returns the checkpoint's leaf hashes when the root was rebuilt."""
    c = run.checkpoint
    if c is None:
        return None
    n = len(hashes)
    if n > c.size:
        run.fail(
            "log.unsigned_leaves",
            f"{b.LEAVES} lines {c.size + 1}-{n}",
            f"{n - c.size} leaves lie beyond the checkpoint's {c.size}: no signature covers them",
        )
    if n < c.size:
        run.fail("log.too_short", b.LEAVES, f"the checkpoint covers {c.size} leaves, found {n}")
        return None
    known = [h for h in hashes[: c.size] if h is not None]
    if len(known) != c.size:
        run.fail("log.root_mismatch", b.LEAVES, "unreadable leaves: the root cannot be rebuilt")
        return None
    # One root: the reference MTH hashes each node once and keeps none, which
    # is ~2.7x faster at 1M leaves than materialising every perfect node.
    root = merkle.root_from_leaf_hashes(known)
    if root != c.root_hash:
        run.fail(
            "log.root_mismatch",
            f"{b.LEAVES} leaves 0-{c.size - 1}",
            f"Merkle root is {root.hex()}, the checkpoint says {c.root_hash.hex()}",
        )
    run.count("tree_root")
    return known


def previous(
    run: Run, note: bytes, verifier: cp.Verifier | None, signed: list[bytes] | None
) -> None:
    """Step 8: this log extends the one the previous checkpoint saw."""
    new = run.checkpoint
    where = "previous checkpoint"
    if verifier is None or new is None or signed is None:
        run.fail("previous.unchecked", where, "the bundle's own checkpoint did not verify")
        return
    try:
        old = cp.open_checkpoint(note, verifier)
    except ProofError as exc:
        run.fail(
            "previous.invalid",
            where,
            f"does not open with the key of {verifier.name} (not signed by it, or not a "
            f"signed checkpoint): {exc}",
        )
        return
    if old.origin != new.origin:
        run.fail("previous.origin", where, f"origin {old.origin!r}, this log is {new.origin!r}")
        return
    if old.size > new.size:
        run.fail("previous.larger", where, f"size {old.size} exceeds this log's {new.size}")
        return
    nodes = merkle.MemoryNodes(signed)  # every perfect node, for the proof
    root = merkle.root(old.size, nodes)
    if root != old.root_hash:
        run.fail(
            "previous.root_mismatch",
            where,
            f"the first {old.size} leaves have root {root.hex()}, the previous checkpoint "
            f"says {old.root_hash.hex()}: the log was rewritten",
        )
        return
    proof = merkle.consistency_proof(old.size, new.size, nodes)
    if not merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof):
        run.fail("previous.consistency", where, "the consistency proof does not verify")
        return
    run.count("previous_checkpoint")
