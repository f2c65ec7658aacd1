"""Accounts, roles, invitations, sessions and API tokens.

Secrets never rest in the database: session, invitation and API tokens are 256-bit
random values of which only the SHA-256 is stored; passwords are argon2id hashes.
The server secret (``$ACTAS_HOME/keys/people.secret``, mode 0600, made once like the
signer key) keys the HMAC that turns an account id into its public pseudonym.

Role changes, suspensions and new accounts are EVENT leaves with pseudonyms only.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, insert, select, update

from actas.adapters.store import people_schema as ps
from actas.app.service import Service
from actas.core.errors import AccessDenied, ActasError, InputError, NotFound
from actas.core.log.leaf import canonical_json
from actas.core.log.sealed import seal
from actas.core.model import Source, Submission, SubmissionKind, TableId

__all__ = [
    "SESSION_SECONDS",
    "Account",
    "NotSignedIn",
    "People",
    "RateLimited",
    "Role",
    "log_action",
    "token_hash",
]

SESSION_SECONDS = 12 * 3600
INVITE_SECONDS = 7 * 24 * 3600
SECRET_FILE = "people.secret"  # noqa: S105 (a file name)


class Role(enum.StrEnum):
    ADMIN = "administrator"
    COORDINATOR = "coordinator"
    WITNESS = "witness"
    VOLUNTEER = "volunteer"  # a transcriber
    REVIEWER = "reviewer"


# who may invite (or give) which roles
GRANTS: Mapping[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.COORDINATOR: frozenset({Role.WITNESS, Role.VOLUNTEER, Role.REVIEWER}),
}


class NotSignedIn(AccessDenied):
    code = "unauthenticated"
    http_status = 401


class RateLimited(ActasError):
    code = "rate_limited"
    http_status = 429
    exit_code = 8


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    role: Role
    status: str
    actor: str  # pseudonym
    email: str = ""
    status_reason: str = ""

    @property
    def active(self) -> bool:
        return self.status == "active"

    def public_json(self) -> dict[str, Any]:
        """What the account itself (or an administrator) sees."""
        return {
            "id": self.id,
            "name": self.name,
            "role": str(self.role),
            "status": self.status,
            "status_reason": self.status_reason,
            "actor": self.actor,
        }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def log_action(
    svc: Service,
    conn: Connection,
    kind: SubmissionKind,
    body: Mapping[str, Any],
    actor: str,
    *,
    table_id: str | None = None,
    counts: Any = None,
    channel: str = "people",
    salt: bytes | None = None,
) -> int:
    """Append one human action as a leaf; raw = canonical JSON of ``body`` with a nonce
    (two identical actions at the same instant stay two leaves) — or, with a ``salt``,
    ``body`` sealed under it (:mod:`actas.core.log.sealed`: the leaf commits to it, hash only)."""
    if salt is not None:
        raw = seal(salt, {**body, "actor": actor})
    else:
        raw = canonical_json({**body, "actor": actor, "nonce": secrets.token_hex(8)})
    sub = Submission(
        kind=kind,
        source=Source(channel, str(kind)),  # the portal shows a name for every source
        received_at=svc.clock(),
        raw=raw,
        table_id=TableId(table_id) if table_id else None,
        counts=counts,
        actor=actor,
    )
    [seq] = svc.log.append(conn, [sub])
    return seq


def load_secret(keys_dir: Path) -> bytes:
    """The server secret, made once (mode 0600) in the keys folder."""
    path = keys_dir / SECRET_FILE
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(keys_dir, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text("ascii").strip())


def check_status_change(status: str, reason: str) -> str:
    """Refuse a status other than active or suspended, or a suspension without a reason
    (the page and the API alike, before anything changes); the reason, stripped."""
    if status not in ("active", "suspended"):
        raise InputError("status is active or suspended")
    reason = reason.strip()
    if status == "suspended" and len(reason) < 3:
        raise InputError("write the reason for suspending the account (3 characters or more)")
    return reason


_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown names against (as long as a real check), made on first
    use: hashing is slow on purpose, and every CLI command imports this module."""
    return _HASHER.hash("not a password of anyone")


def _row_account(r: Any) -> Account:
    return Account(
        id=r.id,
        name=r.name,
        role=Role(r.role),
        status=r.status,
        actor=r.actor,
        email=r.email or "",
        status_reason=r.status_reason or "",
    )


