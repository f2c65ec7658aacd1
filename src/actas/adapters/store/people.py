"""The SQL of the people tables (:mod:`actas.adapters.store.people_schema`).

Functions over the connection the caller opened (``store.read()`` or ``store.write()``):
they never begin or commit, so a use case keeps its transaction exactly where it is.
Rows come back as SQLAlchemy rows (attribute access by column name) or plain values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update

from actas.adapters.store import people_schema as ps
from actas.adapters.store import schema

__all__ = [
    "AnyRow",
    "Connection",
    "account",
    "account_by_login",
    "account_name_taken",
    "accounts",
    "api_token",
    "assigned",
    "assignment",
    "assignment_of",
    "delete_expired_sessions",
    "delete_session",
    "delete_sessions_of",
    "entries_of_photo",
    "entries_of_table",
    "insert_account",
    "insert_api_token",
    "insert_assignment",
    "insert_invitation",
    "insert_session",
    "insert_task",
    "invitation",
    "mean_entry_ms",
    "next_task",
    "open_assignment",
    "outcomes",
    "photo_private",
    "photo_width",
    "photos_of_table",
    "photos_without_task",
    "record_entry",
    "revoke_api_tokens",
    "session",
    "set_account_role",
    "set_account_status",
    "set_entry_counts",
    "set_outcome",
    "set_password_hash",
    "set_task_state",
    "settle_task",
    "tables_typed_from",
    "tables_with_events_on",
    "task",
    "task_counts",
    "task_state",
    "tasks_in",
    "tasks_of_photos_in",
    "transcribed_any",
    "update_tasks_of_photos",
    "use_invitation",
]

#: a result row of any width (attribute access by column name)
AnyRow: TypeAlias = Row[*tuple[Any, ...]]

# ----------------------------------------------------------------- accounts

A = ps.accounts


def account(conn: Connection, account_id: str) -> AnyRow | None:
    return conn.execute(select(A).where(A.c.id == account_id)).first()


def accounts(conn: Connection) -> Sequence[AnyRow]:
    """Every account, oldest first."""
    return conn.execute(select(A).order_by(A.c.created_at)).all()


def account_by_login(conn: Connection, login: str) -> AnyRow | None:
    """The account whose name or e-mail is ``login``."""
    return conn.execute(select(A).where((A.c.name == login) | (A.c.email == login))).first()


def account_name_taken(conn: Connection, name: str) -> bool:
    return conn.execute(select(A.c.id).where(A.c.name == name)).first() is not None


def insert_account(
    conn: Connection,
    *,
    account_id: str,
    name: str,
    email: str | None,
    role: str,
    password_hash: str,
    actor: str,
    created_at: str,
) -> None:
    """A new active account."""
    conn.execute(
        insert(A).values(
            id=account_id,
            name=name,
            email=email,
            role=role,
            status="active",
            status_reason="",
            password_hash=password_hash,
            actor=actor,
            created_at=created_at,
        )
    )


def set_account_role(conn: Connection, account_id: str, role: str) -> None:
    conn.execute(update(A).where(A.c.id == account_id).values(role=role))


def set_account_status(conn: Connection, account_id: str, status: str, reason: str) -> None:
    conn.execute(update(A).where(A.c.id == account_id).values(status=status, status_reason=reason))


def set_password_hash(conn: Connection, account_id: str, password_hash: str) -> None:
    conn.execute(update(A).where(A.c.id == account_id).values(password_hash=password_hash))


# ----------------------------------------------------------------- invitations

INV = ps.invitations


def insert_invitation(
    conn: Connection,
    *,
    token_hash: str,
    role: str,
    created_by: str,
    created_at: str,
    expires_at: int,
) -> None:
    conn.execute(
        insert(INV).values(
            token_hash=token_hash,
            role=role,
            created_by=created_by,
            created_at=created_at,
            expires_at=expires_at,
            used_by=None,
        )
    )


def invitation(conn: Connection, token_hash: str) -> AnyRow | None:
    return conn.execute(select(INV).where(INV.c.token_hash == token_hash)).first()


def use_invitation(conn: Connection, token_hash: str, account_id: str, now: int) -> bool:
    """Claim an invitation that is unused and not expired at ``now`` (Unix seconds) for
    ``account_id``, in one conditional UPDATE; False when it was used or expired."""
    done = conn.execute(
        update(INV)
        .where(
            INV.c.token_hash == token_hash,
            INV.c.used_by.is_(None),
            INV.c.expires_at >= now,
        )
        .values(used_by=account_id)
    )
    return bool(done.rowcount)


# ----------------------------------------------------------------- sessions, API tokens

S, T = ps.sessions, ps.api_tokens


def insert_session(
    conn: Connection, *, token_hash: str, account_id: str, csrf: str, expires_at: int
) -> None:
    conn.execute(
        insert(S).values(
            token_hash=token_hash, account_id=account_id, csrf=csrf, expires_at=expires_at
        )
    )


def session(conn: Connection, token_hash: str) -> AnyRow | None:
    return conn.execute(select(S).where(S.c.token_hash == token_hash)).first()


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(S).where(S.c.token_hash == token_hash))


def delete_sessions_of(conn: Connection, account_id: str) -> None:
    conn.execute(delete(S).where(S.c.account_id == account_id))


def delete_expired_sessions(conn: Connection, now: int) -> None:
    """Sessions that expired before ``now`` (Unix seconds)."""
    conn.execute(delete(S).where(S.c.expires_at < now))


def insert_api_token(
    conn: Connection, *, token_hash: str, account_id: str, label: str, created_at: str
) -> None:
    conn.execute(
        insert(T).values(
            token_hash=token_hash,
            account_id=account_id,
            label=label,
            created_at=created_at,
            revoked=0,
        )
    )


def api_token(conn: Connection, token_hash: str) -> AnyRow | None:
    return conn.execute(select(T).where(T.c.token_hash == token_hash)).first()


def revoke_api_tokens(conn: Connection, account_id: str) -> int:
    """Revoke the account's live API tokens; how many there were."""
    done = conn.execute(
        update(T).where(T.c.account_id == account_id, T.c.revoked == 0).values(revoked=1)
    )
    return int(done.rowcount or 0)


