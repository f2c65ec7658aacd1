"""RFC 9162 inclusion and consistency proofs: made from perfect nodes, and checked.

Making a proof with impossible arguments (an index not below the size, an old
size above the new one, a negative size) raises
:class:`~actas.core.errors.ProofError`. Checking never raises for bad input:
:func:`verify_inclusion` and :func:`verify_consistency` return ``False``, and
:func:`check_inclusion` / :func:`check_consistency` raise ``ProofError`` naming
the reason (wrong proof length, index out of range, hash of the wrong size, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

from actas.core.errors import ProofError
from actas.core.log.nodes import NodeKey, NodeSource, check_size, range_keys, read_nodes
from actas.core.log.treehash import EMPTY_ROOT, check_hash, fold, node_hash

__all__ = [
    "check_consistency",
    "check_inclusion",
    "consistency_keys",
    "consistency_proof",
    "inclusion_keys",
    "inclusion_proof",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]


def _path_plan(level: int, index: int, size: int) -> list[tuple[NodeKey, ...]]:
    """Proof elements for perfect node ``(level, index)`` in a tree of ``size``.

    Each element is a tuple of perfect nodes whose right fold is the element's
    hash: a single node for a complete sibling, several for the one
    "ephemeral" sibling on the right border. Elements run from the node up to
    the root, exactly as RFC 9162 ``PATH`` orders them.
    """
    plan: list[tuple[NodeKey, ...]] = []
    # Below the fork (the highest perfect ancestor) every sibling is perfect.
    while ((index >> 1) + 1) << (level + 1) <= size:
        plan.append(((level, index ^ 1),))
        index >>= 1
        level += 1
    start = index << level
    end = (index + 1) << level
    # The fork's right sibling covers [end, size) and is ephemeral.
    if end < size:
        plan.append(tuple(range_keys(end, size)))
    # Then the left perfect subtrees of [0, start), nearest first.
    plan.extend((key,) for key in reversed(range_keys(0, start)))
    return plan


def _inclusion_plan(index: int, size: int) -> list[tuple[NodeKey, ...]]:
    check_size(size)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    return _path_plan(0, index, size)


def _consistency_plan(old_size: int, new_size: int) -> list[tuple[NodeKey, ...]]:
    check_size(old_size, "old tree size")
    check_size(new_size, "new tree size")
    if old_size > new_size:
        raise ProofError(f"old tree size {old_size} is above new tree size {new_size}")
    if old_size in (0, new_size):
        return []
    # The last (smallest) perfect subtree of the old tree, then its path in the new one.
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> level
    plan = _path_plan(level, index, new_size)
    if old_size & (old_size - 1):  # not a power of two: the verifier needs the node itself
        plan.insert(0, ((level, index),))
    return plan


def _keys_of(plan: list[tuple[NodeKey, ...]]) -> tuple[NodeKey, ...]:
    return tuple(key for element in plan for key in element)


def inclusion_keys(index: int, size: int) -> tuple[NodeKey, ...]:
    """Perfect nodes needed for the inclusion proof of leaf ``index`` in ``size``."""
    return _keys_of(_inclusion_plan(index, size))


def consistency_keys(old_size: int, new_size: int) -> tuple[NodeKey, ...]:
    """Perfect nodes needed for the consistency proof from ``old_size`` to ``new_size``."""
    return _keys_of(_consistency_plan(old_size, new_size))


def _materialise(plan: list[tuple[NodeKey, ...]], source: NodeSource) -> list[bytes]:
    found = read_nodes(source, _keys_of(plan))
    return [
        found[element[0]] if len(element) == 1 else fold([found[key] for key in element])
        for element in plan
    ]


def inclusion_proof(index: int, size: int, nodes: NodeSource) -> list[bytes]:
    """RFC 9162 §2.1.3.1 inclusion proof of leaf ``index`` in the tree of ``size``."""
    return _materialise(_inclusion_plan(index, size), nodes)


def consistency_proof(old_size: int, new_size: int, nodes: NodeSource) -> list[bytes]:
    """RFC 9162 §2.1.4.1 consistency proof between two sizes of the tree.

    Empty when ``old_size`` is 0 or equals ``new_size``.
    """
    return _materialise(_consistency_plan(old_size, new_size), nodes)


# --------------------------------------------------------------------------- verification


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Recompute the root from an inclusion proof (RFC 9162 §2.1.3.2).

    Raises :class:`ProofError` if the proof cannot belong to ``(index, size)``:
    index out of range, wrong number of elements, or a hash of the wrong size.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    check_hash(leaf_hash, "leaf hash")
    fn, sn, r = index, size - 1, leaf_hash
    for position, p in enumerate(proof):
        check_hash(p, f"proof element {position}")
        if sn == 0:
            raise ProofError(f"inclusion proof has {len(proof)} elements, too many")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof has {len(proof)} elements, too few")
    return r


def check_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the leaf is in the tree ``root``."""
    check_hash(root, "root hash")
    if root_from_inclusion_proof(leaf_hash, index, size, proof) != root:
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if ``proof`` shows leaf ``index`` with ``leaf_hash`` is in the tree ``root``."""
    try:
        check_inclusion(leaf_hash, index, size, proof, root)
    except ProofError:
        return False
    return True


def check_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`ProofError` unless the tree ``new_root`` extends the tree ``old_root``.

    Edge cases: ``old_size > new_size`` fails; equal sizes need an empty proof and
    equal roots; ``old_size == 0`` needs an empty proof and ``old_root == EMPTY_ROOT``
    (every tree extends the empty one). Otherwise RFC 9162 §2.1.4.2 applies.
    """
    check_hash(old_root, "old root hash")
    check_hash(new_root, "new root hash")
    if old_size < 0 or new_size < 0:
        raise ProofError(f"tree sizes {old_size} and {new_size} must not be negative")
    if old_size > new_size:
        raise ProofError(f"old tree size {old_size} is above new tree size {new_size}")
    if old_size == new_size or old_size == 0:
        if proof:
            raise ProofError(
                f"consistency proof from {old_size} to {new_size} must be empty, "
                f"has {len(proof)} elements"
            )
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError("old root of an empty tree is not the empty-tree hash")
        if old_size == new_size and old_root != new_root:
            raise ProofError(f"roots differ for the same tree size {old_size}")
        return
    if not proof:
        raise ProofError(f"consistency proof from {old_size} to {new_size} is empty")
    for position, p in enumerate(proof):
        check_hash(p, f"proof element {position}")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof has {len(proof)} elements, too many")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof has {len(proof)} elements, too few")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if ``proof`` shows the tree ``new_root`` extends the tree ``old_root``."""
    try:
        check_consistency(old_size, new_size, old_root, new_root, proof)
    except ProofError:
        return False
    return True
