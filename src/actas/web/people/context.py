"""What every group of people routes shares: ``PeopleWeb``, the guard, the request helpers.

``PeopleWeb`` holds the use cases (accounts, transcription, review), the rate
limits and the template environment; its ``guard`` is the one ``access.roles``
asks (``app.state.guard``). The helpers read a form or JSON body and answer with
the ``no-store`` headers every people response carries.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Path, Request
from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from actas.app.people.accounts import Account, NotSignedIn, People, RateLimited
from actas.app.people.limits import Buckets
from actas.app.people.review import Review
from actas.app.people.transcription import Transcription
from actas.app.photos.uploads import QueuedUploads
from actas.app.service import Service
from actas.core.errors import AccessDenied, ActasError, InputError
from actas.web.cache import SECURITY_HEADERS, EscapedJSON
from actas.web.serve import lang_cookie, lang_of

__all__ = [
    "COOKIE",
    "LEAF",
    "NO_STORE",
    "ROW_ID",
    "Limits",
    "PeopleWeb",
    "TooLarge",
    "caller",
    "is_form",
    "read_body",
    "reply_json",
    "see_other",
    "whole_number",
]

#: the largest id a path may name: a 64-bit signed integer (what SQL stores); a larger
#: one is a 400 ``invalid_request``, never a database overflow
ID_MAX = (1 << 63) - 1
#: a leaf index (a submission's seq) in a path
LEAF = Annotated[int, Path(ge=0, le=ID_MAX)]
#: a row id (an assignment) in a path
ROW_ID = Annotated[int, Path(ge=1, le=ID_MAX)]

COOKIE = "actas_session"
NO_STORE = {**SECURITY_HEADERS, "cache-control": "no-store"}


class TooLarge(ActasError):
    code = "too_large"
    http_status = 413


@dataclass
class Limits:
    """Token buckets: writes per account (signed in) or per address (anonymous), sign-in attempts per address
    and per name."""

    account: Buckets = field(default_factory=lambda: Buckets(rate=1.0, burst=30))
    address: Buckets = field(default_factory=lambda: Buckets(rate=5.0, burst=120))
    login: Buckets = field(default_factory=lambda: Buckets(rate=0.2, burst=10))
    #: sign-in attempts per name, keyed on the name as sign-in reads it (:func:`login_key`)
    login_name: Buckets = field(default_factory=lambda: Buckets(rate=0.2, burst=10))


@dataclass
class PeopleWeb:
    svc: Service
    people: People
    transcription: Transcription
    review: Review
    limits: Limits
    env: Environment
    catalogs: dict[str, Any]
    secure_cookies: bool = True
    uploads: QueuedUploads | None = None  # ACTAS_QUEUE=on: workers decode the uploads

    # ----------------------------------------------------------------- the guard

    async def guard(self, request: Request, allowed: frozenset[str]) -> None:
        account, csrf = await self._principal(request)
        if account is None:
            raise NotSignedIn("sign in first")
        if str(account.role) not in allowed:
            raise AccessDenied("your role may not do this")
        request.state.account = account
        request.state.csrf = csrf
        if request.method not in ("GET", "HEAD"):
            if csrf is not None:  # a browser session: the form or header must carry the token
                given = request.headers.get("x-csrf-token", "")
                if not given and is_form(request):
                    given = str((await request.form()).get("csrf_token", ""))
                if not hmac.compare_digest(given.encode(), csrf.encode()):
                    raise AccessDenied("missing or wrong CSRF token: reload the page")
            self.rate(request, account)

    async def _principal(self, request: Request) -> tuple[Account | None, str | None]:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            found = await run_in_threadpool(self.people.api_token, auth[7:].strip())
            return found, None
        token = request.cookies.get(COOKIE)
        if token:
            session = await run_in_threadpool(self.people.session, token)
            if session is not None:
                return session
        return None, None

    def rate(self, request: Request, account: Account | None) -> None:
        """A signed-in caller's writes are limited per account (many witnesses behind one
        NAT each have their own), an anonymous caller's per address."""
        if account is not None:
            if not self.limits.account.take(account.id):
                raise RateLimited("too many requests from this account: wait a little")
            return
        address = request.client.host if request.client else "?"
        if not self.limits.address.take(address):
            raise RateLimited("too many requests from this address: wait a little")

    # ----------------------------------------------------------------- pages

    def page(self, request: Request, name: str, status: int = 200, **data: Any) -> Response:
        lang = lang_of(request)
        catalog = self.catalogs[lang]
        account = getattr(request.state, "account", None)
        html = self.env.get_template(f"people_{name}.html").render(
            t=catalog,
            lang=lang,
            account=account,
            csrf=getattr(request.state, "csrf", None) or "",
            candidates=self.svc.election.candidates,
            options=self.svc.election.options,
            **data,
        )
        resp = Response(html, status, media_type="text/html; charset=utf-8", headers=NO_STORE)
        remember = lang_cookie(request).get("set-cookie")
        if remember:  # as the portal does: the language asked for sticks across forms
            resp.headers.append("set-cookie", remember)
        return resp


def is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))


def reply_json(data: Any, status: int = 200) -> Response:
    return EscapedJSON(data, status, headers=NO_STORE)


def see_other(url: str, headers: dict[str, str] | None = None) -> Response:
    return RedirectResponse(url, 303, headers={**NO_STORE, **(headers or {})})


def caller(request: Request) -> Account:
    """The signed-in account the guard found for this request."""
    account = getattr(request.state, "account", None)
    assert isinstance(account, Account)
    return account


def whole_number(value: Any, what: str) -> int:
    """A whole number from a form or JSON field, 0 to :data:`ID_MAX` (a database id)."""
    try:
        n = int(str(value)[:40]) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise InputError(f"{what} is a whole number") from None
    if not 0 <= n <= ID_MAX:
        raise InputError(f"{what} is a whole number from 0 to {ID_MAX}")
    return n


async def read_body(request: Request) -> dict[str, Any]:
    """The fields of a form, or the JSON object, the request carries."""
    if is_form(request):
        return {k: v for k, v in (await request.form()).items()}
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise InputError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("the body is a JSON object")
    return data
