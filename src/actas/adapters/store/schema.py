"""SQLAlchemy Core tables. Portable SQL: the same schema on SQLite and PostgreSQL.

The migration history lives in ``migrations/``; revision 0001 creates this
schema, later revisions alter it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    literal,
)

__all__ = [
    "PHASH_BANDS",
    "checkpoints",
    "findings",
    "job_errors",
    "meta",
    "metadata",
    "nodes",
    "phash_band",
    "photos",
    "region_results",
    "regions",
    "registry",
    "sources",
    "submissions",
    "table_results",
]

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

regions = Table(
    "regions",
    metadata,
    Column("code", String(128), primary_key=True),
    Column("level", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("search", Text, nullable=False),  # accent-free lower-case name for search
)

registry = Table(
    "registry",
    metadata,
    Column("table_id", String(128), primary_key=True),
    Column("registered", BigInteger, nullable=True),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("loaded", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
)

# One row per log leaf: seq is the leaf index, 0-based and gap-free.
submissions = Table(
    "submissions",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("identity", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("table_id", String(128), nullable=True),
    Column("received_at", String(40), nullable=False),
    Column("blob_sha256", String(64), nullable=False, default=""),
    Column("actor", String(64), nullable=False, default=""),
    Column("counts", Text, nullable=True),  # canonical JSON of Counts, when readable
    Column("n_errors", Integer, nullable=False, default=0),
    Column("leaf", LargeBinary, nullable=False),  # the exact leaf bytes
    Column("raw", LargeBinary, nullable=False),  # the exact raw bytes
    Index("ix_submissions_table", "table_id"),
    Index("ix_submissions_blob", "blob_sha256"),
)

findings = Table(
    "findings",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("seq", BigInteger, nullable=True),
    Column("table_id", String(128), nullable=True),
    Column("code", String(64), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("message", Text, nullable=False),
    Column("fields", Text, nullable=False, default=""),
    Index("ix_findings_seq", "seq"),
    Index("ix_findings_table", "table_id"),
    Index("ix_findings_code", "code"),
)

# Perfect Merkle subtree hashes: (level, idx) covers leaves [idx*2^level, (idx+1)*2^level).
nodes = Table(
    "nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

# Derived: the reconciled result of each table (recomputable from submissions).
table_results = Table(
    "table_results",
    metadata,
    Column("table_id", String(128), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("registered", BigInteger, nullable=False),  # -1 unknown
    Column("null_votes", BigInteger, nullable=False),  # -1 unknown
    # per-candidate votes as little-endian int64s (see sql.pack_votes); empty for conflicts
    Column("votes", LargeBinary, nullable=False),
    Column("counts", Text, nullable=True),
    Column("seqs", Text, nullable=False),
    Column("agreeing", Integer, nullable=False),
    Column("channels", Text, nullable=False),
    Column("differing", Text, nullable=False),
    Index("ix_table_results_status", "status"),
)

# Derived: the tally of every region (recomputed after each change).
region_results = Table(
    "region_results",
    metadata,
    Column("code", String(128), primary_key=True),
    Column("level", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("data", Text, nullable=False),  # tally.pack() of the region
    Index("ix_region_results_level", "level", "code"),
)

# What was read from each photo (derived; the photo itself is a blob, its receipt a leaf).
photos = Table(
    "photos",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("table_id", String(128), nullable=True),  # from the payload, else the claimed table
    Column("phash", BigInteger, nullable=True),  # 64-bit perceptual hash (signed)
    Column("width", Integer, nullable=False, default=0),
    Column("height", Integer, nullable=False, default=0),
    Column("format", String(16), nullable=False, default=""),
    Column("stage", String(16), nullable=False, default=""),  # decoding stage that read it
    Column("decode_ms", Integer, nullable=False, default=0),
    Column("public_sha256", String(64), nullable=True),  # metadata-free derivative blob
    Column("capture", Text, nullable=False, default="{}"),  # private EXIF summary (JSON)
    Column("ocr", Text, nullable=True),  # an OCR reading held for confirmation (JSON)
    Index("ix_photos_table", "table_id"),
    Index("ix_photos_phash", "phash"),
)

# Near-duplicate pictures (perceptual hashes within 4 bits of 64) share at least one
# of five bands exactly (pigeonhole), so each band has an expression index and a
# lookup reads a few rows instead of every photo. (shift, mask) of each band:
PHASH_BANDS = ((0, 0x1FFF), (13, 0x1FFF), (26, 0x1FFF), (39, 0x1FFF), (52, 0xFFF))


def phash_band(phash: Any, band: int) -> ColumnElement[Any]:
    """``(phash >> shift) & mask`` with the constants inlined, as the band's index has
    them (a planner matches an index expression only against the same constants)."""
    shift, mask = PHASH_BANDS[band]
    expr = phash.op(">>")(literal(shift, BigInteger, literal_execute=True))
    return expr.op("&")(literal(mask, BigInteger, literal_execute=True))  # type: ignore[no-any-return]


for _band in range(len(PHASH_BANDS)):
    Index(f"ix_photos_phash_band{_band}", phash_band(photos.c.phash, _band))

# The error of every failed attempt of a queued job (actas.app.photos.queue): a job that fails for
# good stays in procrastinate's ``failed`` state (the dead letters) and its errors are here.
job_errors = Table(
    "job_errors",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("job_id", BigInteger, nullable=False),
    Column("task", String(128), nullable=False),
    Column("args", Text, nullable=False),  # JSON
    Column("attempt", Integer, nullable=False),  # 1 = the first run
    Column("error", Text, nullable=False),
    Column("at", String(40), nullable=False),
    Index("ix_job_errors_job", "job_id"),
)
