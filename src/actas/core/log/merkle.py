"""RFC 9162 Merkle tree hashing, stored as perfect subtrees, with proofs.

The log's tree is the one of RFC 9162 §2.1 (identical to RFC 6962 §2.1)::

    leaf_hash(d)     = SHA-256(0x00 || d)
    node_hash(l, r)  = SHA-256(0x01 || l || r)
    MTH({})          = SHA-256("")

**Storage model.** A log keeps only *perfect subtree hashes*: the node
``(level k, index i)`` is the hash of the complete subtree over the leaves
``[i·2^k, (i+1)·2^k)``. Such a node exists once the tree holds ``(i+1)·2^k``
leaves and never changes afterwards, so a store can keep them in an append-only
table. Every hash that is not perfect (the right border of a tree whose size is
not a power of two) is recombined on demand from the O(log n) perfect nodes
under it. Nothing here ever rebuilds a tree.

**Two-phase reads.** Each operation first says *which* perfect nodes it needs
(:func:`root_keys`, :func:`inclusion_keys`, :func:`consistency_keys`,
:func:`appended_keys`) and is then given their hashes as a :class:`NodeSource`:
a plain mapping (a database fetches all keys in one round trip), an object with
a batched ``nodes(keys)`` method (:class:`NodeBatchReader`), or one with a
``node(level, index)`` method (:class:`NodeReader`).

**Appending.** :class:`Frontier` is the compact range ``[0, size)``: the hashes
of the perfect nodes named by ``root_keys(size)``. Feeding it leaf hashes emits
every new perfect node, which is all a store has to insert.

**Errors.** Producing a root or a proof with impossible arguments (an index not
below the size, an old size above the new one, a negative size) raises
:class:`~actas.core.errors.ProofError`; a node missing from a mapping raises
:class:`~actas.core.errors.NotFound`. Verification never raises for bad input:
:func:`verify_inclusion` and :func:`verify_consistency` return ``False``, and
:func:`check_inclusion` / :func:`check_consistency` raise ``ProofError`` naming
the reason (wrong proof length, index out of range, hash of the wrong size, ...).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias, cast

from actas.core.errors import NotFound, ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "MemoryNodes",
    "NodeBatchReader",
    "NodeEntry",
    "NodeKey",
    "NodeReader",
    "NodeSource",
    "appended_keys",
    "appended_nodes",
    "appended_nodes_many",
    "check_consistency",
    "check_inclusion",
    "consistency_keys",
    "consistency_proof",
    "inclusion_keys",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "perfect_root",
    "root",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "root_keys",
    "verify_consistency",
    "verify_inclusion",
]

#: Size in bytes of every hash in the tree (SHA-256).
HASH_SIZE = 32

#: Root hash of the empty tree: SHA-256 of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: ``(level, index)`` of a perfect subtree: leaves ``[index·2^level, (index+1)·2^level)``.
NodeKey: TypeAlias = tuple[int, int]

#: A perfect node and its hash, as emitted when appending.
NodeEntry: TypeAlias = tuple[NodeKey, bytes]

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || data)``."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior hash ``SHA-256(0x01 || left || right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


# --------------------------------------------------------------------------- readers


class NodeReader(Protocol):
    """Reads one stored perfect node.

    It is only ever asked for perfect subtrees that are complete in the tree
    size the caller is working with.
    """

    def node(self, level: int, index: int) -> bytes:
        """Return the hash of perfect node ``(level, index)``."""
        ...


class NodeBatchReader(Protocol):
    """Reads many stored perfect nodes at once (one ``SELECT ... IN``)."""

    def nodes(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Return a mapping holding (at least) every key asked for."""
        ...


#: Where hashes of perfect nodes come from: a mapping, or an object with a
#: ``nodes(keys)`` method (called once per operation), or else with ``node(level, index)``.
NodeSource: TypeAlias = Mapping[NodeKey, bytes] | NodeBatchReader | NodeReader


