"""Tables and regions as the bundle publishes them: ``tables.*`` and ``results.*`` rows. Pure.

Each table result becomes one element of ``tables.json`` and one row of
``tables.csv`` / ``tables.parquet``; each region (a ``tally_to_json`` object) one
row of ``results.csv`` / ``results.parquet``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from actas.core.bundle.canonical import Row
from actas.core.bundle.counts import COUNT_FIELDS, counts_to_json
from actas.core.model import Counts, Election
from actas.core.results.arrays import TableArrays
from actas.core.results.reconcile import Status, TableResult

__all__ = [
    "counted_votes",
    "region_columns",
    "region_row",
    "table_arrays",
    "table_column_values",
    "table_columns",
    "table_json",
    "table_row",
]


def counted_votes(
    election: Election, results: Iterable[TableResult]
) -> Callable[[str], Mapping[str, int] | None]:
    """Table id -> votes per candidate id of each counted table (None otherwise): what a
    quick count's estimate in ``audits.json`` is computed from, by export and verify."""
    ids = [c.id for c in election.candidates]
    by_id: dict[str, Counts] = {
        r.table_id: r.counts for r in results if r.status.counted and r.counts is not None
    }

    def votes_of(table_id: str) -> Mapping[str, int] | None:
        counts = by_id.get(table_id)
        return None if counts is None else dict(zip(ids, counts.votes, strict=True))

    return votes_of


def table_json(election: Election, r: TableResult) -> dict[str, Any]:
    """One element of ``tables.json``."""
    c = r.counts
    return {
        "table_id": r.table_id,
        "status": str(r.status),
        "counts": None if c is None else counts_to_json(election, c),
        "valid": None if c is None else c.valid,
        "agreeing": r.agreeing,
        "channels": list(r.channels),
        "seqs": list(r.seqs),
        "differing": list(r.differing),
    }


def table_columns(election: Election) -> list[str]:
    head = ["table_id", "status", "agreeing", "channels", "seqs", "differing", "valid"]
    return head + list(COUNT_FIELDS) + [f"votes_{c.id}" for c in election.candidates]


def table_row(election: Election, r: TableResult) -> Row:
    """One row of ``tables.csv`` / ``tables.parquet``; lists are joined with ``;``."""
    c = r.counts
    row: Row = {
        "table_id": r.table_id,
        "status": str(r.status),
        "agreeing": r.agreeing,
        "channels": ";".join(r.channels),
        "seqs": ";".join(map(str, r.seqs)),
        "differing": ";".join(r.differing),
        "valid": None if c is None else c.valid,
    }
    for name in COUNT_FIELDS:
        row[name] = None if c is None else getattr(c, name)
    for i, cand in enumerate(election.candidates):
        row[f"votes_{cand.id}"] = None if c is None else c.votes[i]
    return row


def table_column_values(election: Election, results: Sequence[TableResult]) -> dict[str, list[Any]]:
    """:func:`table_row` of every result, by column (``table_columns`` order), without a
    dict per row: what the verifier renders ``tables.csv`` from and compares the
    Parquet copy with."""
    counts = [r.counts for r in results]
    out: dict[str, list[Any]] = {
        "table_id": [r.table_id for r in results],
        "status": [r.status.value for r in results],
        "agreeing": [r.agreeing for r in results],
        "channels": [";".join(r.channels) for r in results],
        "seqs": [";".join(map(str, r.seqs)) for r in results],
        "differing": [";".join(r.differing) for r in results],
        "valid": [None if c is None else sum(c.votes) for c in counts],
    }
    for name in COUNT_FIELDS:
        get = operator.attrgetter(name)
        out[name] = [None if c is None else get(c) for c in counts]
    for i, cand in enumerate(election.candidates):
        out[f"votes_{cand.id}"] = [None if c is None else c.votes[i] for c in counts]
    return out


def table_arrays(results: Sequence[TableResult], n_candidates: int) -> TableArrays:
    """Table results as the arrays :func:`actas.core.results.tally.tally_all` sums, sorted by table id.

    The same arrays the store keeps: a conflict is not counted and has zeros;
    an unknown ``registered`` or ``null`` is -1.
    """
    rs = sorted(results, key=lambda r: r.table_id)
    n = len(rs)
    counted = np.fromiter((r.status is not Status.CONFLICT for r in rs), np.bool_, n)
    registered = np.fromiter(
        (
            -1 if r.counts is None or r.counts.registered is None else r.counts.registered
            for r in rs
        ),
        np.int64,
        n,
    )
    null = np.fromiter(
        (-1 if r.counts is None or r.counts.null is None else r.counts.null for r in rs),
        np.int64,
        n,
    )
    zeros = (0,) * n_candidates
    flat = [v for r in rs for v in (zeros if r.counts is None else r.counts.votes)]
    votes = np.array(flat, dtype=np.int64).reshape(n, n_candidates)
    return TableArrays([r.table_id for r in rs], counted, registered, null, votes)


def region_columns(election: Election) -> list[str]:
    return [
        "level",
        "code",
        "name",
        "tables_counted",
        "tables_reported",
        "tables_conflict",
        "tables_expected",
        "tables_coverage",
        "registered_covered",
        "registered_tables_known",
        "registered_expected",
        "registered_coverage",
        "turnout",
        "valid",
        "null",
    ] + [f"votes_{c.id}" for c in election.candidates]


def region_row(election: Election, data: Mapping[str, Any]) -> Row:
    """One row of ``results.csv`` / ``results.parquet`` from a ``tally_to_json`` object."""
    tables, reg = data["tables"], data["registered"]
    row: Row = {
        "level": data["level"],
        "code": data["code"],
        "name": data["name"],
        "tables_counted": tables["counted"],
        "tables_reported": tables["reported"],
        "tables_conflict": tables["conflict"],
        "tables_expected": tables["expected"],
        "tables_coverage": tables["coverage"],
        "registered_covered": reg["covered"],
        "registered_tables_known": reg["tables_known"],
        "registered_expected": reg["expected"],
        "registered_coverage": reg["coverage"],
        "turnout": data["turnout"],
        "valid": data["valid"],
        "null": data["null"],
    }
    votes = {c["id"]: c["votes"] for c in data["candidates"]}
    for cand in election.candidates:
        row[f"votes_{cand.id}"] = votes.get(cand.id)
    return row
