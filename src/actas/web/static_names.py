"""The static export's file names answered by the live portal, so a shared link works
on both: ``/tables/X.html`` → ``/tables/X``, ``/tables/X.en.html`` → ``/tables/X?lang=en``,
``/index.html`` → ``/``, ``/map-coverage.html`` → ``/map?view=coverage``.

A permanent redirect (308) to the live URL; the other way round, static hosts that serve
``X.html`` for ``/X`` (GitHub Pages, Netlify, Cloudflare Pages, nginx ``try_files $uri.html``)
answer the live URLs from the export (docs/deploy.md).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.types import ASGIApp, Receive, Scope, Send

from actas.web.i18n import DEFAULT, LANGS

__all__ = ["StaticNames", "live_path"]


def live_path(path: str) -> str | None:
    """The live URL (path and query) of a static export file name, None if not one."""
    if not path.endswith(".html"):
        return None
    stem = path[: -len(".html")]
    lang = DEFAULT
    for code in LANGS:
        if code != DEFAULT and stem.endswith(f".{code}"):
            stem, lang = stem[: -len(code) - 1], code
    query = []
    if stem in ("/index", ""):
        stem = "/"
    elif stem == "/map-coverage":
        stem, query = "/map", ["view=coverage"]
    if lang != DEFAULT:
        query.append(f"lang={lang}")
    return quote(stem, safe="/.") + ("?" + "&".join(query) if query else "")


class StaticNames:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = None
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            target = live_path(scope["path"])
        if target is None:
            await self.app(scope, receive, send)
            return
        headers = [(b"location", target.encode("ascii")), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 308, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
