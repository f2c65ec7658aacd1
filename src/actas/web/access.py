"""Who may call each route. Every route declares it; the app refuses to start otherwise.

``PUBLIC`` routes are open to everyone. ``roles("witness", ...)`` routes are for
signed-in accounts with one of those roles (an administrator may call them all):
the declaration *is* the enforcement, a dependency that asks the app's guard
(``app.state.guard``, installed by :mod:`actas.web.people`) and answers 401 to
anonymous callers and 403 to the wrong role. Routes carry the marker in their
OpenAPI operation (``x-access``: ``public`` or a list of roles), so it is also
published in ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute

__all__ = ["LEVELS", "PUBLIC", "ROLES", "access", "check_routes", "roles"]

LEVELS = frozenset({"public"})
ROLES = frozenset({"administrator", "coordinator", "witness", "volunteer", "reviewer"})


def access(level: str) -> dict[str, Any]:
    """Route keyword arguments that declare who may call the route."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")
    return {"openapi_extra": {"x-access": level}}


PUBLIC = access("public")


def roles(*names: str) -> dict[str, Any]:
    """Route keyword arguments for a route only these roles (and administrators) may call."""
    unknown = set(names) - ROLES
    if not names or unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    allowed = frozenset(names) | {"administrator"}

    async def enforce(request: Request) -> None:
        guard = getattr(request.app.state, "guard", None)
        if guard is None:
            raise RuntimeError("a route declares roles but the app has no guard")
        await guard(request, allowed)

    return {"openapi_extra": {"x-access": sorted(allowed)}, "dependencies": [Depends(enforce)]}


def check_routes(app: FastAPI) -> None:
    """Raise RuntimeError naming every route without a known access declaration."""
    missing = []
    for route in app.routes:
        path = getattr(route, "path", repr(route))
        if not isinstance(route, APIRoute):
            missing.append(f"{path} (not an API route, so it cannot declare access)")
            continue
        level = (route.openapi_extra or {}).get("x-access")
        if isinstance(level, list):
            if not level or not set(level) <= ROLES or not route.dependencies:
                missing.append(f"{path} {sorted(route.methods or ())} (roles not enforced)")
        elif level not in LEVELS:
            missing.append(f"{path} {sorted(route.methods or ())}")
    if missing:
        raise RuntimeError("routes without an access declaration: " + "; ".join(missing))
