"""Portal-only reads over a context's store and election (:mod:`actas.app.context`).

Each page is built from a handful of queries: a table page reads its result,
its submissions (with findings), the names of its four regions and the proof
nodes, never the whole name list. :class:`Bulk` reads everything once
(see ``bulk``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from actas.adapters.store import fold_name, portal
from actas.app import results
from actas.app.context import Context
from actas.app.photos.uploads import pending as pending_uploads
from actas.core.errors import InputError, NotFound
from actas.core.model import Election
from actas.core.results.reconcile import TableResult
from actas.core.results.tableview import Checkpoint, table_json

__all__ = [
    "Checkpoint",
    "Snapshot",
    "children",
    "claims",
    "crumbs",
    "region",
    "region_result",
    "search",
    "snapshot",
    "table",
    "table_json",
    "table_rows",
    "valid_region",
    "valid_table_id",
]

MAX_QUERY = 100
SEARCH_LIMIT = 50
# Characters region and centre names use (checked on the real data); anything else
# in a query (<, >, ;, =, %, *, backslash, ...) is refused before it reaches SQL.
_QUERY_OK = re.compile(r"[\w\s.,\-()/'\"#°º:]+")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the data looks like now: the validators of every cached response."""

    size: int
    last_received: str
    checkpoint: Checkpoint | None

    @property
    def key(self) -> tuple[int, int, str]:
        # the note too: witnesses' cosignatures are added to a checkpoint of the same size
        cp = self.checkpoint
        return (
            self.size,
            cp.size if cp else -1,
            hashlib.sha256(cp.note.encode()).hexdigest()[:16] if cp else "",
        )

    @property
    def modified(self) -> str:
        times = [self.last_received, self.checkpoint.created_at if self.checkpoint else ""]
        return max(times)


def snapshot(ctx: Context) -> Snapshot:
    store = ctx.store
    last = portal.latest_submission(store)
    latest = store.checkpoint()
    cp = None
    if latest is not None:
        key = store.get_meta("verifier_key") or ""
        cp = Checkpoint(latest[0], latest[1], latest[2], latest[3], key)
    if last is None:
        return Snapshot(0, "", cp)
    return Snapshot(last[0] + 1, last[1], cp)


# --------------------------------------------------------------------------- validation


def valid_table_id(election: Election, table_id: str) -> str:
    if len(table_id) > MAX_QUERY:
        raise InputError("table id is too long")
    try:
        election.scheme.split(table_id)
    except ValueError:
        raise InputError("malformed table id: it does not fit this election's scheme") from None
    return table_id


def valid_region(election: Election, code: str) -> int:
    """The level index of a region code, or InputError."""
    if len(code) > MAX_QUERY:
        raise InputError("region code is too long")
    try:
        return election.scheme.level_of(code)
    except ValueError:
        raise InputError("malformed region code") from None


# --------------------------------------------------------------------------- names


def _ancestors(election: Election, code: str) -> list[str]:
    out = []
    scheme = election.scheme
    cur: str | None = code
    while cur:
        out.append(cur)
        cur = scheme.parent_of(cur)
    return out[::-1]


