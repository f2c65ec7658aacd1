"""The people's routes: sign-in, invitations, witness uploads, transcription, review.

Pages under ``/people/…`` (mobile-first HTML, templates ``people_*.html``) and their
API twins under ``/api/v1/…``. Every route declares its roles (``access.roles``);
the guard installed here authenticates (session cookie or ``Authorization:
Bearer`` API token), checks the role, the CSRF token of cookie-authenticated
writes (per-session, constant-time compare) and the rate limits (in-process
token buckets: see :mod:`actas.app.people.limits` for multi-process deployments).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from actas.app.people.accounts import (
    Account,
    NotSignedIn,
    People,
    RateLimited,
    Role,
    check_status_change,
    log_action,
)
from actas.app.people.limits import Buckets
from actas.app.people.review import Review
from actas.app.people.transcription import Transcription
from actas.app.photos.ingest import ingest_photo
from actas.app.photos.uploads import QueuedUploads, decode_failures, received_photo
from actas.app.service import Service
from actas.core.errors import AccessDenied, ActasError, InputError, NotFound
from actas.core.model import SubmissionKind
from actas.web.access import PUBLIC, roles
from actas.web.cache import SECURITY_HEADERS
from actas.web.i18n import load_catalogs
from actas.web.serve import lang_cookie, lang_of

__all__ = ["Limits", "PeopleWeb", "TooLarge", "add_people"]

COOKIE = "actas_session"
PRE = "actas_form"  # double-submit token of the forms used before signing in
TEMPLATES = Path(__file__).parent / "templates"
NO_STORE = {**SECURITY_HEADERS, "cache-control": "no-store"}
ANY = ("witness", "volunteer", "reviewer", "coordinator")
REVIEW = ("reviewer", "coordinator")
PHOTO_VIEWERS = ("volunteer", "reviewer", "coordinator")
_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


class TooLarge(ActasError):
    code = "too_large"
    http_status = 413


@dataclass
class Limits:
    """Token buckets: writes per account and per address, sign-in attempts per address."""

    account: Buckets = field(default_factory=lambda: Buckets(rate=1.0, burst=30))
    address: Buckets = field(default_factory=lambda: Buckets(rate=5.0, burst=120))
    login: Buckets = field(default_factory=lambda: Buckets(rate=0.2, burst=10))


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
                if not given and _is_form(request):
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
        address = request.client.host if request.client else "?"
        if not self.limits.address.take(address):
            raise RateLimited("too many requests from this address: wait a little")
        if account is not None and not self.limits.account.take(account.id):
            raise RateLimited("too many requests from this account: wait a little")

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


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))


def _json(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status, headers=NO_STORE)


def _see_other(url: str, headers: dict[str, str] | None = None) -> Response:
    return RedirectResponse(url, 303, headers={**NO_STORE, **(headers or {})})


def _me(request: Request) -> Account:
    account = getattr(request.state, "account", None)
    assert isinstance(account, Account)
    return account


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} is a whole number") from None


def add_people(app: FastAPI, svc: Service, limits: Limits | None = None) -> PeopleWeb:
    """Register the people's routes and the guard on ``app``."""
    from actas.web.people_admin import add_account_routes  # it builds on this module's helpers

    people = People(svc)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    web = PeopleWeb(
        svc, people, Transcription(people), Review(people), limits or Limits(), env, load_catalogs()
    )
    app.state.guard = web.guard
    app.state.people = web
    _add_session_routes(app, web)
    _add_witness_routes(app, web)
    _add_transcription_routes(app, web)
    _add_review_routes(app, web)
    add_account_routes(app, web)
    return web


# --------------------------------------------------------------------------- sessions


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


