"""What is judged and counted, in SQL: table results, findings, the registry of tables,
region names and the regions' packed tallies.

All of it is derived from the log (or, for the registry and region names, from the
files imported) and can be recomputed: rewriting it never touches a leaf.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, delete, func, insert, select

from actas.adapters.store import arrays
from actas.adapters.store import schema as s
from actas.adapters.store.bulk import insert_rows, matching
from actas.adapters.store.engine import Database
from actas.adapters.store.rows import counts_json, finding_from, fold_name, pack_votes, result_from
from actas.core.model import Counts, Finding
from actas.core.results.reconcile import Status, TableResult, Version
from actas.core.results.tally import Registry, TableArrays

__all__ = ["ResultTables"]

_RESULT_COLS = (
    "table_id",
    "status",
    "registered",
    "null_votes",
    "votes",
    "counts",
    "seqs",
    "agreeing",
    "channels",
    "differing",
)


class ResultTables(Database):
    """Table results, findings, registry and regions over the SQL database."""

    # ----------------------------------------------------------------- regions, registry

    def upsert_region_names(self, conn: Connection, names: Mapping[str, tuple[int, str]]) -> None:
        """Name regions that have no name yet (the first name seen wins)."""
        if not names:
            return
        known: set[str] = set()
        for where in matching(conn, s.regions.c.code, list(names)):
            known.update(conn.execute(select(s.regions.c.code).where(where)).scalars())
        new = [
            {"code": c, "level": lvl, "name": n, "search": fold_name(n)}
            for c, (lvl, n) in names.items()
            if c not in known
        ]
        if new:
            conn.execute(insert(s.regions), new)

    def region_names(
        self, conn: Connection | None = None, codes: Sequence[str] | None = None
    ) -> dict[str, str]:
        """Code -> name of every region, or of ``codes`` only."""
        if conn is None:
            with self.read() as c:
                return self.region_names(c, codes)
        q = select(s.regions.c.code, s.regions.c.name)
        if codes is not None:
            if not codes:
                return {}
            q = q.where(s.regions.c.code.in_(list(codes)))
        return {str(c): str(n) for c, n in conn.execute(q)}

    def search_regions(self, folded: str, limit: int) -> list[tuple[str, int, str]]:
        pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.read() as conn:
            rows = conn.execute(
                select(s.regions.c.code, s.regions.c.level, s.regions.c.name)
                .where(s.regions.c.search.like(pattern, escape="\\"))
                .order_by(s.regions.c.level, s.regions.c.code)
                .limit(limit)
            ).all()
        return [(str(r.code), int(r.level), str(r.name)) for r in rows]

    def upsert_registry(self, conn: Connection, rows: Mapping[str, int | None]) -> None:
        for where in matching(conn, s.registry.c.table_id, list(rows)):
            conn.execute(delete(s.registry).where(where))
        conn.execute(
            insert(s.registry), [{"table_id": t, "registered": r} for t, r in rows.items()]
        )

    def registry(self) -> dict[str, int | None]:
        with self.read() as conn:
            return {
                str(t): (None if r is None else int(r))
                for t, r in conn.execute(select(s.registry.c.table_id, s.registry.c.registered))
            }

    # ----------------------------------------------------------------- results

    def versions(self, table_ids: Sequence[str], conn: Connection) -> dict[str, list[Version]]:
        """Table id -> every reading of its numbers in the log (decisions marked)."""
        out: dict[str, list[Version]] = {}
        c = s.submissions.c
        for where in matching(conn, c.table_id, list(table_ids)):
            rows = conn.execute(
                select(c.seq, c.table_id, c.kind, c.channel, c.counts).where(
                    where, c.counts.is_not(None)
                )
            )
            for seq, tid, kind, channel, counts in rows:
                out.setdefault(tid, []).append(
                    Version(
                        int(seq), channel, Counts.from_json(json.loads(counts)), kind == "decision"
                    )
                )
        return out

    def tables_with_results(self, table_ids: Sequence[str], conn: Connection) -> set[str]:
        found: set[str] = set()
        c = s.table_results.c
        for where in matching(conn, c.table_id, list(table_ids)):
            found.update(conn.execute(select(c.table_id).where(where)).scalars())
        return found

    def all_table_ids(self, conn: Connection) -> list[str]:
        """Every table some submission gave numbers for."""
        c = s.submissions.c
        return [
            str(t)
            for t in conn.execute(
                select(c.table_id).where(c.table_id.is_not(None), c.counts.is_not(None)).distinct()
            ).scalars()
        ]

    def put_table_results(
        self,
        conn: Connection,
        results: Sequence[TableResult],
        removed: Iterable[str] = (),
        new: frozenset[str] = frozenset(),
    ) -> None:
        """Replace the results of these tables; ``new`` ones are known to have none yet."""
        ids = [r.table_id for r in results if r.table_id not in new] + list(removed)
        for where in matching(conn, s.table_results.c.table_id, ids):
            conn.execute(delete(s.table_results).where(where))
        rows = []
        for r in results:
            c = r.counts
            rows.append(
                (
                    r.table_id,
                    str(r.status),
                    -1 if c is None or c.registered is None else c.registered,
                    -1 if c is None or c.null is None else c.null,
                    b"" if c is None else pack_votes(c.votes),
                    counts_json(c),
                    ",".join(map(str, r.seqs)),
                    r.agreeing,
                    ",".join(r.channels),
                    ",".join(r.differing),
                )
            )
        insert_rows(conn, s.table_results, _RESULT_COLS, rows)

    def table_result(self, table_id: str, conn: Connection) -> TableResult | None:
        row = conn.execute(
            select(s.table_results).where(s.table_results.c.table_id == table_id)
        ).first()
        return None if row is None else result_from(row)

    def table_results(
        self, conn: Connection, status: str | None = None, prefix: str | None = None
    ) -> list[TableResult]:
        q = select(s.table_results).order_by(s.table_results.c.table_id)
        if status:
            q = q.where(s.table_results.c.status == status)
        if prefix is not None:
            q = q.where(s.table_results.c.table_id.startswith(prefix, autoescape=True))
        # ORDER BY follows the database's collation (PostgreSQL's may ignore spaces and
        # punctuation); the order of ids is UTF-8 bytes (core.idorder), so sort here too:
        # linear when the database returned them in that order already
        return sorted((result_from(r) for r in conn.execute(q)), key=_table_id)

    def counted_counts(self, conn: Connection) -> list[tuple[str, str]]:
        """(table id, canonical Counts JSON) of every counted table, sorted by table id."""
        c = s.table_results.c
        q = (
            select(c.table_id, c.counts)
            .where(c.status != str(Status.CONFLICT), c.counts.is_not(None))
            .order_by(c.table_id)
        )
        return sorted((str(t), str(j)) for t, j in conn.execute(q))

    def table_arrays(self, n_candidates: int, conn: Connection) -> TableArrays:
        """Every table result as arrays, sorted by table id (a few bulk queries)."""
        return arrays.table_arrays(conn, n_candidates)

    def registry_arrays(self, conn: Connection) -> Registry:
        """The registry as arrays: table ids and registered voters (-1 = unknown)."""
        return arrays.registry_arrays(conn)

    # ----------------------------------------------------------------- region tallies

    def put_region_results(
        self, conn: Connection, rows: Sequence[tuple[str, int, str, str]]
    ) -> None:
        """Replace every region's packed tally with ``rows``: (code, level, name, packed).

        Regions stored exactly as given are left alone, so a re-tally after a small
        import writes only the regions it changed (readers see less churn); when
        most change, everything is replaced at once.
        """
        stored = {
            str(code): (int(level), str(name), str(data))
            for code, level, name, data in conn.exec_driver_sql(
                "SELECT code, level, name, data FROM region_results"
            )
        }
        fresh = [r for r in rows if stored.get(r[0]) != (r[1], r[2], r[3])]
        keep = {r[0] for r in rows}
        gone = [code for code in stored if code not in keep]
        stale = gone + [r[0] for r in fresh if r[0] in stored]
        if 2 * len(stale) > len(stored):
            conn.execute(delete(s.region_results))
            fresh = list(rows)
        else:
            for where in matching(conn, s.region_results.c.code, stale):
                conn.execute(delete(s.region_results).where(where))
        insert_rows(conn, s.region_results, ("code", "level", "name", "data"), fresh)

    def region_result(self, code: str) -> tuple[str, str] | None:
        """(name, packed tally) of one region."""
        c = s.region_results.c
        with self.read() as conn:
            row = conn.execute(select(c.name, c.data).where(c.code == code)).first()
        return None if row is None else (str(row[0]), str(row[1]))

    def region_results(self, level: int, parent: str | None = None) -> list[tuple[str, str, str]]:
        """(code, name, packed tally) of every region at a level, optionally under a parent."""
        c = s.region_results.c
        q = select(c.code, c.name, c.data).where(c.level == level).order_by(c.code)
        if parent:
            q = q.where(c.code.startswith(parent, autoescape=True))
        with self.read() as conn:
            return sorted((str(a), str(b), str(d)) for a, b, d in conn.execute(q))

    def all_region_results(self, conn: Connection) -> list[tuple[int, str, str, str]]:
        """(level, code, name, packed tally) of every region: national first, then each
        level by code (the bundle's order)."""
        c = s.region_results.c
        q = select(c.level, c.code, c.name, c.data).order_by(c.level, c.code)
        return sorted((int(lv), str(a), str(b), str(d)) for lv, a, b, d in conn.execute(q))

    # ----------------------------------------------------------------- findings

    def findings(
        self,
        conn: Connection,
        code: str | None = None,
        severity: str | None = None,
        limit: int = 1000,
    ) -> list[tuple[int | None, Finding]]:
        q = select(s.findings).order_by(s.findings.c.id).limit(limit)
        if code:
            q = q.where(s.findings.c.code == code)
        if severity:
            q = q.where(s.findings.c.severity == severity)
        return [(None if r.seq is None else int(r.seq), finding_from(r)) for r in conn.execute(q)]

    def finding_counts(self, conn: Connection) -> dict[tuple[str, str], int]:
        c = s.findings.c
        rows = conn.execute(select(c.code, c.severity, func.count()).group_by(c.code, c.severity))
        return {(str(a), str(b)): int(n) for a, b, n in rows}


def _table_id(result: TableResult) -> str:
    return result.table_id
