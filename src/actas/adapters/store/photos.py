"""The photos table and the receipts of queued uploads: what was read from each photo.

A photo itself is a blob and its submission a leaf; its row here says what was read
(size, format, decoding stage, a private capture summary) and holds its 64-bit
perceptual hash, stored signed (a BIGINT) and looked up through five band indexes
(:data:`actas.adapters.store.schema.PHASH_BANDS`). Callers pass and get unsigned
hashes; the sign is this module's business. Every function works inside the caller's
``store.read()`` / ``store.write()`` connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from actas.adapters.store import schema
from actas.adapters.store.people_schema import photo_tasks
from actas.core.errors import NotFound
from actas.core.model import Finding, SubmissionKind

__all__ = [
    "Connection",
    "PhotoRecord",
    "add_findings",
    "add_photos",
    "find_receipt",
    "logged_photos",
    "look_alikes",
    "public_sha256",
    "same_payload",
    "set_public_sha256",
    "waiting_tasks",
]

# ``Connection`` is re-exported: the type of what ``store.read()``/``write()`` yield,
# for the app's signatures (the app never imports SQLAlchemy itself).


@dataclass(frozen=True, slots=True)
class PhotoRecord:
    """One row of the photos table, written with the photo's leaf."""

    sha256: str
    seq: int
    table_id: str | None
    phash: int | None  # unsigned 64-bit perceptual hash
    width: int = 0
    height: int = 0
    format: str = ""
    stage: str = ""
    decode_ms: int = 0
    capture: Mapping[str, Any] = field(default_factory=dict)  # private EXIF summary


def _signed(v: int | None) -> int | None:
    if v is None:
        return None
    return v - (1 << 64) if v >= 1 << 63 else v


def _unsigned(v: int) -> int:
    return v + (1 << 64) if v < 0 else v


def add_photos(conn: Connection, records: Sequence[PhotoRecord]) -> None:
    """Insert the rows of newly logged photos (inside the transaction of their leaves)."""
    if not records:
        return
    rows = [
        {
            "sha256": r.sha256,
            "seq": r.seq,
            "table_id": r.table_id,
            "phash": _signed(r.phash),
            "width": r.width,
            "height": r.height,
            "format": r.format,
            "stage": r.stage,
            "decode_ms": r.decode_ms,
            "public_sha256": None,
            "capture": json.dumps(dict(r.capture), sort_keys=True, default=str),
            "ocr": None,
        }
        for r in records
    ]
    conn.execute(insert(schema.photos), rows)


def add_findings(conn: Connection, findings: Sequence[tuple[int, Finding]]) -> None:
    """Insert findings about logged leaves, each ``(seq, finding)``, after the fact
    (a look-alike photo found for another table)."""
    if not findings:
        return
    rows = [
        {
            "seq": seq,
            "table_id": f.table_id,
            "code": f.code,
            "severity": str(f.severity),
            "message": f.message,
            "fields": ",".join(f.fields),
        }
        for seq, f in findings
    ]
    conn.execute(insert(schema.findings), rows)


def look_alikes(conn: Connection, phashes: Iterable[int]) -> list[tuple[str, int, str]]:
    """``(table_id, phash, sha256)`` of the photos with a table whose perceptual hash
    shares a band with one of ``phashes`` — every photo within 4 bits of one of them,
    and others: the caller measures the distance.

    Pigeonhole: 5 bands and at most 4 bits differ, so the candidates are found through
    the band indexes instead of reading every photo."""
    signed = [v for v in (_signed(p) for p in phashes) if v is not None]
    if not signed:
        return []
    c = schema.photos.c
    near = or_(
        *(
            schema.phash_band(c.phash, band).in_(sorted({(v >> shift) & mask for v in signed}))
            for band, (shift, mask) in enumerate(schema.PHASH_BANDS)
        )
    )
    return [
        (str(table_id), _unsigned(int(ph)), str(sha))
        for table_id, ph, sha in conn.execute(
            select(c.table_id, c.phash, c.sha256).where(near, c.table_id.is_not(None))
        )
    ]


def same_payload(
    conn: Connection, tables: Iterable[str]
) -> dict[tuple[str, bytes], list[tuple[str, int]]]:
    """``(table_id, payload) -> [(sha256, seq), ...]`` of the photos of ``tables`` whose
    QR gave a payload (their submission's raw bytes), oldest first."""
    wanted = sorted(set(tables))
    if not wanted:
        return {}
    p, s = schema.photos.c, schema.submissions.c
    q = (
        select(p.table_id, s.raw, p.sha256, p.seq)
        .join(schema.submissions, s.seq == p.seq)
        .where(p.table_id.in_(wanted), s.counts.is_not(None))
        .order_by(p.seq)
    )
    out: dict[tuple[str, bytes], list[tuple[str, int]]] = {}
    for table_id, raw, sha, seq in conn.execute(q):
        out.setdefault((str(table_id), bytes(raw)), []).append((str(sha), int(seq)))
    return out


def logged_photos(conn: Connection) -> frozenset[str]:
    """SHA-256 of every photo with a row (written in the same transaction as its leaf)."""
    return frozenset(conn.execute(select(schema.photos.c.sha256)).scalars())


def public_sha256(conn: Connection, sha256: str) -> str | None:
    """The blob name of the photo's public derivative, None if not made yet; NotFound
    for a photo without a row."""
    c = schema.photos.c
    row = conn.execute(select(c.public_sha256).where(c.sha256 == sha256)).first()
    if row is None:
        raise NotFound(f"no photo {sha256}")
    return str(row[0]) if row[0] else None


def set_public_sha256(conn: Connection, sha256: str, public: str) -> None:
    c = schema.photos.c
    conn.execute(update(schema.photos).where(c.sha256 == sha256).values(public_sha256=public))


def find_receipt(conn: Connection, sha256: str, claimed_table: str | None) -> int | None:
    """The leaf index of an upload's receipt already logged for this photo, among the
    receipts of the claimed table (or of uploads that claimed none), if any."""
    c = schema.submissions.c
    where = c.table_id == claimed_table if claimed_table else c.table_id.is_(None)
    q = (
        select(c.seq, c.raw)
        .where(where, c.kind == str(SubmissionKind.EVENT), c.channel == "photo")
        .order_by(c.seq)
    )
    needle = f'"photo":"{sha256}"'.encode("ascii")
    for seq, raw in conn.execute(q):
        if needle in bytes(raw):
            return int(seq)
    return None


def waiting_tasks(conn: Connection, states: Sequence[str]) -> tuple[int, str | None]:
    """How many photos' transcription tasks are in ``states``, and the receipt time of
    the oldest such photo's leaf."""
    sub = schema.submissions.c
    n, oldest = conn.execute(
        select(func.count(), func.min(sub.received_at))
        .select_from(photo_tasks.outerjoin(schema.submissions, sub.seq == photo_tasks.c.photo_seq))
        .where(photo_tasks.c.state.in_(states))
    ).one()
    return int(n), (str(oldest) if oldest is not None else None)
