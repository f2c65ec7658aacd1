"""Perfect nodes of a Merkle tree: their keys, where their hashes come from, the root.

A log keeps only *perfect subtree hashes* (see :mod:`actas.core.log.merkle`):
node ``(level k, index i)`` covers the leaves ``[i·2^k, (i+1)·2^k)``. Each
operation first names the keys it needs and is then given their hashes as a
:data:`NodeSource`: a mapping, a :class:`NodeBatchReader` or a :class:`NodeReader`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeAlias, cast

from actas.core.errors import NotFound, ProofError
from actas.core.log.treehash import EMPTY_ROOT, HASH_SIZE, fold

__all__ = [
    "NodeBatchReader",
    "NodeEntry",
    "NodeKey",
    "NodeReader",
    "NodeSource",
    "check_size",
    "range_keys",
    "read_nodes",
    "root",
    "root_keys",
]

#: ``(level, index)`` of a perfect subtree: leaves ``[index·2^level, (index+1)·2^level)``.
NodeKey: TypeAlias = tuple[int, int]

#: A perfect node and its hash, as emitted when appending.
NodeEntry: TypeAlias = tuple[NodeKey, bytes]


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


def read_nodes(source: NodeSource, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
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


def check_size(size: int, what: str = "tree size") -> None:
    if size < 0:
        raise ProofError(f"{what} {size} is negative")


def range_keys(begin: int, end: int) -> list[NodeKey]:
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
    check_size(size)
    return tuple(range_keys(0, size))


def root(size: int, nodes: NodeSource) -> bytes:
    """Root hash of the tree of ``size`` leaves, from its perfect nodes."""
    keys = root_keys(size)
    if not keys:
        return EMPTY_ROOT
    found = read_nodes(nodes, keys)
    return fold([found[key] for key in keys])
