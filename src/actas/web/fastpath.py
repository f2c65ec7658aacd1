"""A response cache in front of the app: repeated reads skip routing and validation.

When a page or API read is built (``serve.cached_page`` / ``serve.cached_json``)
it is also remembered here under (path, query string, variant, data version),
but only when its query string is canonical (the route's own parameters, sorted,
see ``serve.canonical_query``), so junk parameters cannot add entries,
where the variant is what the response depends on besides the URL: ``api``,
``json`` (a JSON twin) or the page language. A later GET of the same URL with
the same variant is answered by this ASGI middleware straight from memory, with
the same headers, ETag/``If-None-Match``, ``If-Modified-Since`` and gzip
handling as :func:`cache.respond`. Requests that set the language (``?lang=``)
always go through the app, which sets the cookie. ``/healthz`` is answered here
too: it never touches the database. The cache is bounded by entries and by
bytes (bodies plus their gzip), least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from actas.web.cache import SECURITY_HEADERS, Entry, Versioned, etag_match, not_modified_since
from actas.web.i18n import DEFAULT, LANGS

__all__ = ["FastCache", "FastPath", "variant"]

Headers = list[tuple[bytes, bytes]]
_SECURITY = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_HEALTH = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"cache-control", b"no-store"),
    *_SECURITY,
    (b"content-length", b"3"),
]


def variant(path: str, accept: str, lang: str) -> str:
    """What a response depends on besides its URL (see ``serve.wants_json``)."""
    if path.startswith("/api/"):
        return "api"
    if path.endswith(".json") or ("application/json" in accept and "text/html" not in accept):
        return "json"
    return lang


@dataclass(frozen=True, slots=True)
class _Prepared:
    entry: Entry
    last_modified: str | None
    plain: Headers
    gzip: Headers
    not_modified: Headers


class FastCache:
    """A bounded LRU of prepared responses, shared by the app and the middleware."""

    def __init__(self, max_entries: int = 8192, max_bytes: int = 64 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, _Prepared] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes of bodies and their gzip) held now."""
        with self._lock:
            return len(self._items), self._bytes

    def remember(self, key: Hashable, entry: Entry, last_modified: str | None, vary: str) -> None:
        common = [
            (b"etag", entry.etag.encode()),
            (b"cache-control", entry.cache_control.encode()),
            (b"vary", vary.encode()),
            *_SECURITY,
        ]
        if last_modified:
            common.append((b"last-modified", last_modified.encode()))
        kind = (b"content-type", entry.media_type.encode())
        plain = [*common, kind, (b"content-length", str(len(entry.body)).encode())]
        gz = plain
        if entry.gz is not None:
            gz = [
                *common,
                kind,
                (b"content-encoding", b"gzip"),
                (b"content-length", str(len(entry.gz)).encode()),
            ]
        prepared = _Prepared(entry, last_modified, plain, gz, common)
        size = _weight(entry)
        if size > self.max_bytes:
            return  # larger than the whole cache: served by the app each time
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= _weight(old.entry)
            self._items[key] = prepared
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, gone = self._items.popitem(last=False)
                self._bytes -= _weight(gone.entry)

    def get(self, key: Hashable) -> _Prepared | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def _weight(entry: Entry) -> int:
    return len(entry.body) + len(entry.gz or b"")


def _lang(cookie: str) -> str:
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "lang" and value in LANGS:
            return value
    return DEFAULT


class FastPath:
    """ASGI middleware answering remembered GETs from a :class:`FastCache`."""

    def __init__(self, app: ASGIApp, cache: FastCache, version: Versioned) -> None:
        self.app = app
        self.cache = cache
        self.version = version  # the data version (queries.Snapshot), re-read at most every ttl

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/healthz":
            await send({"type": "http.response.start", "status": 200, "headers": _HEALTH})
            await send({"type": "http.response.body", "body": b"ok\n"})
            return
        query: bytes = scope["query_string"]
        if b"lang=" in query:
            await self.app(scope, receive, send)
            return
        accept = encoding = inm = ims = cookie = ""
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"accept-encoding":
                encoding = value.decode("latin-1")
            elif name == b"if-none-match":
                inm = value.decode("latin-1")
            elif name == b"if-modified-since":
                ims = value.decode("latin-1")
            elif name == b"cookie":
                cookie = value.decode("latin-1")
        snap = self.version.get()
        hit = self.cache.get((path, query, variant(path, accept, _lang(cookie)), snap.key))
        if hit is None:
            await self.app(scope, receive, send)
            return
        entry = hit.entry
        if (inm and etag_match(inm, entry.etag)) or (
            not inm and ims and hit.last_modified and not_modified_since(ims, hit.last_modified)
        ):
            await send({"type": "http.response.start", "status": 304, "headers": hit.not_modified})
            await send({"type": "http.response.body", "body": b""})
            return
        gz = entry.gz is not None and "gzip" in encoding
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": hit.gzip if gz else hit.plain,
            }
        )
        await send({"type": "http.response.body", "body": entry.gz if gz else entry.body})
