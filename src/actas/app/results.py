"""The results: each table's (reconciled from its submissions), each region's (tallied
from the tables), and what the portal and the CLI read of them.

    reconcile_tables(ctx, conn, tables)  # after submissions of those tables were logged
    retally(ctx)                         # then every region, from scratch
    results(ctx, level=0)                # the regions of the first level, as JSON
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from actas.app.context import Context
from actas.core.errors import InputError, NotFound
from actas.core.model import TableId
from actas.core.results.reconcile import Status, TableResult, Version, reconcile
from actas.core.results.tableview import Checkpoint, table_json
from actas.core.results.tally import fill_registered, tally_packed, tally_to_json, unpack

__all__ = [
    "children",
    "conflicts",
    "findings",
    "level_index",
    "rebuild_results",
    "reconcile_tables",
    "results",
    "retally",
    "table",
]


# ----------------------------------------------------------------- recomputing


def reconcile_tables(
    ctx: Context, conn: Any, tables: Iterable[str], fresh: dict[str, list[Version]] | None = None
) -> None:
    """Recompute the results of ``tables`` inside the write transaction ``conn``.
    ``fresh`` holds versions just appended: tables seen for the first time need no
    read-back."""
    store = ctx.store
    tables = sorted(tables)
    new: frozenset[str] = frozenset()
    if fresh is None:
        versions = store.versions(tables, conn)
    else:
        seen = store.tables_with_results(tables, conn)
        versions = {t: v for t, v in fresh.items() if t not in seen}
        versions.update(store.versions(sorted(seen), conn))
        new = frozenset(t for t in tables if t not in seen)
    results: list[TableResult] = []
    removed = []
    for t in tables:
        r = reconcile(TableId(t), versions.get(t, []))
        if r is None:
            removed.append(t)
        else:
            results.append(r)
    store.put_table_results(conn, results, removed, new)


def rebuild_results(ctx: Context) -> int:
    """Recompute every table's result from the submissions (e.g. after a crash)."""
    store = ctx.store
    with store.write() as conn:
        tables = store.all_table_ids(conn)
        store.put_table_results(conn, [], [r.table_id for r in store.table_results(conn)])
        reconcile_tables(ctx, conn, tables)
    retally(ctx)
    return len(tables)


def retally(ctx: Context) -> None:
    """Recompute every region's results from the table results (from scratch:
    no Python work per table, see :mod:`actas.core.results.tally`)."""
    store, election = ctx.store, ctx.election
    k = len(election.candidates)
    with store.read() as conn:  # one snapshot
        arrays = store.table_arrays(k, conn)
        registry = store.registry_arrays(conn)
        names = store.region_names(conn)
    # registered voters from the registry where the actas do not say
    arrays = fill_registered(arrays, registry)
    rows = [
        (code, level, names.get(code, ""), data)
        for code, level, data in tally_packed(election, arrays, registry)
    ]
    with store.write() as conn:
        store.put_region_results(conn, rows)


# ----------------------------------------------------------------- reading


def results(
    ctx: Context, level: str | int | None = None, region: str | None = None
) -> list[dict[str, Any]]:
    """Results of one region (``region``), or of every region at a level."""
    if region is not None or level_index(ctx, level) < 0:
        code = "" if region in (None, "", "national") else str(region)
        found = ctx.store.region_result(code)
        if found is None:
            raise NotFound(f"no results for region {code[:40]!r}")
        return [tally_to_json(ctx.election, unpack(code, found[1]), {code: found[0]})]
    rows = ctx.store.region_results(level_index(ctx, level))
    return [tally_to_json(ctx.election, unpack(c, d), {c: n}) for c, n, d in rows]


def children(ctx: Context, code: str) -> list[dict[str, Any]]:
    """Results of the regions directly below ``code`` ("" = the nation)."""
    election = ctx.election
    level = -1 if code == "" else election.scheme.level_of(code)
    if level + 1 >= len(election.levels):
        return []
    rows = ctx.store.region_results(level + 1, code or None)
    return [tally_to_json(election, unpack(c, d), {c: n}) for c, n, d in rows]


def level_index(ctx: Context, level: str | int | None) -> int:
    """The index of a level (its id or number); -1 for the nation."""
    if level is None or level in ("national", "nation", -1):
        return -1
    ids = [lv.id for lv in ctx.election.levels]
    if isinstance(level, int) or (isinstance(level, str) and level.isdigit()):
        i = int(level)
        if 0 <= i < len(ids):
            return i
    elif level in ids:
        return ids.index(level)
    raise InputError(f"unknown level {level!r}; levels: national, {', '.join(ids)}")


def table(ctx: Context, table_id: str) -> dict[str, Any]:
    """Everything about one table: result, submissions, findings, leaves and their
    inclusion proofs in the latest checkpoint (:mod:`actas.core.results.tableview`)."""
    store, election = ctx.store, ctx.election
    try:
        election.scheme.split(table_id)
    except ValueError as exc:
        raise InputError(f"malformed table id: {exc}") from None
    latest = store.checkpoint()
    cp = None
    if latest is not None:
        cp = Checkpoint(*latest, store.get_meta("verifier_key") or "")
    with store.read() as conn:
        result = store.table_result(table_id, conn)
        subs = store.submissions_of(table_id, conn)
        if result is None and not subs:
            raise NotFound(f"no submission for table {table_id}")
        names = store.region_names(conn, election.scheme.region_codes(table_id))
        return table_json(election, table_id, result, subs, names, cp, store.node_reader(conn))


def conflicts(ctx: Context) -> list[dict[str, Any]]:
    """The tables whose submissions disagree, with the counts of each version."""
    store = ctx.store
    with store.read() as conn:
        found = store.table_results(conn, status=str(Status.CONFLICT))
        out = []
        for r in found:
            subs = store.submissions_of(r.table_id, conn)
            out.append(
                {
                    "table_id": r.table_id,
                    "differing": list(r.differing),
                    "versions": [
                        {
                            "seq": s.seq,
                            "channel": s.channel,
                            "counts": s.counts.to_json() if s.counts else None,
                            "findings": [f.code for f in s.findings],
                        }
                        for s in subs
                        if s.counts is not None
                    ],
                }
            )
    return out


def findings(
    ctx: Context, code: str | None = None, severity: str | None = None, limit: int = 1000
) -> dict[str, Any]:
    """How many findings of each code and severity, and the findings themselves."""
    with ctx.store.read() as conn:
        counts = ctx.store.finding_counts(conn)
        items = ctx.store.findings(conn, code, severity, limit)
    return {
        "summary": [{"code": c, "severity": s, "count": n} for (c, s), n in sorted(counts.items())],
        "findings": [{"seq": seq, **f.to_json()} for seq, f in items],
    }
