"""Account management in the portal: a coordinator's (or administrator's) page.

``/people/accounts`` lists every account (name, role, status and its reason,
pseudonym) and, for the accounts the signed-in person may manage — someone
else's, of a role they may give (``people.accounts.GRANTS``) — offers forms to
change the role, suspend or reactivate with a reason, set a new password, and
revoke API tokens; and forms to create an account or an invitation link. Every
form is a CSRF-protected POST through the people guard; every change is a logged
EVENT leaf (``people.accounts``). A new password is shown once, on the response
to the POST (``no-store``), and never again. JSON twins live under
``/api/v1/accounts``; the listing carries, like the page, ``manageable`` per
account and the ``grantable`` roles of the caller.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from actas.app.people.accounts import Account
from actas.core.errors import InputError
from actas.web.access import roles
from actas.web.people.context import PeopleWeb, caller, read_body, reply_json, see_other

__all__ = ["add_account_routes"]

MANAGERS = ("coordinator",)  # and administrators (access.roles adds them)


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name} is required")
    return value.strip()


def _listing(web: PeopleWeb, me: Account) -> dict[str, Any]:
    people = web.people
    return {
        "accounts": [
            {**a.public_json(), "manageable": people.manageable(me, a)} for a in people.accounts()
        ],
        "grantable": [str(r) for r in people.grantable(me)],
    }


def add_account_routes(app: FastAPI, web: PeopleWeb) -> None:
    people = web.people

    async def page(request: Request, **shown: Any) -> Response:
        data = await run_in_threadpool(_listing, web, caller(request))
        values = {"secret": None, "invite_url": "", **shown}
        return web.page(request, "accounts", **data, **values)

    @app.get("/people/accounts", summary="Accounts: list and manage", **roles(*MANAGERS))
    async def accounts_page(request: Request) -> Response:
        return await page(request)

    async def create(request: Request) -> tuple[Account, str]:
        body = await read_body(request)
        name, role = _field(body, "name"), _field(body, "role")
        email = str(body.get("email", ""))[:320]
        return await run_in_threadpool(
            lambda: people.add(name, role, email=email, by=caller(request))
        )

    @app.get(
        "/api/v1/accounts",
        summary="Every account (no secrets), whether the caller may manage it, and the roles "
        "the caller may give",
        **roles(*MANAGERS),
    )
    async def accounts_api(request: Request) -> Response:
        return reply_json(await run_in_threadpool(_listing, web, caller(request)))

    @app.post("/people/accounts", summary="Accounts: create one (form)", **roles(*MANAGERS))
    async def create_page(request: Request) -> Response:
        account, password = await create(request)
        return await page(request, secret={"name": account.name, "value": password})

    @app.post("/api/v1/accounts", summary="Create an account", **roles(*MANAGERS))
    async def create_api(request: Request) -> Response:
        account, password = await create(request)
        return reply_json({"account": account.public_json(), "password": password}, 201)

    @app.post(
        "/people/accounts/invitations",
        summary="Accounts: an invitation link (form)",
        **roles(*MANAGERS),
    )
    async def invite_page(request: Request) -> Response:
        role = _field(await read_body(request), "role")
        token = await run_in_threadpool(people.invite, role, caller(request))
        return await page(request, invite_url=f"/people/invitations/{token}")

    @app.post(
        "/people/accounts/{account_id}/role",
        summary="Accounts: change a role (form)",
        **roles(*MANAGERS),
    )
    async def role_page(request: Request, account_id: str) -> Response:
        role = _field(await read_body(request), "role")
        await run_in_threadpool(people.set_role, account_id, role, caller(request))
        return see_other("/people/accounts")

    @app.post(
        "/people/accounts/{account_id}/status",
        summary="Accounts: suspend or reactivate (form)",
        **roles(*MANAGERS),
    )
    async def status_page(request: Request, account_id: str) -> Response:
        body = await read_body(request)
        status, reason = _field(body, "status"), str(body.get("reason", ""))
        await run_in_threadpool(people.set_status, account_id, status, reason, caller(request))
        return see_other("/people/accounts")

    async def reset(request: Request, account_id: str) -> dict[str, Any]:
        what = str((await read_body(request)).get("what", "password"))
        me = caller(request)
        if what == "password":
            password = await run_in_threadpool(people.reset_password, account_id, me)
            return {"account_id": account_id, "password": password}
        if what == "tokens":
            n = await run_in_threadpool(people.revoke_tokens, account_id, me)
            return {"account_id": account_id, "tokens_revoked": n}
        raise InputError("what is 'password' or 'tokens'")

    @app.post(
        "/people/accounts/{account_id}/reset",
        summary="Accounts: a new password, or revoke API tokens (form)",
        **roles(*MANAGERS),
    )
    async def reset_page(request: Request, account_id: str) -> Response:
        done = await reset(request, account_id)
        if "password" not in done:
            return see_other("/people/accounts")
        target = await run_in_threadpool(people.get, account_id)
        return await page(request, secret={"name": target.name, "value": done["password"]})

    @app.post(
        "/api/v1/accounts/{account_id}/reset",
        summary="A new password, or revoke API tokens",
        **roles(*MANAGERS),
    )
    async def reset_api(request: Request, account_id: str) -> Response:
        return reply_json(await reset(request, account_id))