# ----------------------------------------------------------------- photo tasks

PT, AS = ps.photo_tasks, ps.assignments


def task(conn: Connection, sha256: str) -> AnyRow:
    """The task of a photo (it must exist)."""
    return conn.execute(select(PT).where(PT.c.photo_sha256 == sha256)).one()


def task_state(conn: Connection, sha256: str) -> str | None:
    """The state of a photo's task; None when the photo has none."""
    state = conn.execute(select(PT.c.state).where(PT.c.photo_sha256 == sha256)).scalar()
    return None if state is None else str(state)


def photo_width(conn: Connection, sha256: str) -> int | None:
    """The logged photo's width (0 or less: never opened as a picture); None if unknown."""
    width = conn.execute(
        select(schema.photos.c.width).where(schema.photos.c.sha256 == sha256)
    ).scalar()
    return None if width is None else int(width)


def insert_task(
    conn: Connection, *, sha256: str, seq: int, table_id: str | None, state: str, reason: str
) -> None:
    conn.execute(
        insert(PT).values(
            photo_sha256=sha256, photo_seq=seq, table_id=table_id, state=state, reason=reason
        )
    )


def photos_without_task(conn: Connection) -> Sequence[AnyRow]:
    """(sha256, seq, table_id) of logged pictures without counts and without a task."""
    p, s = schema.photos, schema.submissions
    return conn.execute(
        select(p.c.sha256, p.c.seq, p.c.table_id)
        .join(s, s.c.seq == p.c.seq)
        .outerjoin(PT, PT.c.photo_sha256 == p.c.sha256)
        .where(s.c.counts.is_(None), PT.c.photo_sha256.is_(None), p.c.width > 0)
    ).all()


def task_counts(conn: Connection) -> dict[str, int]:
    """How many tasks are in each state."""
    rows = conn.execute(select(PT.c.state, func.count()).group_by(PT.c.state)).all()
    return {str(state): int(n) for state, n in rows}


def tasks_in(conn: Connection, states: Sequence[str]) -> Sequence[AnyRow]:
    """(photo_sha256, table_id, state) of the tasks in ``states``."""
    return conn.execute(
        select(PT.c.photo_sha256, PT.c.table_id, PT.c.state).where(PT.c.state.in_(states))
    ).all()


