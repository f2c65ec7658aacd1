"""How the store's values become column values and back: counts as canonical JSON,
votes packed for numpy, findings, logged submissions, table results, searchable names."""

from __future__ import annotations

import json
import struct
import unicodedata
from collections.abc import Sequence
from typing import Any

from actas.core.log.entry import LoggedSubmission
from actas.core.model import Counts, Finding, Severity, TableId
from actas.core.results.reconcile import Status, TableResult

__all__ = [
    "counts_from",
    "counts_json",
    "finding_from",
    "fold_name",
    "logged_from",
    "pack_votes",
    "result_from",
]


def fold_name(name: str) -> str:
    """Lower-case, accent-free form of a name for searching (``PEÑA`` -> ``pena``)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def counts_json(c: Counts | None) -> str | None:
    return None if c is None else c.canonical_json()


def counts_from(text_: str | None) -> Counts | None:
    return None if text_ is None else Counts.from_json(json.loads(text_))


def pack_votes(votes: Sequence[int]) -> bytes:
    """Per-candidate votes as little-endian int64s: read back in bulk by numpy."""
    return struct.pack(f"<{len(votes)}q", *votes)


def finding_from(row: Any) -> Finding:
    """A finding from a row with ``code``, ``severity``, ``message``, ``table_id``, ``fields``."""
    fields = tuple(f for f in (row.fields or "").split(",") if f)
    return Finding(row.code, Severity(row.severity), row.message, row.table_id, fields)


def logged_from(r: Any, fs: Sequence[Finding]) -> LoggedSubmission:
    """A logged submission from a ``submissions`` row and its findings."""
    return LoggedSubmission(
        seq=int(r.seq),
        kind=str(r.kind),
        channel=str(r.channel),
        table_id=r.table_id,
        received_at=str(r.received_at),
        blob_sha256=str(r.blob_sha256),
        actor=str(r.actor),
        counts=counts_from(r.counts),
        leaf=bytes(r.leaf),
        raw=bytes(r.raw),
        findings=tuple(fs),
    )


def result_from(r: Any) -> TableResult:
    """A table result from a ``table_results`` row."""
    return TableResult(
        table_id=TableId(r.table_id),
        status=Status(r.status),
        counts=counts_from(r.counts),
        seqs=tuple(int(x) for x in r.seqs.split(",") if x),
        agreeing=int(r.agreeing),
        channels=tuple(x for x in r.channels.split(",") if x),
        differing=tuple(x for x in r.differing.split(",") if x),
    )
