"""A witness's photo uploads, what was read from them, their confirmation, and receipts.

An upload is logged as received whatever it holds; with ``ACTAS_QUEUE=on`` it is
stored and its decoding queued (:mod:`actas.app.photos.uploads`), otherwise it is
read at once, and a photo nothing could be read from goes to the transcribers.
A receipt (leaf hash and, once checkpointed, the inclusion proof) is public.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from actas.app.people.accounts import Account, Role, log_action
from actas.app.photos.ingest import ingest_photo
from actas.app.photos.uploads import decode_failures, received_photo
from actas.app.service import Service
from actas.core.errors import InputError, NotFound
from actas.core.model import SubmissionKind
from actas.web.access import PUBLIC, roles
from actas.web.people.context import (
    LEAF,
    PeopleWeb,
    TooLarge,
    caller,
    read_body,
    reply_json,
    see_other,
)

__all__ = ["add_witness_routes"]


def add_witness_routes(app: FastAPI, web: PeopleWeb) -> None:
    svc = web.svc
    limit = svc.settings.max_upload

    async def upload(request: Request) -> dict[str, Any]:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit + 64 * 1024:
            raise TooLarge(f"the upload is larger than the limit of {limit:,} bytes")
        form = await request.form(max_files=1, max_fields=8)
        try:
            photo = form.get("photo")
            if not isinstance(photo, UploadFile):
                raise InputError("send the photo in the field 'photo'")
            data = await photo.read(limit + 1)
            if len(data) > limit:
                raise TooLarge(f"the photo is larger than the limit of {limit:,} bytes")
            claimed = str(form.get("table", "")).strip() or None
        finally:
            await form.close()
        me = caller(request)
        return await run_in_threadpool(_ingest, web, data, claimed, me)

    @app.post("/api/v1/uploads", summary="A witness's acta photo", **roles("witness"))
    async def upload_api(request: Request) -> Response:
        return reply_json(await upload(request), 201)

    @app.get("/people/upload", summary="Witness: take or choose a photo", **roles("witness"))
    async def upload_form(request: Request) -> Response:
        return web.page(request, "upload")

    @app.post("/people/upload", summary="Witness: send a photo (form)", **roles("witness"))
    async def upload_page(request: Request) -> Response:
        result = await upload(request)
        seq = result["seq"]
        if result.get("duplicate"):
            try:
                await run_in_threadpool(_upload_view, web, seq, caller(request))
            except NotFound:  # someone else sent this photo first: its receipt
                return see_other(f"/people/receipts/{seq}")
        return see_other(f"/people/uploads/{seq}")

    @app.get("/people/uploads/{seq}", summary="Witness: what was read", **roles("witness"))
    async def upload_result(request: Request, seq: LEAF) -> Response:
        data = await run_in_threadpool(_upload_view, web, seq, caller(request))
        return web.page(request, "upload_result", upload=data)

    @app.get("/api/v1/uploads/{seq}", summary="Witness: what was read (JSON)", **roles("witness"))
    async def upload_result_json(request: Request, seq: LEAF) -> Response:
        return reply_json(await run_in_threadpool(_upload_view, web, seq, caller(request)))

    async def confirm(request: Request, seq: int) -> dict[str, Any]:
        body = await read_body(request)
        agree = str(body.get("agree", "")).lower() in ("1", "true", "yes")
        note = str(body.get("note", ""))[:1000]
        return await run_in_threadpool(_confirm, web, seq, caller(request), agree, note)

    @app.post(
        "/api/v1/uploads/{seq}/confirm", summary="Witness: right or wrong", **roles("witness")
    )
    async def confirm_api(request: Request, seq: LEAF) -> Response:
        return reply_json(await confirm(request, seq), 201)

    @app.post(
        "/people/uploads/{seq}/confirm",
        summary="Witness: right or wrong (form)",
        **roles("witness"),
    )
    async def confirm_page(request: Request, seq: LEAF) -> Response:
        await confirm(request, seq)
        return see_other(f"/people/receipts/{seq}")

    @app.get("/api/v1/receipts/{seq}", summary="A receipt: leaf hash and inclusion proof", **PUBLIC)
    async def receipt_api(request: Request, seq: LEAF) -> Response:
        return reply_json(await run_in_threadpool(_receipt, svc, seq))

    @app.get("/people/receipts/{seq}", summary="A receipt page", **PUBLIC)
    async def receipt_page(request: Request, seq: LEAF) -> Response:
        data = await run_in_threadpool(_receipt, svc, seq)
        return web.page(request, "receipt", receipt=data)


def _ingest(web: PeopleWeb, data: bytes, claimed: str | None, me: Account) -> dict[str, Any]:
    svc = web.svc
    if claimed is not None:
        try:
            svc.election.scheme.split(claimed)
        except ValueError:
            claimed = None  # a mistyped table is not a reason to lose the photo
    if (
        web.uploads is not None
    ):  # stored, receipt logged, decoding queued (actas.app.photos.uploads)
        reply = web.uploads.receive(
            svc, data, "witness-upload", claimed_table=claimed, actor=me.actor
        )
        with svc.store.read() as conn:
            leaf_hash = svc.store.submission(reply["seq"], conn).leaf_hash.hex()
        return {
            **reply,
            "queued": reply["status"] == "queued",  # a pending photo sent again: its receipt
            "leaf_hash": leaf_hash,
            "receipt": f"/api/v1/receipts/{reply['seq']}",
        }
    result = ingest_photo(
        svc, data, "witness-upload", claimed_table=claimed, actor=me.actor, channel="photo"
    )
    seq = result["seq"]
    queued = False
    leaf_hash = ""
    if seq is not None:
        with svc.store.write() as conn:
            sub = svc.store.submission(seq, conn)
            leaf_hash = sub.leaf_hash.hex()
            # nothing read from it, now or when first sent (a duplicate's reply has no
            # counts): people transcribe it, once however often it is sent
            if sub.counts is None:
                table = result.get("table_id", sub.table_id)
                web.transcription.enqueue(conn, result["sha256"], seq, table, "no_qr")
                queued = web.transcription.waiting(conn, result["sha256"])
    return {
        **result,
        "queued": queued,
        "leaf_hash": leaf_hash,
        "receipt": f"/api/v1/receipts/{seq}",
    }


def _upload_view(web: PeopleWeb, seq: int, me: Account) -> dict[str, Any]:
    with web.svc.store.read() as conn:
        try:
            sub = web.svc.store.submission(seq, conn)
        except NotFound:
            raise NotFound("no such upload") from None
    if sub.actor != me.actor and me.role is not Role.ADMIN:
        raise NotFound("no such upload of yours")
    photo = received_photo(sub)  # a queued upload's receipt: its photo, once decoded
    if photo is not None:
        with web.svc.store.read() as conn:
            decoded = web.svc.store.seqs_by_blob(photo, conn)
            failed = decode_failures(conn, [photo]).get(photo) if not decoded else None
        if decoded:
            return {**_upload_view(web, decoded[0], me), "receipt_seq": seq}
        return {
            "failed": failed is not None,  # its decode job failed for good (actas jobs)
            "error": failed["error"] if failed else None,
            "seq": seq,
            "sha256": photo,
            "leaf_hash": sub.leaf_hash.hex(),
            "table_id": sub.table_id,
            "read": False,
            "pending": True,
            "candidates": [],
            "null": None,
            "findings": [],
        }
    if sub.kind != "photo":
        raise NotFound("no such upload of yours")
    counts = sub.counts
    election = web.svc.election
    return {
        "seq": seq,
        "sha256": sub.blob_sha256,
        "leaf_hash": sub.leaf_hash.hex(),
        "table_id": sub.table_id,
        "read": counts is not None,
        "candidates": [
            {"name": c.name, "votes": v}
            for c, v in zip(election.candidates, counts.votes if counts else (), strict=False)
        ],
        "null": counts.null if counts else None,
        "findings": [f.code for f in sub.findings],
        "pending": False,
        "failed": False,
        "error": None,
    }


def _confirm(web: PeopleWeb, seq: int, me: Account, agree: bool, note: str) -> dict[str, Any]:
    view = _upload_view(web, seq, me)
    if view["pending"]:
        raise InputError("the photo is still being read: confirm it once its numbers are shown")
    seq = view["seq"]  # the photo's leaf (a queued upload's receipt has its own)
    svc = web.svc
    body = {
        "event": "witness.confirmed" if agree else "witness.disputed",
        "photo": view["sha256"],
        "photo_seq": seq,
        "note": note,
    }
    with svc.store.write() as conn:
        event = log_action(
            svc, conn, SubmissionKind.EVENT, body, me.actor, table_id=view["table_id"]
        )
        queued = False
        if not agree:
            queued = web.transcription.enqueue(
                conn, view["sha256"], seq, view["table_id"], "disputed"
            )
    return {"seq": event, "agree": agree, "queued": queued}


def _receipt(svc: Service, seq: int) -> dict[str, Any]:
    with svc.store.read() as conn:
        sub = svc.store.submission(seq, conn)
    out: dict[str, Any] = {
        "seq": seq,
        "kind": sub.kind,
        "leaf_hash": sub.leaf_hash.hex(),
        "received_at": sub.received_at,
        "proof": None,
    }
    with contextlib.suppress(NotFound):  # not yet in a checkpoint: the receipt says so
        out["proof"] = svc.log.inclusion(seq)
    return out
