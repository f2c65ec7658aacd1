"""Who may call each route. Every route declares it; the app refuses to start otherwise.

For now every portal page and API read is ``public``. Routes carry the marker
in their OpenAPI operation (``x-access``), so it is also published in
``/api/v1/openapi.json``; the roles of the people issue will add levels here
and a dependency that enforces them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

__all__ = ["LEVELS", "PUBLIC", "access", "check_routes"]

LEVELS = frozenset({"public"})


def access(level: str) -> dict[str, Any]:
    """Route keyword arguments that declare who may call the route."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")
    return {"openapi_extra": {"x-access": level}}


PUBLIC = access("public")


def check_routes(app: FastAPI) -> None:
    """Raise RuntimeError naming every route without a known access declaration."""
    missing = []
    for route in app.routes:
        path = getattr(route, "path", repr(route))
        if not isinstance(route, APIRoute):
            missing.append(f"{path} (not an API route, so it cannot declare access)")
            continue
        level = (route.openapi_extra or {}).get("x-access")
        if level not in LEVELS:
            missing.append(f"{path} {sorted(route.methods or ())}")
    if missing:
        raise RuntimeError("routes without an access declaration: " + "; ".join(missing))