class People:
    """Accounts over the service's store. ``now`` gives Unix seconds (a test clock)."""

    def __init__(
        self, svc: Service, now: Callable[[], float] = time.time, secret: bytes | None = None
    ) -> None:
        self.svc = svc
        self.store = svc.store
        self.now = now
        self.secret = secret if secret is not None else load_secret(svc.settings.keys_dir)

    def pseudonym(self, account_id: str) -> str:
        digest = hmac.new(self.secret, account_id.encode("ascii"), hashlib.sha256).hexdigest()
        return "p-" + digest[:12]

    # ----------------------------------------------------------------- accounts

    def get(self, account_id: str, conn: Connection | None = None) -> Account:
        if conn is None:
            with self.store.read() as c:
                return self.get(account_id, c)
        row = conn.execute(select(ps.accounts).where(ps.accounts.c.id == account_id)).first()
        if row is None:
            raise NotFound("no such account")
        return _row_account(row)

    def accounts(self) -> list[Account]:
        with self.store.read() as conn:
            rows = conn.execute(select(ps.accounts).order_by(ps.accounts.c.created_at)).all()
        return [_row_account(r) for r in rows]

    def add(
        self,
        name: str,
        role: Role | str,
        password: str | None = None,
        *,
        email: str = "",
        by: Account | None = None,
    ) -> tuple[Account, str]:
        """Create an account; returns it and its password (generated when not given).

        ``by`` None is the command line (the server's operator)."""
        role = _role(role)
        if by is not None:
            _may_grant(by, role)
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise InputError("a name has 1 to 200 characters")
        password = password or secrets.token_urlsafe(15)
        if len(password) < 10:
            raise InputError("a password has at least 10 characters")
        account_id = secrets.token_hex(16)
        actor = self.pseudonym(account_id)
        with self.store.write() as conn:
            taken = conn.execute(select(ps.accounts.c.id).where(ps.accounts.c.name == name)).first()
            if taken is not None:
                raise InputError("that name is taken")
            conn.execute(
                insert(ps.accounts).values(
                    id=account_id,
                    name=name,
                    email=email.strip() or None,
                    role=str(role),
                    status="active",
                    status_reason="",
                    password_hash=_HASHER.hash(password),
                    actor=actor,
                    created_at=self.svc.clock(),
                )
            )
            log_action(
                self.svc,
                conn,
                SubmissionKind.EVENT,
                {"event": "account.created", "subject": actor, "role": str(role)},
                by.actor if by else "operator",
            )
        return self.get(account_id), password

    def set_role(self, account_id: str, role: Role | str, by: Account | None) -> Account:
        role = _role(role)
        target = self.get(account_id)
        if by is not None:
            _may_manage(by, target)
            _may_grant(by, role)
        with self.store.write() as conn:
            conn.execute(
                update(ps.accounts).where(ps.accounts.c.id == account_id).values(role=str(role))
            )
            log_action(
                self.svc,
                conn,
                SubmissionKind.EVENT,
                {"event": "role.changed", "subject": target.actor, "role": str(role)},
                by.actor if by else "operator",
            )
        return self.get(account_id)

    def set_status(
        self,
        account_id: str,
        status: str,
        reason: str,
        by: Account | None,
        conn: Connection | None = None,
    ) -> None:
        """Suspend or reactivate; ``by`` None is the system (automatic suspension)."""
        reason = check_status_change(status, reason)
        if conn is None:
            with self.store.write() as c:
                self.set_status(account_id, status, reason, by, c)
            return
        target = self.get(account_id, conn)
        if by is not None:
            _may_manage(by, target)
        conn.execute(
            update(ps.accounts)
            .where(ps.accounts.c.id == account_id)
            .values(status=status, status_reason=reason[:500])
        )
        conn.execute(delete(ps.sessions).where(ps.sessions.c.account_id == account_id))
        log_action(
            self.svc,
            conn,
            SubmissionKind.EVENT,
            {"event": f"account.{status}", "subject": target.actor, "reason": reason[:500]},
            by.actor if by else "system",
        )

    def reset_password(self, account_id: str, by: Account | None) -> str:
        """A new random password for the account (returned once); its sessions end."""
        target = self.get(account_id)
        if by is not None:
            _may_manage(by, target)
        password = secrets.token_urlsafe(15)
        with self.store.write() as conn:
            conn.execute(
                update(ps.accounts)
                .where(ps.accounts.c.id == account_id)
                .values(password_hash=_HASHER.hash(password))
            )
            conn.execute(delete(ps.sessions).where(ps.sessions.c.account_id == account_id))
            log_action(
                self.svc,
                conn,
                SubmissionKind.EVENT,
                {"event": "account.password_reset", "subject": target.actor},
                by.actor if by else "operator",
            )
        return password

    def revoke_tokens(self, account_id: str, by: Account | None) -> int:
        """Revoke every API token of the account; returns how many were live."""
        target = self.get(account_id)
        if by is not None:
            _may_manage(by, target)
        t = ps.api_tokens
        with self.store.write() as conn:
            done = conn.execute(
                update(t).where(t.c.account_id == account_id, t.c.revoked == 0).values(revoked=1)
            )
            log_action(
                self.svc,
                conn,
                SubmissionKind.EVENT,
                {"event": "account.tokens_revoked", "subject": target.actor},
                by.actor if by else "operator",
            )
        return int(done.rowcount or 0)

    def manageable(self, by: Account, target: Account) -> bool:
        """Whether ``by`` may change ``target``'s role, status, password or tokens."""
        try:
            _may_manage(by, target)
        except AccessDenied:
            return False
        return True

    def grantable(self, by: Account) -> list[Role]:
        """The roles ``by`` may give, in the order of :class:`Role`."""
        allowed = GRANTS.get(by.role, frozenset()) if by.active else frozenset()
        return [r for r in Role if r in allowed]

    def authenticate(self, name: str, password: str) -> Account | None:
        with self.store.read() as conn:
            row = conn.execute(
                select(ps.accounts).where(
                    (ps.accounts.c.name == name.strip()) | (ps.accounts.c.email == name.strip())
                )
            ).first()
        stored = row.password_hash if row is not None and row.password_hash else _dummy_hash()
        ok: bool
        try:
            ok = _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if row is None or not ok:
            return None
        account = _row_account(row)
        return account if account.active else None

    # ----------------------------------------------------------------- invitations

    def invite(self, role: Role | str, by: Account, seconds: int = INVITE_SECONDS) -> str:
        """A single-use link token for a new account of ``role``; only its hash is kept."""
        role = _role(role)
        _may_grant(by, role)
        token = secrets.token_urlsafe(32)
        with self.store.write() as conn:
            conn.execute(
                insert(ps.invitations).values(
                    token_hash=token_hash(token),
                    role=str(role),
                    created_by=by.id,
                    created_at=self.svc.clock(),
                    expires_at=int(self.now()) + seconds,
                    used_by=None,
                )
            )
        return token

    def invitation_role(self, token: str) -> Role:
        with self.store.read() as conn:
            row = self._invitation(conn, token)
        return Role(row.role)

    def _invitation(self, conn: Connection, token: str) -> Any:
        row = conn.execute(
            select(ps.invitations).where(ps.invitations.c.token_hash == token_hash(token))
        ).first()
        if row is None or row.used_by is not None or row.expires_at < self.now():
            raise AccessDenied("this invitation is unknown, used or expired")
        return row

    def accept(self, token: str, name: str, password: str, email: str = "") -> Account:
        with self.store.read() as conn:
            row = self._invitation(conn, token)
        inviter = self.get(row.created_by)
        account, _ = self.add(name, row.role, password, email=email, by=inviter)
        with self.store.write() as conn:
            done = conn.execute(
                update(ps.invitations)
                .where(
                    ps.invitations.c.token_hash == token_hash(token),
                    ps.invitations.c.used_by.is_(None),
                )
                .values(used_by=account.id)
            )
            if not done.rowcount:  # used by a concurrent request in between
                conn.execute(delete(ps.accounts).where(ps.accounts.c.id == account.id))
                raise AccessDenied("this invitation is unknown, used or expired")
        return account

    # ----------------------------------------------------------------- sessions, tokens

    def new_session(self, account: Account) -> tuple[str, str]:
        """A session token (for the cookie) and its CSRF token."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.store.write() as conn:
            conn.execute(delete(ps.sessions).where(ps.sessions.c.expires_at < int(self.now())))
            conn.execute(
                insert(ps.sessions).values(
                    token_hash=token_hash(token),
                    account_id=account.id,
                    csrf=csrf,
                    expires_at=int(self.now()) + SESSION_SECONDS,
                )
            )
        return token, csrf

    def session(self, token: str) -> tuple[Account, str] | None:
        with self.store.read() as conn:
            row = conn.execute(
                select(ps.sessions).where(ps.sessions.c.token_hash == token_hash(token))
            ).first()
            if row is None or row.expires_at < self.now():
                return None
            account = self.get(row.account_id, conn)
        return (account, str(row.csrf)) if account.active else None

    def end_session(self, token: str) -> None:
        with self.store.write() as conn:
            conn.execute(delete(ps.sessions).where(ps.sessions.c.token_hash == token_hash(token)))

    def new_api_token(self, account: Account, label: str = "") -> str:
        token = "actas_" + secrets.token_urlsafe(32)
        with self.store.write() as conn:
            conn.execute(
                insert(ps.api_tokens).values(
                    token_hash=token_hash(token),
                    account_id=account.id,
                    label=label[:200],
                    created_at=self.svc.clock(),
                    revoked=0,
                )
            )
        return token

    def api_token(self, token: str) -> Account | None:
        with self.store.read() as conn:
            row = conn.execute(
                select(ps.api_tokens).where(ps.api_tokens.c.token_hash == token_hash(token))
            ).first()
            if row is None or row.revoked:
                return None
            account = self.get(row.account_id, conn)
        return account if account.active else None


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(f"unknown role {role!r}; roles: {', '.join(Role)}") from None


def _may_grant(by: Account, role: Role) -> None:
    if not by.active or role not in GRANTS.get(by.role, frozenset()):
        raise AccessDenied(f"{_a(by.role)} cannot give the role {role}")


def _may_manage(by: Account, target: Account) -> None:
    """Someone else's account, of a role ``by`` may give (so no lock-out, no escalation)."""
    if by.id == target.id:
        raise AccessDenied("you cannot change your own account here: ask another administrator")
    if not by.active or target.role not in GRANTS.get(by.role, frozenset()):
        raise AccessDenied(f"{_a(by.role)} cannot change the account of {_a(target.role)}")


def _a(role: Role | str) -> str:
    """'a witness', 'an administrator'."""
    return f"{'an' if str(role)[:1] in 'aeiou' else 'a'} {role}"