def tasks_of_photos_in(conn: Connection, photos: Sequence[str], states: Sequence[str]) -> list[str]:
    """The photos among ``photos`` whose task is in ``states``."""
    return list(
        conn.execute(
            select(PT.c.photo_sha256).where(PT.c.photo_sha256.in_(photos), PT.c.state.in_(states))
        ).scalars()
    )


def set_task_state(conn: Connection, sha256: str, state: str) -> None:
    conn.execute(update(PT).where(PT.c.photo_sha256 == sha256).values(state=state))


def settle_task(conn: Connection, sha256: str, state: str, result_table: str) -> None:
    """A photo's task settled (accepted or resolved) on ``result_table``."""
    conn.execute(
        update(PT).where(PT.c.photo_sha256 == sha256).values(state=state, result_table=result_table)
    )


def update_tasks_of_photos(
    conn: Connection, photos: Sequence[str], from_state: str, to_state: str
) -> None:
    """Move the tasks of ``photos`` that are in ``from_state`` to ``to_state``."""
    conn.execute(
        update(PT)
        .where(PT.c.photo_sha256.in_(photos), PT.c.state == from_state)
        .values(state=to_state)
    )


def next_task(
    conn: Connection, account_id: str, live_after_ms: int, wanted: Mapping[str, int]
) -> str | None:
    """The first photo (in log order) whose state asks for more entries than it has live
    assignments (submitted, or given after ``live_after_ms``), and that the account was
    never given; ``wanted`` is state -> entries wanted."""
    live = (
        select(func.count())
        .where(
            AS.c.photo_sha256 == PT.c.photo_sha256,
            (AS.c.submitted_ms.is_not(None)) | (AS.c.assigned_ms > live_after_ms),
        )
        .scalar_subquery()
    )
    already = (
        select(AS.c.id)
        .where(AS.c.photo_sha256 == PT.c.photo_sha256, AS.c.account_id == account_id)
        .exists()
    )
    asks = or_(*[(PT.c.state == state) & (live < n) for state, n in wanted.items()])
    row = conn.execute(
        select(PT.c.photo_sha256)
        .where(PT.c.state.in_(list(wanted)), asks, ~already)
        .order_by(PT.c.photo_seq, PT.c.photo_sha256)
        .limit(1)
    ).first()
    return None if row is None else str(row.photo_sha256)


# ----------------------------------------------------------------- assignments


def assignment(conn: Connection, assignment_id: int) -> AnyRow | None:
    return conn.execute(select(AS).where(AS.c.id == assignment_id)).first()


def assignment_of(conn: Connection, sha256: str, account_id: str) -> AnyRow:
    """The assignment of a photo to an account (it must exist)."""
    return conn.execute(
        select(AS).where(AS.c.photo_sha256 == sha256, AS.c.account_id == account_id)
    ).one()


def assigned(conn: Connection, sha256: str, account_id: str) -> bool:
    """Whether the photo was ever given to the account."""
    row = conn.execute(
        select(AS.c.id).where(AS.c.photo_sha256 == sha256, AS.c.account_id == account_id)
    ).first()
    return row is not None


def open_assignment(conn: Connection, account_id: str, after_ms: int) -> AnyRow | None:
    """The account's assignment given after ``after_ms`` and not submitted yet."""
    return conn.execute(
        select(AS).where(
            AS.c.account_id == account_id,
            AS.c.submitted_ms.is_(None),
            AS.c.assigned_ms > after_ms,
        )
    ).first()


def insert_assignment(conn: Connection, sha256: str, account_id: str, assigned_ms: int) -> None:
    conn.execute(
        insert(AS).values(photo_sha256=sha256, account_id=account_id, assigned_ms=assigned_ms)
    )


def record_entry(
    conn: Connection, assignment_id: int, *, submitted_ms: int, seq: int, table_id: str, entry: str
) -> None:
    """The submitted entry of an assignment: when, its leaf, its table and its JSON."""
    conn.execute(
        update(AS)
        .where(AS.c.id == assignment_id)
        .values(submitted_ms=submitted_ms, seq=seq, table_id=table_id, entry=entry)
    )


