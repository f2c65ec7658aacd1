"""A reviewer's queue of tables, every version of one side by side, and the decision.

A reviewer resolves a table (choosing a version, or typing the counts), escalates
it, or approves or rejects another reviewer's proposal (:mod:`actas.app.people.review`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from actas.core.errors import InputError
from actas.web.access import roles
from actas.web.people.context import (
    PeopleWeb,
    caller,
    read_body,
    reply_json,
    see_other,
    whole_number,
)

__all__ = ["add_review_routes"]

REVIEW = ("reviewer", "coordinator")


def add_review_routes(app: FastAPI, web: PeopleWeb) -> None:
    rv = web.review

    @app.get("/api/v1/review", summary="Reviewer: tables to review", **roles(*REVIEW))
    async def queue_api(request: Request) -> Response:
        return reply_json({"tables": await run_in_threadpool(rv.queue)})

    @app.get("/people/review", summary="Reviewer: tables to review (page)", **roles(*REVIEW))
    async def queue_page(request: Request) -> Response:
        return web.page(request, "review_list", tables=await run_in_threadpool(rv.queue))

    @app.get(
        "/api/v1/review/{table_id}", summary="Reviewer: every version of a table", **roles(*REVIEW)
    )
    async def view_api(request: Request, table_id: str) -> Response:
        return reply_json(await run_in_threadpool(rv.view, caller(request), table_id))

    @app.get(
        "/people/review/{table_id}", summary="Reviewer: versions side by side", **roles(*REVIEW)
    )
    async def view_page(request: Request, table_id: str) -> Response:
        data = await run_in_threadpool(rv.view, caller(request), table_id)
        return web.page(request, "review", view=data)

    async def decide(request: Request, table_id: str) -> dict[str, Any]:
        body = await read_body(request)
        me, reason = caller(request), str(body.get("reason", ""))
        action = str(body.get("action", "resolve"))
        seen = body.get("as_of")
        as_of = None if seen in (None, "") else whole_number(seen, "as_of")
        if action == "escalate":
            return await run_in_threadpool(rv.escalate, me, table_id, reason, as_of)
        if action in ("approve", "reject"):
            proposal = whole_number(body.get("proposal"), "proposal")
            settle = rv.approve if action == "approve" else rv.reject
            return await run_in_threadpool(settle, me, table_id, proposal, reason)
        if action != "resolve":
            raise InputError("action is resolve, escalate, approve or reject")
        chosen = body.get("chosen_seq")
        if chosen not in (None, ""):
            return await run_in_threadpool(
                lambda: rv.resolve(
                    me, table_id, reason, chosen_seq=whole_number(chosen, "chosen_seq"), as_of=as_of
                )
            )
        options = body.get("options")
        if options is None:
            options = [body.get(f"card_{i}") for i in range(len(web.svc.election.options))]
        if not isinstance(options, list):
            raise InputError("options is a list of counts")
        return await run_in_threadpool(
            lambda: rv.resolve(
                me, table_id, reason, options=options, null=body.get("null"), as_of=as_of
            )
        )

    @app.post(
        "/api/v1/review/{table_id}", summary="Reviewer: resolve or escalate", **roles(*REVIEW)
    )
    async def decide_api(request: Request, table_id: str) -> Response:
        return reply_json(await decide(request, table_id), 201)

    @app.post(
        "/people/review/{table_id}",
        summary="Reviewer: resolve or escalate (form)",
        **roles(*REVIEW),
    )
    async def decide_page(request: Request, table_id: str) -> Response:
        await decide(request, table_id)
        return see_other("/people/review")