def crumbs(election: Election, code: str, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """``[{level, code, name}]`` from the top level down to ``code``."""
    return [
        {
            "level": election.levels[i].id,
            "code": c,
            "name": names.get(c, ""),
        }
        for i, c in enumerate(_ancestors(election, code))
    ]


# --------------------------------------------------------------------------- tables


def table(ctx: Context, table_id: str, cp: Checkpoint | None) -> dict[str, Any]:
    valid_table_id(ctx.election, table_id)
    store = ctx.store
    with store.read() as conn:
        result = store.table_result(table_id, conn)
        subs = store.submissions_of(table_id, conn)
        # a table of the registry has a page before anything arrives (state "pending")
        if result is None and not subs and not portal.in_registry(conn, table_id):
            raise NotFound("no submission for this table")
        names = store.region_names(conn, ctx.election.scheme.region_codes(table_id))
        waiting = pending_uploads(store, conn, subs)
        return table_json(
            ctx.election, table_id, result, subs, names, cp, store.node_reader(conn), waiting
        )


# --------------------------------------------------------------------------- regions


# a table result's status -> the state its page shows (core/results/tablestate.py)
STATE_OF_STATUS = {"single": "read", "consensus": "confirmed", "resolved": "confirmed"}


def table_rows(
    election: Election,
    results: Sequence[TableResult],
    listed: Sequence[str] = (),
    named: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """One row per table: those with a result, then (in id order with them) the tables
    the registry lists (``listed``) or a submission names (``named``) that have none
    yet, as ``pending`` or ``received``, so a centre's list holds every table."""
    out = []
    for r in results:
        c = r.counts
        status = str(r.status)
        out.append(
            {
                "table_id": r.table_id,
                "status": status,
                "state": STATE_OF_STATUS.get(status, "conflict"),
                "valid": c.valid if c else None,
                "null": c.null if c else None,
                "registered": c.registered if c else None,
                "votes": list(c.votes) if c else None,
            }
        )
    have = {r.table_id for r in results}
    received = set(named) - have
    for tid in sorted((set(listed) | received) - have):
        state = "received" if tid in received else "pending"
        empty = {"valid": None, "null": None, "registered": None, "votes": None}
        out.append({"table_id": tid, "status": None, "state": state, **empty})
    if received or set(listed) - have:
        out.sort(key=lambda row: str(row["table_id"]))
    return out


def region(ctx: Context, code: str) -> dict[str, Any]:
    """A region's results, its breadcrumbs, its children and (at the last level) its tables."""
    level = valid_region(ctx.election, code)
    result = region_result(ctx, code)
    store = ctx.store
    election = ctx.election
    with store.read() as conn:
        names = store.region_names(conn, _ancestors(election, code))
        tables = None
        if level == len(election.levels) - 1:
            prefix = code + election.scheme.table_separator
            found = store.table_results(conn, prefix=prefix)
            listed, named = portal.tables_under(conn, prefix)
            tables = table_rows(election, found, listed, named)
    return {
        "region": result,
        "crumbs": crumbs(election, code, names),
        "child_level": election.levels[level + 1].id if level + 1 < len(election.levels) else None,
        "children": results.children(ctx, code),
        "tables": tables,
    }


def children(ctx: Context, code: str) -> list[dict[str, Any]]:
    if code:
        valid_region(ctx.election, code)
        region_result(ctx, code)
    return results.children(ctx, code)


def region_result(ctx: Context, code: str) -> dict[str, Any]:
    """One region's results ("" = the nation); NotFound without a message echoing input."""
    try:
        return results.results(ctx, region=code)[0]
    except NotFound:
        raise NotFound("no results for this region") from None


def claims(ctx: Context, national: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Official national claims beside the collected actas.

    Reads the logged claims files (``analysis.stored_claims``): each
    ``{"name", "seq", "claims": {"claims": [claim, ...]}}`` with claims as in
    ``docs/claims.md``. Regional claims are left to the analysis pages.
    """
    if not national:
        return []
    from actas.app.analysis import stored_claims  # numpy and scipy: not at the portal's start

    collected = {c["id"]: int(c["votes"]) for c in national.get("candidates", [])}
    out = []
    for f in stored_claims(ctx) or []:
        body = f.get("claims") if isinstance(f, Mapping) else None
        items = body.get("claims") if isinstance(body, Mapping) else body
        for c in items if isinstance(items, list) else []:
            if (
                not isinstance(c, Mapping)
                or c.get("region")
                or not isinstance(c.get("votes"), Mapping)
            ):
                continue
            votes = {str(k): v for k, v in c["votes"].items() if isinstance(v, int)}
            rows = [
                {
                    "id": cid,
                    "official": votes[cid],
                    "collected": collected.get(cid),
                    "gap": votes[cid] - collected.get(cid, 0),
                    "contradiction": votes[cid] < collected.get(cid, 0),
                }
                for cid in collected
                if cid in votes
            ]
            others = c.get("others")
            n_others = others.get("votes") if isinstance(others, Mapping) else others
            if isinstance(n_others, int):
                rest = sum(v for cid, v in collected.items() if cid not in votes)
                rows.append(
                    {
                        "id": "others",
                        "official": n_others,
                        "collected": rest,
                        "gap": n_others - rest,
                        "contradiction": n_others < rest,
                    }
                )
            out.append(
                {
                    "authority": str(c.get("authority", "")),
                    "date": str(c.get("date", "")),
                    "label": str(c.get("label", "")),
                    "scope": str(c.get("scope", "")),
                    "file": str(f.get("name", "")),
                    "seq": f.get("seq"),
                    "rows": rows,
                }
            )
    return out


# --------------------------------------------------------------------------- search


def check_query(q: str) -> str:
    q = q.strip()
    if len(q) > MAX_QUERY:
        raise InputError(f"the query is longer than {MAX_QUERY} characters")
    if q and (not _QUERY_OK.fullmatch(q) or ".." in q):
        raise InputError("the query has characters that names and codes never contain")
    return q


def search(ctx: Context, q: str, limit: int = SEARCH_LIMIT) -> dict[str, Any]:
    """Find tables by id, regions and centres by code or (accent-free) name."""
    q = check_query(q)
    election = ctx.election
    scheme = election.scheme
    hits: list[dict[str, Any]] = []
    if not q:
        return {"query": q, "results": hits}
    store = ctx.store
    with store.read() as conn:
        for tid in _table_candidates(election, q):
            if portal.has_submissions(conn, tid):
                hits.append({"kind": "table", "table_id": tid, "code": tid})
        found_codes = portal.existing_regions(conn, _code_candidates(election, q))
        by_name: list[tuple[str, int, str]] = []
    folded = fold_name(q)
    if len(folded) >= 2 and not folded.isdigit():
        by_name = store.search_regions(folded, limit)
    seen: set[str] = set()
    region_hits = []
    for code in sorted(found_codes, key=len):
        seen.add(code)
        region_hits.append((code, scheme.level_of(code)))
    for code, level, _ in by_name:
        if code not in seen:
            seen.add(code)
            region_hits.append((code, level))
    with store.read() as conn:
        wanted = sorted({a for code, _ in region_hits for a in _ancestors(election, code)})
        names = store.region_names(conn, wanted)
    for code, level in region_hits[:limit]:
        hits.append(
            {
                "kind": "region",
                "code": code,
                "level": election.levels[level].id,
                "name": names.get(code, ""),
                "within": [names.get(a, a) for a in _ancestors(election, code)[:-1]],
            }
        )
    return {"query": q, "results": hits[:limit]}


def _table_candidates(election: Election, q: str) -> list[str]:
    scheme = election.scheme
    sep = scheme.table_separator
    if sep not in q:
        return []
    out = []
    head, _, tail = q.rpartition(sep)
    width = sum(lv.width for lv in election.levels)
    for cand in (q, f"{head.zfill(width)}{sep}{tail.zfill(scheme.table_width)}"):
        try:
            scheme.split(cand)
        except ValueError:
            continue
        if cand not in out:
            out.append(cand)
    return out


def _code_candidates(election: Election, q: str) -> list[str]:
    if not q.isdigit():
        return []
    out = {q}
    total = 0
    for lv in election.levels:
        total += lv.width
        if total and len(q) < total:
            out.add(q.zfill(total))
    return sorted(out)
