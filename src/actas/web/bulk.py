"""Everything the static export needs, read once.

Rendering 24,532 table pages costs no per-table round trip: the results, the
submissions (with findings), the region names, the region tallies and every
Merkle node are read in a few bulk queries and kept in memory.
"""

from __future__ import annotations

from typing import Any

from actas.adapters.store.sql import LoggedSubmission
from actas.app import results
from actas.app.context import Context
from actas.core.log import merkle
from actas.core.results.reconcile import TableResult
from actas.web.queries import Checkpoint, crumbs, table_json, table_rows

__all__ = ["Bulk"]


class Bulk:
    """Everything the static export needs, read once."""

    def __init__(self, ctx: Context) -> None:
        store = ctx.store
        self.election = ctx.election
        with store.read() as conn:
            self.names = store.region_names(conn)
            self.results: dict[str, TableResult] = {
                str(r.table_id): r for r in store.table_results(conn)
            }
            self.subs: dict[str, list[LoggedSubmission]] = {}
            leaf_hashes = []
            for sub in store.iter_submissions(conn):
                leaf_hashes.append(sub.leaf_hash)
                if sub.table_id is not None:
                    self.subs.setdefault(sub.table_id, []).append(sub)
            # every perfect node, from the leaves (the store keeps only the upper levels)
            self.nodes = merkle.MemoryNodes(leaf_hashes)
        self.registry = sorted(store.registry())  # pending tables have pages too
        national = results.results(ctx)
        self.national = national[0] if national else None
        self.by_level = [results.results(ctx, level=i) for i in range(len(self.election.levels))]
        self.regions = {r["code"]: r for rows in self.by_level for r in rows}
        scheme = self.election.scheme
        self.children_of: dict[str, list[dict[str, Any]]] = {}
        for rows in self.by_level:
            for r in rows:
                parent = scheme.parent_of(r["code"]) or ""
                self.children_of.setdefault(parent, []).append(r)
        self.tables_of: dict[str, list[TableResult]] = {}
        for tid, res in sorted(self.results.items()):
            try:
                centre = scheme.region_codes(tid)[-1]
            except ValueError:
                continue
            self.tables_of.setdefault(centre, []).append(res)
        # the tables of each centre with no result yet: listed in the registry, or named
        # by a submission (received, not read)
        self.listed_of: dict[str, list[str]] = {}
        self.named_of: dict[str, list[str]] = {}
        for into, ids in ((self.listed_of, self.registry), (self.named_of, sorted(self.subs))):
            for tid in ids:
                if tid in self.results:
                    continue
                try:
                    centre = scheme.region_codes(tid)[-1]
                except ValueError:
                    continue
                into.setdefault(centre, []).append(tid)

    def table_ids(self) -> list[str]:
        ids = set(self.results) | set(self.subs) | set(self.registry)
        good = []
        for t in sorted(ids):
            try:
                self.election.scheme.split(t)
            except ValueError:
                continue
            good.append(t)
        return good

    def table(self, table_id: str, cp: Checkpoint | None) -> dict[str, Any]:
        return table_json(
            self.election,
            table_id,
            self.results.get(table_id),
            self.subs.get(table_id, []),
            self.names,
            cp,
            self.nodes,
        )

    def region(self, code: str) -> dict[str, Any]:
        """The same data as :func:`region`, from memory."""
        election = self.election
        level = election.scheme.level_of(code)
        last = level == len(election.levels) - 1
        return {
            "region": self.regions[code],
            "crumbs": crumbs(election, code, self.names),
            "child_level": None if last else election.levels[level + 1].id,
            "children": self.children_of.get(code, []),
            "tables": table_rows(
                election,
                self.tables_of.get(code, []),
                self.listed_of.get(code, []),
                self.named_of.get(code, []),
            )
            if last
            else None,
        }
