"""The JSON API under ``/api/v1`` (documented in ``docs/api.md`` and OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Query, Request
from starlette.responses import Response

from actas.app import results as use
from actas.core.errors import InputError, NotFound
from actas.web import queries
from actas.web.access import PUBLIC
from actas.web.serve import cached_json
from actas.web.site import Site, valid_audit_id

__all__ = ["PREFIX", "add_api"]

PREFIX = "/api/v1"
API = {**PUBLIC, "tags": ["api"]}
LEAF_MAX = (1 << 63) - 1
Level = Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]{1,32}$")]


def add_api(router: FastAPI, site: Site) -> None:
    """Register the API routes on the app (directly, so each route is an APIRoute)."""
    ctx = site.svc  # the use cases take the context

    @router.get("/api/v1/election", summary="The election definition: candidates, levels", **API)
    async def election(request: Request) -> Response:
        return await cached_json(request, site, lambda: site.methodology_data()["election"])

    @router.get("/api/v1/results", summary="National results, or every region at a level", **API)
    async def results(request: Request, level: Level = None) -> Response:
        def build() -> Any:
            if level is None or level == "national":
                return queries.region_result(ctx, "")
            return use.results(ctx, level=level)

        return await cached_json(request, site, build)

    @router.get("/api/v1/results/{code}", summary="One region's results", **API)
    async def region_results(request: Request, code: str) -> Response:
        queries.valid_region(site.election, code)
        return await cached_json(request, site, lambda: queries.region_result(ctx, code))

    @router.get("/api/v1/results/{code}/children", summary="Results of the regions below", **API)
    async def region_children(request: Request, code: str) -> Response:
        queries.valid_region(site.election, code)
        return await cached_json(request, site, lambda: queries.children(ctx, code))

    @router.get(
        "/api/v1/tables/{table_id}", summary="One table: result, submissions, proofs", **API
    )
    async def table(request: Request, table_id: str) -> Response:
        queries.valid_table_id(site.election, table_id)
        return await cached_json(
            request, site, lambda: queries.table(ctx, table_id, site.snap().checkpoint)
        )

    @router.get("/api/v1/search", summary="Tables by id, regions by code or name", **API)
    async def search(
        request: Request, q: Annotated[str, Query(min_length=1, max_length=1000)]
    ) -> Response:
        q = queries.check_query(q)
        if not q:
            raise InputError("the query is empty")
        return await cached_json(request, site, lambda: queries.search(ctx, q))

    @router.get("/api/v1/checkpoint", summary="The latest signed checkpoint and its key", **API)
    async def checkpoint(request: Request) -> Response:
        def build() -> Any:
            cp = site.snap().checkpoint
            if cp is None:
                raise NotFound("no checkpoint has been published yet")
            return cp.to_json()

        return await cached_json(request, site, build)

    @router.get(
        "/api/v1/proof/inclusion/{leaf}",
        summary="Inclusion proof of a leaf (log index)",
        **API,
    )
    async def inclusion(
        request: Request,
        leaf: Annotated[int, Path(ge=0, le=LEAF_MAX)],
        size: Annotated[int | None, Query(ge=1, le=LEAF_MAX)] = None,
    ) -> Response:
        def build() -> Any:
            proof = ctx.log.inclusion(leaf, size)
            cp = site.snap().checkpoint
            proof["verifier_key"] = cp.verifier_key if cp else None
            return proof

        return await cached_json(request, site, build)

    @router.get("/api/v1/proof/consistency", summary="Consistency proof between two sizes", **API)
    async def consistency(
        request: Request,
        old: Annotated[int, Query(ge=0, le=LEAF_MAX)],
        new: Annotated[int | None, Query(ge=0, le=LEAF_MAX)] = None,
    ) -> Response:
        def build() -> Any:
            target = new
            if target is None:
                cp = site.snap().checkpoint
                if cp is None:
                    raise NotFound("no checkpoint has been published yet")
                target = cp.size
            return ctx.log.consistency(old, target)

        return await cached_json(request, site, build)

    @router.get("/api/v1/findings", summary="Validation findings, summarised and listed", **API)
    async def findings(
        request: Request,
        code: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_.]{1,64}$")] = None,
        severity: Literal["info", "warning", "error"] | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Response:
        return await cached_json(request, site, lambda: use.findings(ctx, code, severity, limit))

    @router.get("/api/v1/conflicts", summary="Tables whose submissions disagree", **API)
    async def conflicts(
        request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> Response:
        return await cached_json(request, site, lambda: use.conflicts(ctx)[:limit])

    @router.get("/api/v1/audits", summary="Audits and quick counts, with where each stands", **API)
    async def audit_list(request: Request) -> Response:
        return await cached_json(request, site, site.audits_data)

    @router.get(
        "/api/v1/audits/{audit_id}", summary="One audit: seed, sample, progress, risk", **API
    )
    async def audit(request: Request, audit_id: str) -> Response:
        valid_audit_id(audit_id)
        return await cached_json(request, site, lambda: site.audit_data(audit_id))
