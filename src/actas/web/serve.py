"""Request helpers shared by the portal and the API: negotiation, caching, errors.

One error envelope for every error::

    {"error": {"code": "not_found", "message": "no such table", "status": 404}}

API paths, ``.json`` paths and requests that accept JSON but not HTML get the
envelope; browsers get an HTML error page with the same status, code and
message. Messages never carry markup: JSON escapes ``<``, ``>`` and ``&``, HTML
is autoescaped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from actas.core.errors import InputError
from actas.web.cache import SECURITY_HEADERS, Entry, dump_json, http_date, make_entry, respond
from actas.web.i18n import LANGS, pick_lang
from actas.web.render import Page, ServerLinks
from actas.web.site import Site

__all__ = [
    "cached_json",
    "cached_page",
    "canonical_query",
    "envelope",
    "error_response",
    "lang_cookie",
    "lang_of",
    "wants_json",
]

log = logging.getLogger("actas.web")
VARY_PAGE = "Accept-Encoding, Accept, Cookie"
LANG_COOKIE_AGE = 365 * 24 * 3600


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def lang_of(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))


def lang_cookie(request: Request) -> dict[str, str]:
    """Headers that remember a language asked for with ``?lang=`` (none otherwise)."""
    asked = request.query_params.get("lang")
    if asked in LANGS and asked != request.cookies.get("lang"):
        return {
            "set-cookie": f"lang={asked}; Path=/; Max-Age={LANG_COOKIE_AGE}; SameSite=Lax",
            "cache-control": "private, max-age=0",
        }
    return {}


def canonical_query(request: Request, *, refuse_unknown: bool) -> bytes:
    """The query string reduced to the route's declared parameters, sorted by name.

    Cache keys are built from it, so a parameter the route does not read cannot make
    a new entry. Unknown parameters are refused (``InputError``, a 400) when
    ``refuse_unknown`` (the API), and ignored otherwise (pages; ``lang`` is known to
    every page). A repeated parameter counts once, with its last value, as the
    route itself reads it.
    """
    route = request.scope.get("route")
    declared = (
        {p.alias for p in route.dependant.query_params} if isinstance(route, APIRoute) else set()
    )
    if not refuse_unknown:
        declared.add("lang")
    kept: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in declared:
            kept[name] = value
        elif refuse_unknown:
            known = ", ".join(sorted(declared)) or "none"
            raise InputError(
                f"unknown query parameter {name[:40]!r} (this endpoint takes: {known})"
            )
    return urlencode(sorted(kept.items()), quote_via=quote).encode("ascii")


async def cached_page(
    request: Request,
    site: Site,
    page: Page,
    build: Callable[[], dict[str, Any]],
    json_twin: bool | None = None,
) -> Response:
    """A portal page as HTML, or its JSON twin, from the cache when the data has not changed."""
    as_json = wants_json(request) if json_twin is None else json_twin
    snap = site.snap()
    lang = lang_of(request)
    key: Hashable = ("page", page, "json" if as_json else lang, snap.key)
    entry = site.cache.peek(key)
    if entry is None:

        def make() -> Entry:
            data = build()
            if as_json:
                return make_entry(dump_json(data), "application/json")
            html = site.html(page, data, ServerLinks(page, lang), snap)
            return make_entry(html.encode("utf-8"), "text/html; charset=utf-8")

        entry = await run_in_threadpool(make)
        site.cache.put(key, entry)
    modified = http_date(snap.modified)
    cookie = lang_cookie(request)
    if "lang" not in request.query_params:
        variant = "json" if as_json else lang
        canonical = canonical_query(request, refuse_unknown=False)
        _remember(site, request, canonical, variant, snap.key, entry, modified, VARY_PAGE)
    return respond(request, entry, modified, VARY_PAGE, extra=cookie)


async def cached_json(request: Request, site: Site, build: Callable[[], Any]) -> Response:
    """An API read from the cache, keyed by path, canonical query and the data version."""
    canonical = canonical_query(request, refuse_unknown=True)
    snap = site.snap()
    key: Hashable = ("api", request.scope["path"], canonical, snap.key)
    entry = site.cache.peek(key)
    if entry is None:

        def make() -> Entry:
            return make_entry(dump_json(build()), "application/json")

        entry = await run_in_threadpool(make)
        site.cache.put(key, entry)
    modified = http_date(snap.modified)
    _remember(site, request, canonical, "api", snap.key, entry, modified, "Accept-Encoding")
    return respond(request, entry, modified, "Accept-Encoding")


def _remember(
    site: Site,
    request: Request,
    canonical: bytes,
    variant: str,
    version: Hashable,
    entry: Entry,
    modified: str | None,
    vary: str,
) -> None:
    """Let the fast path answer the next identical request (see ``fastpath``).

    Only a request whose query string is already canonical is remembered: the fast
    path matches raw query strings, and any other spelling would be one more entry.
    """
    if request.scope["query_string"] != canonical:
        return
    key = (request.scope["path"], canonical, variant, version)
    site.fast.remember(key, entry, modified, vary)


def envelope(status: int, code: str, message: str) -> bytes:
    return dump_json({"error": {"code": code, "message": message, "status": status}})


SUMMARIES = {400: "error.bad_request", 404: "error.not_found", 405: "error.method"}


def error_response(
    request: Request,
    site: Site | None,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response:
    base = {**SECURITY_HEADERS, "cache-control": "no-store", **(headers or {})}
    if site is not None and not wants_json(request):
        try:
            lang = lang_of(request)
            page = Page("error")
            summary = SUMMARIES.get(status, "error.bad_request" if status < 500 else "error.server")
            data = {"status": status, "code": code, "message": message, "summary": summary}
            html = site.html(page, data, ServerLinks(page, lang), site.snap())
            return Response(
                html, status_code=status, media_type="text/html; charset=utf-8", headers=base
            )
        except Exception:  # the error page itself failed (e.g. the store is down)
            log.exception("cannot render the error page")
    return Response(
        envelope(status, code, message),
        status_code=status,
        media_type="application/json",
        headers=base,
    )
