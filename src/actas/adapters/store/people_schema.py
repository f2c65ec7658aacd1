"""Tables of the people who work on the actas: accounts, invitations, sessions, API
tokens, and the transcription queue with its assignments (migration 0004).

Private, server-side data: none of it is exported. What people *do* is in the log
(leaves with pseudonymous actor ids); these tables only make the work possible —
and say which transcription entries the bundle may disclose yet
(:func:`disclosed_entries`).
Secrets are stored as SHA-256 hashes of high-entropy random tokens; passwords as
argon2id hashes. Times that expire are integer Unix seconds; times that are
shown are RFC 3339 strings.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)

__all__ = [
    "SETTLED",
    "accounts",
    "api_tokens",
    "assignments",
    "disclosed_entries",
    "invitations",
    "metadata",
    "photo_tasks",
    "sessions",
]

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("email", String(320), nullable=True),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False, default="active"),  # active | suspended
    Column("status_reason", Text, nullable=False, default=""),
    Column("password_hash", Text, nullable=True),
    Column("actor", String(16), nullable=False),  # the pseudonym written into leaves
    Column("created_at", String(40), nullable=False),
)

invitations = Table(
    "invitations",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_by", String(32), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_by", String(32), nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(32), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_sessions_account", "account_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(32), nullable=False),
    Column("label", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("revoked", Integer, nullable=False, default=0),
)

# One row per photo that needs people: no accepted payload, or a witness disputed it.
photo_tasks = Table(
    "photo_tasks",
    metadata,
    Column("photo_sha256", String(64), primary_key=True),
    Column("photo_seq", BigInteger, nullable=False),
    Column("table_id", String(128), nullable=True),  # the claimed table, if any
    # open (2 entries wanted) | third (a 3rd entry wanted) | review | accepted | resolved
    Column("state", String(16), nullable=False),
    Column("reason", String(32), nullable=False),  # no_qr | disputed
    Column("result_table", String(128), nullable=True),  # the table the entries agreed on
    Index("ix_photo_tasks_state", "state"),
)

# Who was given which photo, when, and what they typed. Unique per (photo, account):
# nobody transcribes the same photo twice.
assignments = Table(
    "assignments",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("photo_sha256", String(64), nullable=False),
    Column("account_id", String(32), nullable=False),
    Column("assigned_ms", BigInteger, nullable=False),
    Column("submitted_ms", BigInteger, nullable=True),
    Column("seq", BigInteger, nullable=True),  # the entry's leaf
    Column("table_id", String(128), nullable=True),  # the table the volunteer typed
    Column("entry", Text, nullable=True),  # canonical JSON of the entry (also the leaf's raw)
    Column("outcome", String(8), nullable=True),  # agree | disagree, once the photo is settled
    UniqueConstraint("photo_sha256", "account_id", name="uq_assignments_photo_account"),
    Index("ix_assignments_account", "account_id"),
)


#: States of a photo task after which its entries are no longer blind.
SETTLED = ("accepted", "resolved")


def disclosed_entries(conn: Connection) -> set[int]:
    """Leaf indices of the transcription entries whose photo is settled.

    Only these entries' raw bytes (salt and entry, :mod:`actas.core.log.sealed`) may be
    published; every other TRANSCRIPTION leaf stays a bare commitment, so that
    the open-data bundle cannot tell a volunteer what another one typed.
    """
    a, t = assignments, photo_tasks
    rows = conn.execute(
        select(a.c.seq)
        .join(t, t.c.photo_sha256 == a.c.photo_sha256)
        .where(a.c.seq.is_not(None), t.c.state.in_(SETTLED))
    )
    return {int(seq) for seq in rows.scalars()}
