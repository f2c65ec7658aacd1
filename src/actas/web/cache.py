"""Responses built once and served many times: ETag, Last-Modified, gzip, headers.

Every read response is an :class:`Entry` (body bytes, media type, a weak ETag
over the body, the gzip of the body). Entries are cached per request key and
data version (log size, checkpoint size); the version is re-read at most once
per ``ttl`` seconds, so a hot page costs a dict lookup, not a query.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "PUBLIC_MAX_AGE",
    "SECURITY_HEADERS",
    "Entry",
    "EntryCache",
    "EscapedJSON",
    "dump_json",
    "etag_match",
    "http_date",
    "make_entry",
    "not_modified_since",
    "respond",
]

PUBLIC_MAX_AGE = "public, max-age=60"
STATIC_MAX_AGE = "public, max-age=86400"
GZIP_MIN = 512
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}


def dump_json(data: Any, indent: int | None = None) -> bytes:
    """UTF-8 JSON with ``<``, ``>`` and ``&`` escaped: safe to embed, never echoes markup."""
    text = json.dumps(
        data, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":")
    )
    if "<" in text or ">" in text or "&" in text:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8")


class EscapedJSON(JSONResponse):
    """The API's one JSON response: :func:`dump_json` (``<``, ``>``, ``&`` as ``\\u003c``…)."""

    def render(self, content: Any) -> bytes:
        return dump_json(content)


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    media_type: str
    etag: str
    gz: bytes | None
    cache_control: str = PUBLIC_MAX_AGE


def make_entry(body: bytes, media_type: str, cache_control: str = PUBLIC_MAX_AGE) -> Entry:
    etag = 'W/"' + hashlib.sha256(body).hexdigest()[:24] + '"'
    gz = gzip.compress(body, 6, mtime=0) if len(body) >= GZIP_MIN else None
    if gz is not None and len(gz) >= len(body):
        gz = None
    return Entry(body, media_type, etag, gz, cache_control)


def http_date(rfc3339: str) -> str | None:
    if not rfc3339:
        return None
    try:
        moment = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    except ValueError:
        return None
    return format_datetime(moment.replace(microsecond=0), usegmt=True)


def etag_match(header: str, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (weak comparison, or ``*``)."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in header.split(","))


def not_modified_since(header: str, last_modified: str) -> bool:
    """Whether an If-Modified-Since header is at or after ``last_modified`` (HTTP dates)."""
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False


def respond(
    request: Request,
    entry: Entry,
    last_modified: str | None = None,
    vary: str = "Accept-Encoding",
    extra: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    headers = {
        "etag": entry.etag,
        "cache-control": entry.cache_control,
        "vary": vary,
        **SECURITY_HEADERS,
    }
    if last_modified:
        headers["last-modified"] = last_modified
    if extra:
        headers.update(extra)
    if status == 200:
        inm = request.headers.get("if-none-match")
        ims = request.headers.get("if-modified-since")
        if (inm is not None and etag_match(inm, entry.etag)) or (
            inm is None and ims and last_modified and not_modified_since(ims, last_modified)
        ):
            return Response(status_code=304, headers=headers)
    body = entry.body
    if entry.gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body = entry.gz
        headers["content-encoding"] = "gzip"
    return Response(body, status_code=status, media_type=entry.media_type, headers=headers)


class EntryCache:
    """A bounded LRU of entries, keyed by (request key, data version)."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = 64 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Entry]) -> Entry:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        entry = build()
        self.put(key, entry)
        return entry

    def peek(self, key: Hashable) -> Entry | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes of bodies and their gzip) held now."""
        with self._lock:
            return len(self._items), self._bytes

    def put(self, key: Hashable, entry: Entry) -> None:
        size = len(entry.body) + len(entry.gz or b"")
        if size > self.max_bytes:
            return  # larger than the whole cache: built again when asked
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body) + len(old.gz or b"")
            self._items[key] = entry
            self._bytes += size
            while self._items and (
                len(self._items) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, gone = self._items.popitem(last=False)
                self._bytes -= len(gone.body) + len(gone.gz or b"")

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


class Versioned:
    """A value refreshed at most every ``ttl`` seconds (0: on every call)."""

    def __init__(self, load: Callable[[], Any], ttl: float) -> None:
        self._load = load
        self.ttl = ttl
        self._value: Any = None
        self._at = -1e18
        self._lock = threading.Lock()

    def get(self) -> Any:
        now = time.monotonic()
        if now - self._at >= self.ttl or self._value is None:
            with self._lock:
                if now - self._at >= self.ttl or self._value is None:
                    self._value = self._load()
                    self._at = now
        return self._value
