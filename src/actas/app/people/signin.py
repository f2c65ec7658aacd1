"""Signing in: passwords, browser sessions (with their CSRF token) and API tokens.

Secrets never rest in the database: session and API tokens are 256-bit random values
of which only the SHA-256 is stored (:func:`token_hash`); passwords are argon2id hashes.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import unicodedata
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from actas.adapters.store import people as rows
from actas.adapters.store.people import Connection
from actas.app.people.roles import Account, account_of
from actas.app.service import Service

__all__ = ["SESSION_SECONDS", "SignIn", "hash_password", "login_key", "token_hash"]

SESSION_SECONDS = 12 * 3600

_HASHER = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login_key(name: str) -> str:
    """The key of a name's sign-in attempts: the name as :meth:`SignIn.authenticate`
    looks it up (stripped), case-folded and NFKC-normalised, so padded, differently
    cased or differently composed spellings of one name share one limit."""
    return unicodedata.normalize("NFKC", name.strip()).casefold()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown names against (as long as a real check), made on first
    use: hashing is slow on purpose, and every CLI command imports this module."""
    return _HASHER.hash("not a password of anyone")


class SignIn:
    """Sign-in over the service's store; ``get`` finds an account by id on a connection."""

    def __init__(
        self,
        svc: Service,
        now: Callable[[], float],
        get: Callable[[str, Connection], Account],
    ) -> None:
        self.svc = svc
        self.store = svc.store
        self.now = now
        self.get = get

    def authenticate(self, name: str, password: str) -> Account | None:
        with self.store.read() as conn:
            row = rows.account_by_login(conn, name.strip())
        stored = row.password_hash if row is not None and row.password_hash else _dummy_hash()
        ok: bool
        try:
            ok = _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if row is None or not ok:
            return None
        account = account_of(row)
        return account if account.active else None

    def new_session(self, account: Account) -> tuple[str, str]:
        """A session token (for the cookie) and its CSRF token."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.store.write() as conn:
            rows.delete_expired_sessions(conn, int(self.now()))
            rows.insert_session(
                conn,
                token_hash=token_hash(token),
                account_id=account.id,
                csrf=csrf,
                expires_at=int(self.now()) + SESSION_SECONDS,
            )
        return token, csrf

    def session(self, token: str) -> tuple[Account, str] | None:
        with self.store.read() as conn:
            row = rows.session(conn, token_hash(token))
            if row is None or row.expires_at < self.now():
                return None
            account = self.get(row.account_id, conn)
        return (account, str(row.csrf)) if account.active else None

    def end_session(self, token: str) -> None:
        with self.store.write() as conn:
            rows.delete_session(conn, token_hash(token))

    def new_api_token(self, account: Account, label: str = "") -> str:
        token = "actas_" + secrets.token_urlsafe(32)
        with self.store.write() as conn:
            rows.insert_api_token(
                conn,
                token_hash=token_hash(token),
                account_id=account.id,
                label=label[:200],
                created_at=self.svc.clock(),
            )
        return token

    def api_token(self, token: str) -> Account | None:
        with self.store.read() as conn:
            row = rows.api_token(conn, token_hash(token))
            if row is None or row.revoked:
                return None
            account = self.get(row.account_id, conn)
        return account if account.active else None
