"""Signing in and out, the start page, API tokens and invitations.

The sign-in and invitation forms are posted before there is a session, so they
carry a double-submit token of their own (the ``actas_form`` cookie) in place of
the session's CSRF token. Also here: a coordinator's invitation link and role or
status change through the API (``/api/v1/invitations``, ``/api/v1/accounts/{id}``);
the account pages are in :mod:`actas.web.people.accounts`.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from actas.app.people.accounts import RateLimited, check_status_change
from actas.app.people.signin import login_key
from actas.core.errors import AccessDenied, InputError
from actas.web.access import PUBLIC, roles
from actas.web.people.context import (
    COOKIE,
    PeopleWeb,
    caller,
    is_form,
    read_body,
    reply_json,
    see_other,
)

__all__ = ["add_session_routes"]

PRE = "actas_form"  # double-submit token of the forms used before signing in
ANY = ("witness", "volunteer", "reviewer", "coordinator")


def _cookie(web: PeopleWeb, name: str, value: str, max_age: int) -> str:
    secure = "; Secure" if web.secure_cookies else ""
    return f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"


async def _pre_form(request: Request) -> dict[str, Any]:
    """The fields of a form posted before signing in, its double-submit token checked."""
    form = await request.form()
    given = str(form.get("csrf_token", ""))
    expected = request.cookies.get(PRE, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise AccessDenied("missing or wrong form token: reload the page")
    return {k: v for k, v in form.items()}


def _pre_page(web: PeopleWeb, request: Request, name: str, **data: Any) -> Response:
    token = request.cookies.get(PRE) or secrets.token_urlsafe(24)
    request.state.csrf = token
    resp = web.page(request, name, **data)
    resp.headers.append("set-cookie", _cookie(web, PRE, token, 3600))
    return resp


def add_session_routes(app: FastAPI, web: PeopleWeb) -> None:
    people = web.people

    @app.get("/people/login", summary="Sign-in form", **PUBLIC)
    async def login_form(request: Request) -> Response:
        return _pre_page(web, request, "login", error="")

    @app.post("/people/login", summary="Sign in (sets the session cookie)", **PUBLIC)
    async def login(request: Request) -> Response:
        form = await _pre_form(request)
        address = request.client.host if request.client else "?"
        name = str(form.get("name", ""))[:320]
        if not web.limits.login.take(address) or not web.limits.login_name.take(login_key(name)):
            raise RateLimited("too many sign-in attempts: wait a minute")
        account = await run_in_threadpool(people.authenticate, name, str(form.get("password", "")))
        if account is None:
            return _pre_page(web, request, "login", error="people.login_failed")
        token, _ = await run_in_threadpool(people.new_session, account)
        return see_other("/people", {"set-cookie": _cookie(web, COOKIE, token, 12 * 3600)})

    @app.post("/people/logout", summary="Sign out", **roles(*ANY))
    async def logout(request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        if token:
            await run_in_threadpool(people.end_session, token)
        return see_other("/people/login", {"set-cookie": _cookie(web, COOKIE, "", 0)})

    @app.get("/people", summary="The signed-in person's start page", **roles(*ANY))
    async def people_home(request: Request) -> Response:
        me = caller(request)
        stats = await run_in_threadpool(web.transcription.stats, me)
        return web.page(request, "home", stats=stats, invite_url="", token="")

    @app.get("/api/v1/me", summary="The signed-in account", **roles(*ANY))
    async def me_json(request: Request) -> Response:
        me = caller(request)
        stats = await run_in_threadpool(web.transcription.stats, me)
        return reply_json({**me.public_json(), "transcription": stats})

    @app.post("/api/v1/tokens", summary="A new API token for the caller", **roles(*ANY))
    async def new_token(request: Request) -> Response:
        token = await run_in_threadpool(people.new_api_token, caller(request), "api")
        return reply_json({"token": token}, 201)

    @app.post("/api/v1/invitations", summary="A single-use invitation link", **roles("coordinator"))
    async def invite(request: Request) -> Response:
        role = await _field(request, "role")
        token = await run_in_threadpool(people.invite, role, caller(request))
        url = f"/people/invitations/{token}"
        if is_form(request):
            return web.page(request, "home", stats=None, invite_url=url, token="")
        return reply_json({"url": url, "role": role}, 201)

    @app.get("/people/invitations/{token}", summary="Accept an invitation: form", **PUBLIC)
    async def invitation_form(request: Request, token: str) -> Response:
        role = await run_in_threadpool(people.invitation_role, token)
        return _pre_page(web, request, "invite", role=str(role), token=token, error="")

    @app.post("/people/invitations/{token}", summary="Accept an invitation", **PUBLIC)
    async def invitation_accept(request: Request, token: str) -> Response:
        form = await _pre_form(request)
        web.rate(request, None)
        account = await run_in_threadpool(
            people.accept,
            token,
            str(form.get("name", "")),
            str(form.get("password", "")),
            str(form.get("email", "")),
        )
        session, _ = await run_in_threadpool(people.new_session, account)
        return see_other("/people", {"set-cookie": _cookie(web, COOKIE, session, 12 * 3600)})

    @app.post(
        "/api/v1/accounts/{account_id}", summary="Change a role or status", **roles("coordinator")
    )
    async def account_change(request: Request, account_id: str) -> Response:
        body = await read_body(request)
        me = caller(request)
        if "status" in body:  # a refused status must not leave a role changed
            check_status_change(str(body["status"]), str(body.get("reason", "")))
        if "role" in body:
            await run_in_threadpool(people.set_role, account_id, str(body["role"]), me)
        if "status" in body:
            await run_in_threadpool(
                people.set_status, account_id, str(body["status"]), str(body.get("reason", "")), me
            )
        found = await run_in_threadpool(people.get, account_id)
        return reply_json(found.public_json())


async def _field(request: Request, name: str) -> str:
    value = (await read_body(request)).get(name)
    if not isinstance(value, str) or not value:
        raise InputError(f"{name} is required")
    return value
