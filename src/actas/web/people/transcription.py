"""A volunteer's double entry: the next photo, its counts typed in, the photo itself.

The photo is served only to the volunteer it is assigned to and to reviewers
(:meth:`actas.app.people.transcription.Transcription.may_see_photo`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from actas.app.service import Service
from actas.core.errors import AccessDenied, InputError, NotFound
from actas.web.access import roles
from actas.web.people.context import (
    NO_STORE,
    ROW_ID,
    PeopleWeb,
    caller,
    read_body,
    reply_json,
    see_other,
    whole_number,
)

__all__ = ["add_transcription_routes"]

PHOTO_VIEWERS = ("volunteer", "reviewer", "coordinator")
_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def add_transcription_routes(app: FastAPI, web: PeopleWeb) -> None:
    tr = web.transcription

    @app.get(
        "/api/v1/transcription/next", summary="Volunteer: the next photo", **roles("volunteer")
    )
    async def next_api(request: Request) -> Response:
        await run_in_threadpool(tr.sync)
        task = await run_in_threadpool(tr.next, caller(request))
        return reply_json({"assignment": task})

    @app.get(
        "/api/v1/transcription/queue",
        summary="Volunteer: how many photos wait, and the oldest's age",
        **roles("volunteer"),
    )
    async def queue_api(request: Request) -> Response:
        caller(request)
        return reply_json(await run_in_threadpool(tr.queue))

    @app.post(
        "/api/v1/transcription/{assignment}", summary="Volunteer: an entry", **roles("volunteer")
    )
    async def entry_api(request: Request, assignment: ROW_ID) -> Response:
        body = await read_body(request)
        options = body.get("options")
        if not isinstance(options, list):
            raise InputError("options is a list of counts, one per card")
        result = await run_in_threadpool(
            tr.submit,
            caller(request),
            assignment,
            str(body.get("table", "")),
            options,
            body.get("null"),
        )
        return reply_json(result, 201)

    @app.get(
        "/people/transcribe", summary="Volunteer: type the counts of a photo", **roles("volunteer")
    )
    async def transcribe_page(request: Request) -> Response:
        await run_in_threadpool(tr.sync)
        task = await run_in_threadpool(tr.next, caller(request))
        return web.page(request, "transcribe", task=task, done=request.query_params.get("done"))

    @app.post("/people/transcribe", summary="Volunteer: an entry (form)", **roles("volunteer"))
    async def transcribe_post(request: Request) -> Response:
        form = await request.form()
        options = [form.get(f"card_{i}") for i in range(len(web.svc.election.options))]
        await run_in_threadpool(
            tr.submit,
            caller(request),
            whole_number(form.get("assignment"), "assignment"),
            str(form.get("table", "")).strip(),
            options,
            form.get("null"),
        )
        return see_other("/people/transcribe?done=1")

    @app.get(
        "/people/photos/{sha256}",
        summary="A photo, for its transcriber or a reviewer",
        **roles(*PHOTO_VIEWERS),
    )
    async def photo(request: Request, sha256: str) -> Response:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise InputError("a photo is named by its SHA-256")
        allowed = await run_in_threadpool(tr.may_see_photo, caller(request), sha256)
        if not allowed:
            raise AccessDenied("this photo is not assigned to you")
        data = await run_in_threadpool(_blob, web.svc, sha256)
        media = next((m for magic, m in _IMAGE_MAGIC if data.startswith(magic)), None)
        if media is None:
            raise NotFound("the stored blob is not a JPEG or PNG image")
        return Response(
            data, media_type=media, headers={**NO_STORE, "cache-control": "private, no-store"}
        )


def _blob(svc: Service, sha256: str) -> bytes:
    from actas.adapters.blobs import open_blobs

    return open_blobs(svc.settings.blobs, svc.settings.s3_endpoint).get(sha256)
