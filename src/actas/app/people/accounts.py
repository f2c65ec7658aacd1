"""Accounts and invitations: :class:`People`, the use cases over the people tables.

The server secret (``$ACTAS_HOME/keys/people.secret``, mode 0600, made once like the
signer key) keys the HMAC that turns an account id into its public pseudonym. An
invitation is a single-use link token of which only the SHA-256 is stored; signing
in, sessions and API tokens are :mod:`actas.app.people.signin`, roles and who may give
them :mod:`actas.app.people.roles`.

Role changes, suspensions and new accounts are EVENT leaves with pseudonyms only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from actas.adapters.store import people as rows
from actas.adapters.store.people import Connection
from actas.app.people.limits import RateLimited
from actas.app.people.roles import (
    GRANTS,
    Account,
    NotSignedIn,
    Role,
    account_of,
    check_status_change,
    may_grant,
    may_manage,
    role_of,
)
from actas.app.people.signin import SESSION_SECONDS, SignIn, hash_password, token_hash
from actas.app.service import Service
from actas.core.errors import AccessDenied, InputError, NotFound
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
    "check_status_change",
    "log_action",
    "token_hash",
]

INVITE_SECONDS = 7 * 24 * 3600
SECRET_FILE = "people.secret"  # noqa: S105 (a file name)


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


class People:
    """Accounts over the service's store. ``now`` gives Unix seconds (a test clock)."""

    def __init__(
        self, svc: Service, now: Callable[[], float] = time.time, secret: bytes | None = None
    ) -> None:
        self.svc = svc
        self.store = svc.store
        self.now = now
        self.secret = secret if secret is not None else load_secret(svc.settings.keys_dir)
        self.signin = SignIn(svc, lambda: self.now(), self.get)  # a clock set later counts

    def pseudonym(self, account_id: str) -> str:
        digest = hmac.new(self.secret, account_id.encode("ascii"), hashlib.sha256).hexdigest()
        return "p-" + digest[:12]

    # ----------------------------------------------------------------- accounts

    def get(self, account_id: str, conn: Connection | None = None) -> Account:
        if conn is None:
            with self.store.read() as c:
                return self.get(account_id, c)
        row = rows.account(conn, account_id)
        if row is None:
            raise NotFound("no such account")
        return account_of(row)

    def accounts(self) -> list[Account]:
        with self.store.read() as conn:
            found = rows.accounts(conn)
        return [account_of(r) for r in found]

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
        role = role_of(role)
        if by is not None:
            may_grant(by, role)
        name, password, password_hash = self._credentials(name, password)
        with self.store.write() as conn:
            account_id = self._insert(conn, name, role, password_hash, email, by)
        return self.get(account_id), password

    def _credentials(self, name: str, password: str | None) -> tuple[str, str, str]:
        """The checked name, the password (generated when not given) and its hash —
        hashed before any transaction opens (argon2 is slow on purpose)."""
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise InputError("a name has 1 to 200 characters")
        password = password or secrets.token_urlsafe(15)
        if len(password) < 10:
            raise InputError("a password has at least 10 characters")
        return name, password, hash_password(password)

    def _insert(
        self,
        conn: Connection,
        name: str,
        role: Role,
        password_hash: str,
        email: str,
        by: Account | None,
        account_id: str | None = None,
    ) -> str:
        """The new account's row and its ``account.created`` leaf; returns its id."""
        if rows.account_name_taken(conn, name):
            raise InputError("that name is taken")
        account_id = account_id or secrets.token_hex(16)
        actor = self.pseudonym(account_id)
        rows.insert_account(
            conn,
            account_id=account_id,
            name=name,
            email=email.strip() or None,
            role=str(role),
            password_hash=password_hash,
            actor=actor,
            created_at=self.svc.clock(),
        )
        log_action(
            self.svc,
            conn,
            SubmissionKind.EVENT,
            {"event": "account.created", "subject": actor, "role": str(role)},
            by.actor if by else "operator",
        )
        return account_id

    def set_role(self, account_id: str, role: Role | str, by: Account | None) -> Account:
        role = role_of(role)
        target = self.get(account_id)
        if by is not None:
            may_manage(by, target)
            may_grant(by, role)
        with self.store.write() as conn:
            rows.set_account_role(conn, account_id, str(role))
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
            may_manage(by, target)
        rows.set_account_status(conn, account_id, status, reason[:500])
        rows.delete_sessions_of(conn, account_id)
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
            may_manage(by, target)
        password = secrets.token_urlsafe(15)
        with self.store.write() as conn:
            rows.set_password_hash(conn, account_id, hash_password(password))
            rows.delete_sessions_of(conn, account_id)
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
            may_manage(by, target)
        with self.store.write() as conn:
            done = rows.revoke_api_tokens(conn, account_id)
            log_action(
                self.svc,
                conn,
                SubmissionKind.EVENT,
                {"event": "account.tokens_revoked", "subject": target.actor},
                by.actor if by else "operator",
            )
        return done

    def manageable(self, by: Account, target: Account) -> bool:
        """Whether ``by`` may change ``target``'s role, status, password or tokens."""
        try:
            may_manage(by, target)
        except AccessDenied:
            return False
        return True

    def grantable(self, by: Account) -> list[Role]:
        """The roles ``by`` may give, in the order of :class:`Role`."""
        allowed = GRANTS.get(by.role, frozenset()) if by.active else frozenset()
        return [r for r in Role if r in allowed]

    # ----------------------------------------------------------------- invitations

    def invite(self, role: Role | str, by: Account, seconds: int = INVITE_SECONDS) -> str:
        """A single-use link token for a new account of ``role``; only its hash is kept."""
        role = role_of(role)
        may_grant(by, role)
        token = secrets.token_urlsafe(32)
        with self.store.write() as conn:
            rows.insert_invitation(
                conn,
                token_hash=token_hash(token),
                role=str(role),
                created_by=by.id,
                created_at=self.svc.clock(),
                expires_at=int(self.now()) + seconds,
            )
        return token

    def invitation_role(self, token: str) -> Role:
        with self.store.read() as conn:
            row = self._invitation(conn, token)
        return Role(row.role)

    def _invitation(self, conn: Connection, token: str) -> Any:
        row = rows.invitation(conn, token_hash(token))
        if row is None or row.used_by is not None or row.expires_at < self.now():
            raise AccessDenied("this invitation is unknown, used or expired")
        return row

    def accept(self, token: str, name: str, password: str, email: str = "") -> Account:
        """A new account from a single-use invitation: exactly one, however many accept it
        at once. One serialised write claims the invitation (a conditional UPDATE: still
        unused and unexpired) and only then inserts the account, so a loser inserts nothing
        and any refusal (a taken name) rolls the claim back with everything else."""
        with self.store.read() as conn:
            row = self._invitation(conn, token)
        inviter = self.get(row.created_by)
        role = role_of(row.role)
        may_grant(inviter, role)
        name, password, password_hash = self._credentials(name, password)
        account_id = secrets.token_hex(16)  # claimed for this id, inserted just after
        with self.store.write() as conn:
            if not rows.use_invitation(conn, token_hash(token), account_id, int(self.now())):
                raise AccessDenied("this invitation is unknown, used or expired")
            self._insert(conn, name, role, password_hash, email, inviter, account_id)
        return self.get(account_id)

    # ----------------------------------------------------------------- signing in

    def authenticate(self, name: str, password: str) -> Account | None:
        return self.signin.authenticate(name, password)

    def new_session(self, account: Account) -> tuple[str, str]:
        """A session token (for the cookie) and its CSRF token."""
        return self.signin.new_session(account)

    def session(self, token: str) -> tuple[Account, str] | None:
        return self.signin.session(token)

    def end_session(self, token: str) -> None:
        self.signin.end_session(token)

    def new_api_token(self, account: Account, label: str = "") -> str:
        return self.signin.new_api_token(account, label)

    def api_token(self, token: str) -> Account | None:
        return self.signin.api_token(token)
