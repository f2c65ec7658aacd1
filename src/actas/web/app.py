"""``create_app(settings)``: the public portal and the JSON API as one FastAPI app.

Nothing happens at import time. The factory opens the service (or takes one),
builds the routers, maps every error to the one envelope (``serve``) and
refuses to start when a route does not declare who may call it (``access``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.errors import ActasError
from actas.web.access import PUBLIC, check_routes
from actas.web.api import add_api
from actas.web.cache import EscapedJSON, dump_json, make_entry, respond
from actas.web.fastpath import FastPath
from actas.web.head import HeadAsGet
from actas.web.pages import add_portal
from actas.web.people import add_people
from actas.web.serve import error_response
from actas.web.site import Site
from actas.web.static_names import StaticNames

__all__ = ["create_app"]

log = logging.getLogger("actas.web")
_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 400: "invalid_request"}


def create_app(
    settings: Settings,
    service: Service | None = None,
    *,
    ttl: float = 1.0,
) -> FastAPI:
    """The portal and API over the data in ``settings.home`` (or over ``service``).

    ``ttl`` is how long (seconds) the data version is trusted before it is read
    again; responses are cached per version, so 0 means always fresh.
    """
    svc = service if service is not None else Service.open(settings)
    try:
        return _build(settings, svc, ttl)
    except BaseException:
        if service is None:
            svc.close()
        raise


def _build(settings: Settings, svc: Service, ttl: float) -> FastAPI:
    geometry = Path(settings.geometry) if settings.geometry else None
    bundle = Path(settings.bundle_dir) if settings.bundle_dir else None
    site = Site(svc, geometry=geometry, bundle_dir=bundle, ttl=ttl)
    app = FastAPI(
        title="Actas",
        summary="Election results anyone can check, table by table.",
        version="1",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        default_response_class=EscapedJSON,  # routes returning data: escaped as documented
    )
    app.state.site = site
    app.state.service = svc
    add_portal(app, site)
    add_api(app, site)
    people = add_people(app, svc)
    if settings.queue:  # uploads stored and queued; 'actas worker' decodes them
        from actas.app.photos.uploads import QueuedUploads

        people.uploads = uploads = QueuedUploads(settings)
        app.state.uploads = uploads
        app.router.on_shutdown.append(uploads.close)

    @app.get("/api/v1/openapi.json", include_in_schema=False, tags=["api"], **PUBLIC)
    async def openapi(request: Request) -> Response:
        return respond(request, make_entry(dump_json(app.openapi()), "application/json"))

    app.add_middleware(FastPath, cache=site.fast, version=site.snapshots)
    app.add_middleware(StaticNames)  # /tables/X.html (the static export's name) -> /tables/X
    app.add_middleware(HeadAsGet)  # added last: outermost, so HEAD is a GET all the way down
    _install_errors(app, site)
    check_routes(app)
    return app


def _install_errors(app: FastAPI, site: Site) -> None:
    async def actas_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ActasError)
        # rate limits refill within a minute: say when to come back (RFC 9110 Retry-After)
        headers = {"retry-after": "60"} if exc.http_status == 429 else None
        return error_response(request, site, exc.http_status, exc.code, str(exc), headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        code = _STATUS_CODES.get(status, "http_error")
        message = {
            404: "no such page or resource",
            405: "this method is not allowed here",
        }.get(status, "the request cannot be served")
        headers = dict(exc.headers or {})
        return error_response(request, site, status, code, message, headers)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        message = "invalid request: " + "; ".join(problems)
        return error_response(request, site, 400, "invalid_request", message)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
        return error_response(request, None, 500, "internal_error", "internal error")

    handlers: dict[Any, Any] = {
        ActasError: actas_error,
        StarletteHTTPException: http_error,
        RequestValidationError: validation_error,
        Exception: server_error,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