def _read(source: NodeSource, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
    """Fetch ``keys`` from ``source`` in as few calls as the source allows."""
    found: Mapping[NodeKey, bytes]
    if isinstance(source, Mapping):
        found = source
    elif (batch := getattr(source, "nodes", None)) is not None:
        # A NodeBatchReader, found by duck typing: cheaper than a runtime-checkable isinstance.
        found = batch(keys) if keys else {}
    else:
        reader = cast(NodeReader, source)
        found = {key: reader.node(*key) for key in keys}
    out: dict[NodeKey, bytes] = {}
    for key in keys:
        value = found.get(key)
        if value is None:
            raise NotFound(f"Merkle node (level {key[0]}, index {key[1]}) was not supplied")
        if len(value) != HASH_SIZE:
            raise ProofError(
                f"Merkle node (level {key[0]}, index {key[1]}) has {len(value)} bytes, "
                f"expected {HASH_SIZE}"
            )
        out[key] = value
    return out


# --------------------------------------------------------------------------- node plans


def _check_size(size: int, what: str = "tree size") -> None:
    if size < 0:
        raise ProofError(f"{what} {size} is negative")


def _range_keys(begin: int, end: int) -> list[NodeKey]:
    """Perfect nodes covering ``[begin, end)``, left to right.

    ``begin`` must be 0 or a multiple of a power of two above ``end - begin``,
    which holds for every range this module asks for.
    """
    keys: list[NodeKey] = []
    pos = begin
    width = end - begin
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            keys.append((level, pos >> level))
            pos += 1 << level
    return keys


def root_keys(size: int) -> tuple[NodeKey, ...]:
    """Perfect nodes whose hashes make up the root of a tree of ``size`` leaves.

    One node per set bit of ``size``, largest (leftmost) first; empty for size 0.
    """
    _check_size(size)
    return tuple(_range_keys(0, size))


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
        plan.append(tuple(_range_keys(end, size)))
    # Then the left perfect subtrees of [0, start), nearest first.
    plan.extend((key,) for key in reversed(_range_keys(0, start)))
    return plan


def _inclusion_plan(index: int, size: int) -> list[tuple[NodeKey, ...]]:
    _check_size(size)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    return _path_plan(0, index, size)


def _consistency_plan(old_size: int, new_size: int) -> list[tuple[NodeKey, ...]]:
    _check_size(old_size, "old tree size")
    _check_size(new_size, "new tree size")
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


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold: ``node_hash(h0, node_hash(h1, ... hn))``."""
    acc = hashes[-1]
    for value in reversed(hashes[:-1]):
        acc = _sha256(_NODE_PREFIX + value + acc).digest()
    return acc


def _materialise(plan: list[tuple[NodeKey, ...]], source: NodeSource) -> list[bytes]:
    found = _read(source, _keys_of(plan))
    return [
        found[element[0]] if len(element) == 1 else _fold([found[key] for key in element])
        for element in plan
    ]


def root(size: int, nodes: NodeSource) -> bytes:
    """Root hash of the tree of ``size`` leaves, from its perfect nodes."""
    keys = root_keys(size)
    if not keys:
        return EMPTY_ROOT
    found = _read(nodes, keys)
    return _fold([found[key] for key in keys])


def inclusion_proof(index: int, size: int, nodes: NodeSource) -> list[bytes]:
    """RFC 9162 §2.1.3.1 inclusion proof of leaf ``index`` in the tree of ``size``."""
    return _materialise(_inclusion_plan(index, size), nodes)


def consistency_proof(old_size: int, new_size: int, nodes: NodeSource) -> list[bytes]:
    """RFC 9162 §2.1.4.1 consistency proof between two sizes of the tree.

    Empty when ``old_size`` is 0 or equals ``new_size``.
    """
    return _materialise(_consistency_plan(old_size, new_size), nodes)


# --------------------------------------------------------------------------- verification


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} has {len(value)} bytes, expected {HASH_SIZE}")


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Recompute the root from an inclusion proof (RFC 9162 §2.1.3.2).

    Raises :class:`ProofError` if the proof cannot belong to ``(index, size)``:
    index out of range, wrong number of elements, or a hash of the wrong size.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _check_hash(leaf_hash, "leaf hash")
    fn, sn, r = index, size - 1, leaf_hash
    for position, p in enumerate(proof):
        _check_hash(p, f"proof element {position}")
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
    _check_hash(root, "root hash")
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
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
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
        _check_hash(p, f"proof element {position}")
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


# --------------------------------------------------------------------------- appending


@dataclass(frozen=True)
class Frontier:
    """The compact range ``[0, size)``: hashes of the nodes ``root_keys(size)``.

    It is all that is needed to append: each leaf fed in yields the new perfect
    nodes a store must insert. Appending returns a new :class:`Frontier`.
    """

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        _check_size(self.size)
        if len(self.hashes) != self.size.bit_count():
            raise ProofError(
                f"a frontier of size {self.size} has {self.size.bit_count()} hashes, "
                f"not {len(self.hashes)}"
            )
        for position, value in enumerate(self.hashes):
            _check_hash(value, f"frontier hash {position}")

    @classmethod
    def from_nodes(cls, size: int, nodes: NodeSource) -> Frontier:
        """Load the frontier of ``size`` from stored perfect nodes."""
        keys = root_keys(size)
        found = _read(nodes, keys)
        return cls(size, tuple(found[key] for key in keys))

    def keys(self) -> tuple[NodeKey, ...]:
        """The perfect nodes this frontier holds, largest first."""
        return root_keys(self.size)

    def root(self) -> bytes:
        """Root hash of the tree of ``size`` leaves."""
        return _fold(self.hashes) if self.hashes else EMPTY_ROOT

    def append(self, leaf_hash: bytes) -> tuple[Frontier, list[NodeEntry]]:
        """Append one leaf hash; return the new frontier and the new perfect nodes."""
        return self.extend((leaf_hash,))

    def extend(self, leaf_hashes: Iterable[bytes]) -> tuple[Frontier, list[NodeEntry]]:
        """Append many leaf hashes; return the new frontier and the new perfect nodes.

        Nodes come out in creation order: each leaf ``(0, i)`` followed by the
        parents it completes, lowest first.
        """
        stack = list(self.hashes)
        size = self.size
        created: list[NodeEntry] = []
        emit, push, pop = created.append, stack.append, stack.pop
        sha256, prefix, hash_size = _sha256, _NODE_PREFIX, HASH_SIZE
        for value in leaf_hashes:
            if len(value) != hash_size:
                raise ProofError(f"leaf hash {size} has {len(value)} bytes, expected {hash_size}")
            emit(((0, size), value))
            level, index = 0, size
            while index & 1:
                value = sha256(prefix + pop() + value).digest()
                level += 1
                index >>= 1
                emit(((level, index), value))
            push(value)
            size += 1
        return Frontier(size, tuple(stack)), created


def appended_keys(size_before: int) -> tuple[NodeKey, ...]:
    """Perfect nodes that appending one leaf at ``size_before`` combines with.

    One per trailing one bit of ``size_before``, lowest first.
    """
    _check_size(size_before)
    keys: list[NodeKey] = []
    level, index = 0, size_before
    while index & 1:
        keys.append((level, index - 1))
        level += 1
        index >>= 1
    return tuple(keys)


def appended_nodes(size_before: int, leaf_hash: bytes, nodes: NodeSource) -> list[NodeEntry]:
    """The new perfect nodes created by appending ``leaf_hash`` at ``size_before``.

    The first is the leaf itself ``(0, size_before)``; the others are the
    parents it completes. Reads only ``appended_keys(size_before)``.
    """
    _check_hash(leaf_hash, "leaf hash")
    keys = appended_keys(size_before)
    found = _read(nodes, keys)
    created: list[NodeEntry] = [((0, size_before), leaf_hash)]
    value = leaf_hash
    for level, index in keys:
        value = node_hash(found[(level, index)], value)
        created.append(((level + 1, index >> 1), value))
    return created


def appended_nodes_many(
    size_before: int, leaf_hashes: Iterable[bytes], nodes: NodeSource
) -> list[NodeEntry]:
    """The new perfect nodes created by appending many leaf hashes at ``size_before``.

    Reads only ``root_keys(size_before)`` and keeps the frontier in memory.
    """
    return Frontier.from_nodes(size_before, nodes).extend(leaf_hashes)[1]


# --------------------------------------------------------------------------- memory store


class MemoryNodes:
    """An in-memory, append-only store of perfect nodes.

    It is the fake behind the node table in tests and the store of the offline
    verifier. Nodes of one level are kept in a list indexed by node index (a
    level only ever grows at its end), which takes far less memory than a dict
    of tuples for a million leaves. It is both a :class:`NodeReader` and a
    :class:`NodeBatchReader`.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = []
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """Number of leaves stored."""
        return len(self._levels[0]) if self._levels else 0

    def __len__(self) -> int:
        """Number of perfect nodes stored, at every level."""
        return sum(len(level) for level in self._levels)

    def node(self, level: int, index: int) -> bytes:
        """Return the hash of perfect node ``(level, index)``, or raise NotFound."""
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise NotFound(f"no Merkle node at level {level}, index {index}")

    def nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """Return the hashes of several nodes, or raise NotFound for the first missing."""
        levels = self._levels
        out: dict[NodeKey, bytes] = {}
        for key in keys:
            level, index = key
            if level < 0 or index < 0:
                raise NotFound(f"no Merkle node at level {level}, index {index}")
            try:
                out[key] = levels[level][index]
            except IndexError:
                raise NotFound(f"no Merkle node at level {level}, index {index}") from None
        return out

    def put(self, level: int, index: int, value: bytes) -> None:
        """Store a node; a level grows only at its end and never changes.

        Raises ValueError for a gap or an overwrite with a different hash (a bug).
        """
        if level < 0 or index < 0:
            raise ValueError(f"bad node key ({level}, {index})")
        while len(self._levels) <= level:
            self._levels.append([])
        row = self._levels[level]
        if index == len(row):
            row.append(value)
        elif index > len(row):
            raise ValueError(f"node ({level}, {index}) would leave a gap at index {len(row)}")
        elif row[index] != value:
            raise ValueError(f"node ({level}, {index}) is already stored with another hash")

    def put_many(self, entries: Iterable[NodeEntry]) -> None:
        """Store several nodes, as emitted by :func:`appended_nodes` or :class:`Frontier`."""
        levels = self._levels
        for (level, index), value in entries:
            if 0 <= level < len(levels) and index == len(row := levels[level]):
                row.append(value)  # the usual case: the next node of an existing level
            else:
                self.put(level, index, value)

    def frontier(self) -> Frontier:
        """The frontier of the current size."""
        return Frontier.from_nodes(self.size, self)

    def append(self, leaf_hash: bytes) -> list[NodeEntry]:
        """Append one leaf hash; return (and store) the new perfect nodes."""
        created = appended_nodes(self.size, leaf_hash, self)
        self.put_many(created)
        return created

    def extend(self, leaf_hashes: Iterable[bytes]) -> Frontier:
        """Append many leaf hashes through a frontier; return the new frontier."""
        frontier, created = self.frontier().extend(leaf_hashes)
        self.put_many(created)
        return frontier


# --------------------------------------------------------------------------- reference


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """The hash of a perfect subtree (``len(hashes)`` a power of two) over the hashes
    of its leaves, level by level: a store that keeps only the upper levels of the
    tree rebuilds a lower node with this from the leaves under it."""
    n = len(hashes)
    if n == 0 or n & (n - 1):
        raise ValueError(f"a perfect subtree has a power of two of leaves, not {n}")
    row = list(hashes)
    while len(row) > 1:
        row = [_sha256(_NODE_PREFIX + row[i] + row[i + 1]).digest() for i in range(0, len(row), 2)]
    return row[0]


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """Reference ``MTH`` of RFC 9162 §2.1.1 over already-hashed leaves.

    A direct recursive transcription (split at the largest power of two below
    the size): O(n) hashing and no shortcuts, used as the oracle in tests and
    as the naive baseline in benchmarks.
    """

    def mth(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 1:
            return leaf_hashes[lo]
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))

    if not leaf_hashes:
        return EMPTY_ROOT
    return mth(0, len(leaf_hashes))
