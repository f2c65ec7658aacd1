"""The portal's HTML pages; each has a JSON twin (``.json`` or ``Accept: application/json``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from actas.app.context import Context
from actas.core.errors import InputError, NotFound
from actas.web import lists, queries
from actas.web.access import PUBLIC
from actas.web.cache import SECURITY_HEADERS, STATIC_MAX_AGE, make_entry, respond
from actas.web.downloads import Downloads
from actas.web.files import public_photo
from actas.web.i18n import LANGS
from actas.web.render import Page
from actas.web.serve import cached_page
from actas.web.site import Site, valid_audit_id

__all__ = ["STATIC", "add_portal"]

STATIC = Path(__file__).parent / "static"
Q = Annotated[str, Query(max_length=1000)]  # the 100-character limit is checked with a clean 400
MEDIA = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
PORTAL = {**PUBLIC, "tags": ["portal"]}
CodeQ = Annotated[str, Query(max_length=64)]  # the filters of /findings and /conflicts
RegionQ = Annotated[str, Query(max_length=100)]
SevQ = Annotated[Literal["", "info", "warning", "error"], Query()]
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"RIFF", "image/webp"),
)


def _strip_json(value: str) -> tuple[str, bool]:
    if value.endswith(".json"):
        return value[: -len(".json")], True
    return value, False


def add_portal(router: FastAPI, site: Site) -> None:
    """Register the portal pages on the app (directly, so each route is an APIRoute)."""
    statics = {
        p.name: make_entry(
            p.read_bytes(), MEDIA.get(p.suffix, "application/octet-stream"), STATIC_MAX_AGE
        )
        for p in sorted(STATIC.iterdir())
        if p.is_file() and p.suffix in MEDIA
    }
    for lang in LANGS:
        statics[f"i18n.{lang}.js"] = make_entry(
            site.script_messages(lang), MEDIA[".js"], STATIC_MAX_AGE
        )
    ok = make_entry(b"ok\n", "text/plain; charset=utf-8", "no-store")

    @router.get("/", summary="Home: national results, coverage, checkpoint", **PORTAL)
    async def home(request: Request) -> Response:
        return await cached_page(request, site, Page("home"), lambda: site.home_data(site.snap()))

    @router.get("/index.json", summary="Home page data", **PORTAL)
    async def home_json(request: Request) -> Response:
        return await cached_page(
            request, site, Page("home"), lambda: site.home_data(site.snap()), json_twin=True
        )

    @router.get("/map", summary="States map: leader and margin, or coverage", **PORTAL)
    async def map_page(
        request: Request, view: Literal["winner", "coverage"] = "winner"
    ) -> Response:
        return await cached_page(request, site, Page("map", view), site.map_data)

    @router.get("/map.json", summary="Map data per state", **PORTAL)
    async def map_json(request: Request) -> Response:
        return await cached_page(request, site, Page("map"), site.map_data, json_twin=True)

    @router.get("/regions/{code}", summary="A region: results, children, tables", **PORTAL)
    async def region(request: Request, code: str) -> Response:
        code, twin = _strip_json(code)
        queries.valid_region(site.election, code)
        return await cached_page(
            request,
            site,
            Page("region", code),
            lambda: queries.region(site.svc, code),
            json_twin=twin or None,
        )

    @router.get("/tables/{table_id}", summary="A table: counts, submissions, proofs", **PORTAL)
    async def table(request: Request, table_id: str) -> Response:
        table_id, twin = _strip_json(table_id)
        queries.valid_table_id(site.election, table_id)
        return await cached_page(
            request,
            site,
            Page("table", table_id),
            lambda: queries.table(site.svc, table_id, site.snap().checkpoint),
            json_twin=twin or None,
        )

    def _search(q: str) -> dict[str, object]:
        return queries.search(site.svc, q)

    @router.get("/search", summary="Search tables, centres and places", **PORTAL)
    async def search(request: Request, q: Q = "") -> Response:
        q = queries.check_query(q)
        return await cached_page(request, site, Page("search", q), lambda: _search(q))

    @router.get("/search.json", summary="Search results", **PORTAL)
    async def search_json(request: Request, q: Q = "") -> Response:
        q = queries.check_query(q)
        return await cached_page(
            request, site, Page("search", q), lambda: _search(q), json_twin=True
        )

    for kind, build in (("findings", lists.findings_data), ("conflicts", lists.conflicts_data)):
        _add_list(router, site, kind, build)

    @router.get("/downloads", summary="Export bundle, public key, checkpoints, sources", **PORTAL)
    async def downloads(request: Request) -> Response:
        return await cached_page(
            request, site, Page("downloads"), lambda: site.downloads_data(site.snap())
        )

    @router.get("/downloads.json", summary="Downloads page data", **PORTAL)
    async def downloads_json(request: Request) -> Response:
        return await cached_page(
            request,
            site,
            Page("downloads"),
            lambda: site.downloads_data(site.snap()),
            json_twin=True,
        )

    bundle = Downloads(site.bundle_dir, site.svc.settings.home / "cache" / "downloads")
    router.router.on_shutdown.append(bundle.close)

    @router.get("/downloads/{name:path}", summary="A file of the export bundle", **PORTAL)
    async def download_file(request: Request, name: str) -> Response:
        return await bundle.respond(request, name)

    @router.get("/methodology", summary="How the results are built and checked", **PORTAL)
    async def methodology(request: Request) -> Response:
        return await cached_page(request, site, Page("methodology"), site.methodology_data)

    @router.get("/methodology.json", summary="Methodology page data", **PORTAL)
    async def methodology_json(request: Request) -> Response:
        return await cached_page(
            request, site, Page("methodology"), site.methodology_data, json_twin=True
        )

    @router.get("/audits", summary="Audits and quick counts: samples, progress, risk", **PORTAL)
    async def audits_page(request: Request) -> Response:
        return await cached_page(request, site, Page("audits"), site.audits_data)

    @router.get("/audits.json", summary="Audits page data", **PORTAL)
    async def audits_json(request: Request) -> Response:
        return await cached_page(request, site, Page("audits"), site.audits_data, json_twin=True)

    @router.get("/audits/{audit_id}", summary="An audit: seed, sample, progress, risk", **PORTAL)
    async def audit(request: Request, audit_id: str) -> Response:
        audit_id, twin = _strip_json(audit_id)
        valid_audit_id(audit_id)
        return await cached_page(
            request,
            site,
            Page("audit", audit_id),
            lambda: site.audit_data(audit_id),
            json_twin=twin or None,
        )

    @router.get("/photos/{sha256}", summary="An acta photo by its SHA-256", **PORTAL)
    async def photo(request: Request, sha256: str) -> Response:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise InputError("a photo is named by the 64 lowercase hex digits of its SHA-256")
        data = public_photo(site.svc, sha256)
        if data is None:
            raise NotFound("no public copy of this photo")
        media = next((m for magic, m in _IMAGE_MAGIC if data.startswith(magic)), None)
        if media is None:
            raise NotFound("the stored blob is not an image")
        return respond(request, make_entry(data, media, "public, max-age=31536000, immutable"))

    @router.get("/static/{name}", summary="Stylesheet and scripts", **PORTAL)
    async def static(request: Request, name: str) -> Response:
        entry = statics.get(name)
        if entry is None:
            raise NotFound("no such static file")
        return respond(request, entry)

    @router.get("/healthz", summary="Liveness (no database access)", **PORTAL)
    async def healthz(request: Request) -> Response:
        return Response(ok.body, media_type=ok.media_type, headers=SECURITY_HEADERS)


def _add_list(
    router: FastAPI, site: Site, kind: str, build: Callable[[Context, str], dict[str, Any]]
) -> None:
    """``/{kind}``, ``/{kind}.json`` and ``/{kind}.csv`` filtered by region, code, severity."""

    def page(arg: str) -> Page:
        return Page(kind, arg)

    @router.get(f"/{kind}", summary=f"Tables with {kind}, filtered", name=kind, **PORTAL)
    async def html(
        request: Request, region: RegionQ = "", code: CodeQ = "", severity: SevQ = ""
    ) -> Response:
        arg = lists.filters_arg(site.svc, region, code, severity)
        return await cached_page(request, site, page(arg), lambda: build(site.svc, arg))

    @router.get(f"/{kind}.json", summary=f"{kind} page data", name=f"{kind}_json", **PORTAL)
    async def twin(
        request: Request, region: RegionQ = "", code: CodeQ = "", severity: SevQ = ""
    ) -> Response:
        arg = lists.filters_arg(site.svc, region, code, severity)
        return await cached_page(
            request, site, page(arg), lambda: build(site.svc, arg), json_twin=True
        )

    @router.get(f"/{kind}.csv", summary=f"{kind} as CSV", name=f"{kind}_csv", **PORTAL)
    async def as_csv(
        request: Request, region: RegionQ = "", code: CodeQ = "", severity: SevQ = ""
    ) -> Response:
        arg = lists.filters_arg(site.svc, region, code, severity)
        data = await run_in_threadpool(build, site.svc, arg)
        body = (
            lists.findings_csv(data) if kind == "findings" else lists.conflicts_csv(site.svc, data)
        )
        entry = make_entry(body, "text/csv; charset=utf-8", "public, max-age=60")
        return respond(request, entry)
