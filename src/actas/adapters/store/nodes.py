"""Reading the log's Merkle nodes from the store: the stored upper levels by primary
key, the levels below hashed again from their leaves (``docs/log-format.md``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Connection, select

from actas.adapters.store import schema as s
from actas.adapters.store.bulk import matching
from actas.core.log import merkle

__all__ = ["LOW_LEVELS", "NodeReader"]

# Merkle nodes below this level are not stored: a proof that needs one hashes the (at
# most 2**LOW_LEVELS) leaves under it again. An append then writes one node row per 64
# leaves instead of about two per leaf (the way tlog-tiles logs keep full tiles only);
# stores written before keep their low rows, which are simply not read.
LOW_LEVELS = 6


class NodeReader:
    """Batch node reader over a connection: stored nodes by primary key (one SELECT per
    level asked for), lower ones hashed from their leaves (one SELECT per run of leaves)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        by_level: dict[int, list[int]] = {}
        low: list[tuple[int, int]] = []
        for key in keys:
            if key[0] < LOW_LEVELS:
                low.append(key)
            else:
                by_level.setdefault(key[0], []).append(key[1])
        out: dict[tuple[int, int], bytes] = {}
        c = s.nodes.c
        for level, idxs in by_level.items():
            for where in matching(self.conn, c.idx, idxs):
                q = select(c.idx, c.hash).where(c.level == level, where)
                out.update({(level, int(i)): bytes(h) for i, h in self.conn.execute(q)})
        if low:
            out.update(self._low(low))
        return out

    def _low(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Nodes below LOW_LEVELS, hashed from the leaves under them (absent if a leaf is)."""
        spans = sorted(((i << lv), ((i + 1) << lv)) for lv, i in keys)
        runs: list[list[int]] = []
        for start, end in spans:  # merge overlapping and touching spans
            if runs and start <= runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], end)
            else:
                runs.append([start, end])
        hashes: dict[int, bytes] = {}
        c = s.submissions.c
        for start, end in runs:
            q = select(c.seq, c.leaf).where(c.seq >= start, c.seq < end)
            hashes.update(
                (int(q_), merkle.leaf_hash(bytes(leaf))) for q_, leaf in self.conn.execute(q)
            )
        out: dict[tuple[int, int], bytes] = {}
        for level, idx in keys:
            first = idx << level
            under = [hashes.get(i) for i in range(first, first + (1 << level))]
            if all(h is not None for h in under):
                out[(level, idx)] = merkle.perfect_root(cast(list[bytes], under))
        return out