def entries_of_photo(conn: Connection, sha256: str) -> Sequence[AnyRow]:
    """(id, seq, account_id, entry) of the submitted entries of a photo."""
    return conn.execute(
        select(AS.c.id, AS.c.seq, AS.c.account_id, AS.c.entry).where(
            AS.c.photo_sha256 == sha256, AS.c.seq.is_not(None)
        )
    ).all()


def entries_of_table(conn: Connection, table_id: str, photos: Sequence[str]) -> Sequence[AnyRow]:
    """(seq, entry, photo_sha256) of the submitted entries that typed the table or are of
    one of its photos."""
    return conn.execute(
        select(AS.c.seq, AS.c.entry, AS.c.photo_sha256).where(
            or_(AS.c.table_id == table_id, AS.c.photo_sha256.in_(photos)),
            AS.c.seq.is_not(None),
        )
    ).all()


def tables_typed_from(conn: Connection, sha256: str) -> list[str | None]:
    """The tables the submitted entries of a photo typed."""
    return list(
        conn.execute(
            select(AS.c.table_id).where(AS.c.photo_sha256 == sha256, AS.c.seq.is_not(None))
        ).scalars()
    )


def photos_of_table(conn: Connection, table_id: str) -> list[str]:
    """The photos logged for the table or typed as it, sorted."""
    p = schema.photos
    shas = set(conn.execute(select(p.c.sha256).where(p.c.table_id == table_id)).scalars())
    shas.update(conn.execute(select(AS.c.photo_sha256).where(AS.c.table_id == table_id)).scalars())
    return sorted(shas)


def transcribed_any(conn: Connection, account_id: str, photos: Sequence[str]) -> bool:
    """Whether the account was given any of ``photos``."""
    mine = conn.execute(
        select(AS.c.id).where(AS.c.account_id == account_id, AS.c.photo_sha256.in_(photos))
    ).first()
    return mine is not None


def set_entry_counts(conn: Connection, seqs: Sequence[int], counts: str, table_id: str) -> None:
    """Give the entries' leaves (agreed on) their counts (JSON) and table."""
    conn.execute(
        update(schema.submissions)
        .where(schema.submissions.c.seq.in_(seqs))
        .values(counts=counts, table_id=table_id)
    )


def set_outcome(conn: Connection, assignment_id: int, outcome: str) -> None:
    conn.execute(update(AS).where(AS.c.id == assignment_id).values(outcome=outcome))


def outcomes(conn: Connection, account_id: str) -> dict[str, int]:
    """How many settled entries of the account had each outcome (agree, disagree)."""
    rows = conn.execute(
        select(AS.c.outcome, func.count())
        .where(AS.c.account_id == account_id, AS.c.outcome.is_not(None))
        .group_by(AS.c.outcome)
    ).all()
    return {str(o): int(n) for o, n in rows}


def mean_entry_ms(conn: Connection, account_id: str) -> Any:
    """The account's mean time from assignment to submission (ms), None without entries."""
    return conn.execute(
        select(func.avg(AS.c.submitted_ms - AS.c.assigned_ms)).where(
            and_(AS.c.account_id == account_id, AS.c.submitted_ms.is_not(None))
        )
    ).scalar()


def tables_with_events_on(conn: Connection, channel: str) -> list[str]:
    """The tables that have an EVENT leaf of ``channel`` (e.g. review proposals), sorted."""
    sub = schema.submissions
    q = select(sub.c.table_id).where(
        sub.c.kind == "event", sub.c.channel == channel, sub.c.table_id.is_not(None)
    )
    return list(conn.execute(q.distinct().order_by(sub.c.table_id)).scalars())


def photo_private(conn: Connection, sha256: str, settled: Sequence[str]) -> bool:
    """Whether the photo ``sha256`` (original or public copy) has a task not ``settled``."""
    p = schema.photos
    named = or_(p.c.sha256 == sha256, p.c.public_sha256 == sha256)
    q = select(PT.c.photo_sha256).join(p, p.c.sha256 == PT.c.photo_sha256)
    return conn.execute(q.where(named, ~PT.c.state.in_(settled)).limit(1)).first() is not None
