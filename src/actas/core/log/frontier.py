"""Appending to a Merkle tree: the compact range ``[0, size)`` and the nodes it creates.

:class:`Frontier` holds the hashes of the perfect nodes named by
``root_keys(size)``. Feeding it leaf hashes emits every new perfect node, which
is all a store has to insert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from actas.core.errors import ProofError
from actas.core.log.nodes import (
    NodeEntry,
    NodeKey,
    NodeSource,
    check_size,
    read_nodes,
    root_keys,
)
from actas.core.log.treehash import (
    EMPTY_ROOT,
    HASH_SIZE,
    NODE_PREFIX,
    check_hash,
    fold,
    node_hash,
    sha256,
)

__all__ = ["Frontier", "appended_keys", "appended_nodes", "appended_nodes_many"]


@dataclass(frozen=True)
class Frontier:
    """The compact range ``[0, size)``: hashes of the nodes ``root_keys(size)``.

    It is all that is needed to append: each leaf fed in yields the new perfect
    nodes a store must insert. Appending returns a new :class:`Frontier`.
    """

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        check_size(self.size)
        if len(self.hashes) != self.size.bit_count():
            raise ProofError(
                f"a frontier of size {self.size} has {self.size.bit_count()} hashes, "
                f"not {len(self.hashes)}"
            )
        for position, value in enumerate(self.hashes):
            check_hash(value, f"frontier hash {position}")

    @classmethod
    def from_nodes(cls, size: int, nodes: NodeSource) -> Frontier:
        """Load the frontier of ``size`` from stored perfect nodes."""
        keys = root_keys(size)
        found = read_nodes(nodes, keys)
        return cls(size, tuple(found[key] for key in keys))

    def keys(self) -> tuple[NodeKey, ...]:
        """The perfect nodes this frontier holds, largest first."""
        return root_keys(self.size)

    def root(self) -> bytes:
        """Root hash of the tree of ``size`` leaves."""
        return fold(self.hashes) if self.hashes else EMPTY_ROOT

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
        hash_node, prefix, hash_size = sha256, NODE_PREFIX, HASH_SIZE
        for value in leaf_hashes:
            if len(value) != hash_size:
                raise ProofError(f"leaf hash {size} has {len(value)} bytes, expected {hash_size}")
            emit(((0, size), value))
            level, index = 0, size
            while index & 1:
                value = hash_node(prefix + pop() + value).digest()
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
    check_size(size_before)
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
    check_hash(leaf_hash, "leaf hash")
    keys = appended_keys(size_before)
    found = read_nodes(nodes, keys)
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
