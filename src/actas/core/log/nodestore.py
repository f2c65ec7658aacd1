"""An in-memory, append-only store of perfect Merkle nodes (:class:`MemoryNodes`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from actas.core.errors import NotFound
from actas.core.log.frontier import Frontier, appended_nodes
from actas.core.log.nodes import NodeEntry, NodeKey

__all__ = ["MemoryNodes"]


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