def _add_session_routes(app: FastAPI, web: PeopleWeb) -> None:
    people = web.people

    @app.get("/people/login", summary="Sign-in form", **PUBLIC)
    async def login_form(request: Request) -> Response:
        return _pre_page(web, request, "login", error="")

    @app.post("/people/login", summary="Sign in (sets the session cookie)", **PUBLIC)
    async def login(request: Request) -> Response:
        form = await _pre_form(request)
        address = request.client.host if request.client else "?"
        name = str(form.get("name", ""))[:320]
        if not web.limits.login.take(address) or not web.limits.login.take("name:" + name):
            raise RateLimited("too many sign-in attempts: wait a minute")
        account = await run_in_threadpool(people.authenticate, name, str(form.get("password", "")))
        if account is None:
            return _pre_page(web, request, "login", error="people.login_failed")
        token, _ = await run_in_threadpool(people.new_session, account)
        return _see_other("/people", {"set-cookie": _cookie(web, COOKIE, token, 12 * 3600)})

    @app.post("/people/logout", summary="Sign out", **roles(*ANY))
    async def logout(request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        if token:
            await run_in_threadpool(people.end_session, token)
        return _see_other("/people/login", {"set-cookie": _cookie(web, COOKIE, "", 0)})

    @app.get("/people", summary="The signed-in person's start page", **roles(*ANY))
    async def people_home(request: Request) -> Response:
        me = _me(request)
        stats = await run_in_threadpool(web.transcription.stats, me)
        return web.page(request, "home", stats=stats, invite_url="", token="")

    @app.get("/api/v1/me", summary="The signed-in account", **roles(*ANY))
    async def me_json(request: Request) -> Response:
        me = _me(request)
        stats = await run_in_threadpool(web.transcription.stats, me)
        return _json({**me.public_json(), "transcription": stats})

    @app.post("/api/v1/tokens", summary="A new API token for the caller", **roles(*ANY))
    async def new_token(request: Request) -> Response:
        token = await run_in_threadpool(people.new_api_token, _me(request), "api")
        return _json({"token": token}, 201)

    @app.post("/api/v1/invitations", summary="A single-use invitation link", **roles("coordinator"))
    async def invite(request: Request) -> Response:
        role = await _field(request, "role")
        token = await run_in_threadpool(people.invite, role, _me(request))
        url = f"/people/invitations/{token}"
        if _is_form(request):
            return web.page(request, "home", stats=None, invite_url=url, token="")
        return _json({"url": url, "role": role}, 201)

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
        return _see_other("/people", {"set-cookie": _cookie(web, COOKIE, session, 12 * 3600)})

    @app.post(
        "/api/v1/accounts/{account_id}", summary="Change a role or status", **roles("coordinator")
    )
    async def account_change(request: Request, account_id: str) -> Response:
        body = await _body(request)
        me = _me(request)
        if "status" in body:  # a refused status must not leave a role changed
            check_status_change(str(body["status"]), str(body.get("reason", "")))
        if "role" in body:
            await run_in_threadpool(people.set_role, account_id, str(body["role"]), me)
        if "status" in body:
            await run_in_threadpool(
                people.set_status, account_id, str(body["status"]), str(body.get("reason", "")), me
            )
        found = await run_in_threadpool(people.get, account_id)
        return _json(found.public_json())


async def _body(request: Request) -> dict[str, Any]:
    if _is_form(request):
        return {k: v for k, v in (await request.form()).items()}
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise InputError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("the body is a JSON object")
    return data


async def _field(request: Request, name: str) -> str:
    value = (await _body(request)).get(name)
    if not isinstance(value, str) or not value:
        raise InputError(f"{name} is required")
    return value


# --------------------------------------------------------------------------- witnesses


def _add_witness_routes(app: FastAPI, web: PeopleWeb) -> None:
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
        me = _me(request)
        return await run_in_threadpool(_ingest, web, data, claimed, me)

    @app.post("/api/v1/uploads", summary="A witness's acta photo", **roles("witness"))
    async def upload_api(request: Request) -> Response:
        return _json(await upload(request), 201)

    @app.get("/people/upload", summary="Witness: take or choose a photo", **roles("witness"))
    async def upload_form(request: Request) -> Response:
        return web.page(request, "upload")

    @app.post("/people/upload", summary="Witness: send a photo (form)", **roles("witness"))
    async def upload_page(request: Request) -> Response:
        result = await upload(request)
        seq = result["seq"]
        if result.get("duplicate"):
            try:
                await run_in_threadpool(_upload_view, web, seq, _me(request))
            except NotFound:  # someone else sent this photo first: its receipt
                return _see_other(f"/people/receipts/{seq}")
        return _see_other(f"/people/uploads/{seq}")

    @app.get("/people/uploads/{seq}", summary="Witness: what was read", **roles("witness"))
    async def upload_result(request: Request, seq: int) -> Response:
        data = await run_in_threadpool(_upload_view, web, seq, _me(request))
        return web.page(request, "upload_result", upload=data)

    @app.get("/api/v1/uploads/{seq}", summary="Witness: what was read (JSON)", **roles("witness"))
    async def upload_result_json(request: Request, seq: int) -> Response:
        return _json(await run_in_threadpool(_upload_view, web, seq, _me(request)))

    async def confirm(request: Request, seq: int) -> dict[str, Any]:
        body = await _body(request)
        agree = str(body.get("agree", "")).lower() in ("1", "true", "yes")
        note = str(body.get("note", ""))[:1000]
        return await run_in_threadpool(_confirm, web, seq, _me(request), agree, note)

    @app.post(
        "/api/v1/uploads/{seq}/confirm", summary="Witness: right or wrong", **roles("witness")
    )
    async def confirm_api(request: Request, seq: int) -> Response:
        return _json(await confirm(request, seq), 201)

    @app.post(
        "/people/uploads/{seq}/confirm",
        summary="Witness: right or wrong (form)",
        **roles("witness"),
    )
    async def confirm_page(request: Request, seq: int) -> Response:
        await confirm(request, seq)
        return _see_other(f"/people/receipts/{seq}")

    @app.get("/api/v1/receipts/{seq}", summary="A receipt: leaf hash and inclusion proof", **PUBLIC)
    async def receipt_api(request: Request, seq: int) -> Response:
        return _json(await run_in_threadpool(_receipt, svc, seq))

    @app.get("/people/receipts/{seq}", summary="A receipt page", **PUBLIC)
    async def receipt_page(request: Request, seq: int) -> Response:
        data = await run_in_threadpool(_receipt, svc, seq)
        return web.page(request, "receipt", receipt=data)


def _ingest(web: PeopleWeb, data: bytes, claimed: str | None, me: Account) -> dict[str, Any]:
    svc = web.svc
    if claimed is not None:
        try:
            svc.election.scheme.split(claimed)
        except ValueError:
            claimed = None  # a mistyped table is not a reason to lose the photo
    if web.uploads is not None:  # stored, receipt logged, decoding queued (actas.app.photos.uploads)
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


# --------------------------------------------------------------------------- transcription


def _add_transcription_routes(app: FastAPI, web: PeopleWeb) -> None:
    tr = web.transcription

    @app.get(
        "/api/v1/transcription/next", summary="Volunteer: the next photo", **roles("volunteer")
    )
    async def next_api(request: Request) -> Response:
        await run_in_threadpool(tr.sync)
        task = await run_in_threadpool(tr.next, _me(request))
        return _json({"assignment": task})

    @app.post(
        "/api/v1/transcription/{assignment}", summary="Volunteer: an entry", **roles("volunteer")
    )
    async def entry_api(request: Request, assignment: int) -> Response:
        body = await _body(request)
        options = body.get("options")
        if not isinstance(options, list):
            raise InputError("options is a list of counts, one per card")
        result = await run_in_threadpool(
            tr.submit,
            _me(request),
            assignment,
            str(body.get("table", "")),
            options,
            body.get("null"),
        )
        return _json(result, 201)

    @app.get(
        "/people/transcribe", summary="Volunteer: type the counts of a photo", **roles("volunteer")
    )
    async def transcribe_page(request: Request) -> Response:
        await run_in_threadpool(tr.sync)
        task = await run_in_threadpool(tr.next, _me(request))
        return web.page(request, "transcribe", task=task, done=request.query_params.get("done"))

    @app.post("/people/transcribe", summary="Volunteer: an entry (form)", **roles("volunteer"))
    async def transcribe_post(request: Request) -> Response:
        form = await request.form()
        options = [form.get(f"card_{i}") for i in range(len(web.svc.election.options))]
        await run_in_threadpool(
            tr.submit,
            _me(request),
            _int(form.get("assignment"), "assignment"),
            str(form.get("table", "")).strip(),
            options,
            form.get("null"),
        )
        return _see_other("/people/transcribe?done=1")

    @app.get(
        "/people/photos/{sha256}",
        summary="A photo, for its transcriber or a reviewer",
        **roles(*PHOTO_VIEWERS),
    )
    async def photo(request: Request, sha256: str) -> Response:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise InputError("a photo is named by its SHA-256")
        allowed = await run_in_threadpool(tr.may_see_photo, _me(request), sha256)
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


# --------------------------------------------------------------------------- review


def _add_review_routes(app: FastAPI, web: PeopleWeb) -> None:
    rv = web.review

    @app.get("/api/v1/review", summary="Reviewer: tables to review", **roles(*REVIEW))
    async def queue_api(request: Request) -> Response:
        return _json({"tables": await run_in_threadpool(rv.queue)})

    @app.get("/people/review", summary="Reviewer: tables to review (page)", **roles(*REVIEW))
    async def queue_page(request: Request) -> Response:
        return web.page(request, "review_list", tables=await run_in_threadpool(rv.queue))

    @app.get(
        "/api/v1/review/{table_id}", summary="Reviewer: every version of a table", **roles(*REVIEW)
    )
    async def view_api(request: Request, table_id: str) -> Response:
        return _json(await run_in_threadpool(rv.view, _me(request), table_id))

    @app.get(
        "/people/review/{table_id}", summary="Reviewer: versions side by side", **roles(*REVIEW)
    )
    async def view_page(request: Request, table_id: str) -> Response:
        data = await run_in_threadpool(rv.view, _me(request), table_id)
        return web.page(request, "review", view=data)

    async def decide(request: Request, table_id: str) -> dict[str, Any]:
        body = await _body(request)
        me, reason = _me(request), str(body.get("reason", ""))
        action = str(body.get("action", "resolve"))
        if action == "escalate":
            return await run_in_threadpool(rv.escalate, me, table_id, reason)
        chosen = body.get("chosen_seq")
        if chosen not in (None, ""):
            return await run_in_threadpool(
                lambda: rv.resolve(me, table_id, reason, chosen_seq=_int(chosen, "chosen_seq"))
            )
        options = body.get("options")
        if options is None:
            options = [body.get(f"card_{i}") for i in range(len(web.svc.election.options))]
        if not isinstance(options, list):
            raise InputError("options is a list of counts")
        return await run_in_threadpool(
            lambda: rv.resolve(me, table_id, reason, options=options, null=body.get("null"))
        )

    @app.post(
        "/api/v1/review/{table_id}", summary="Reviewer: resolve or escalate", **roles(*REVIEW)
    )
    async def decide_api(request: Request, table_id: str) -> Response:
        return _json(await decide(request, table_id), 201)

    @app.post(
        "/people/review/{table_id}",
        summary="Reviewer: resolve or escalate (form)",
        **roles(*REVIEW),
    )
    async def decide_page(request: Request, table_id: str) -> Response:
        await decide(request, table_id)
        return _see_other("/people/review")
