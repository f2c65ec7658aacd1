"""Files of the export bundle, streamed from disk, never read whole in the event loop.

``/downloads/{name}`` used to read the whole file and gzip it in the event loop:
eight clients downloading ``leaves.txt`` held ``/healthz`` for 7.7 s. Now:

- the listing (names, sizes, SHA-256, cached by mtime) is read in a worker thread;
- the body is streamed from the file in 1 MiB chunks (Starlette's ``FileResponse``:
  its reads run in worker threads; ``Range`` requests are honoured);
- a client that accepts gzip gets a compressed copy when one is ready: text files of
  512 bytes or more are compressed once, in a background thread (one file at a
  time, so downloads never take both cores), into ``<cache>/<sha256>.gz``; until it
  is ready the file is sent as it is. A ``Range`` request always gets the file's own
  bytes (resuming a download), never the compressed copy's. The copy is named by the content's hash, so a
  new export never serves an old copy;
- the ETag is the file's SHA-256 (the one the listing publishes), so
  ``If-None-Match`` gives a 304 without touching the file.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import mimetypes
import os
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from actas.core.errors import NotFound
from actas.web.cache import GZIP_MIN, SECURITY_HEADERS, etag_match
from actas.web.files import bundle_files

__all__ = ["Downloads"]

log = logging.getLogger("actas.web.downloads")
MAX_AGE = "public, max-age=300"
CHUNK = 1 << 20
TEXT_SUFFIXES = {".txt", ".csv", ".json", ".jsonl", ".toml", ".md", ".pub", ".tsv", ".xml"}


class _Streamed(FileResponse):
    """A file in 1 MiB reads (Starlette's 64 KiB meant 16 event-loop turns per MiB)."""

    chunk_size = CHUNK


class Downloads:
    """Serves the bundle folder ``folder``; compressed copies go to ``cache``."""

    def __init__(self, folder: Path | None, cache: Path) -> None:
        self.folder = folder
        self.cache = cache
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="actas-gzip")
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def respond(self, request: Request, name: str) -> Response:
        folder = self.folder
        listed: dict[str, dict[str, Any]] = {
            f["name"]: f for f in await run_in_threadpool(bundle_files, folder)
        }
        if folder is None or name not in listed:
            raise NotFound("no such file in the export bundle")
        info = listed[name]
        sha = str(info["sha256"])
        etag = f'"{sha}"'
        headers = {
            **SECURITY_HEADERS,
            "etag": etag,
            "cache-control": MAX_AGE,
            "vary": "Accept-Encoding",
        }
        inm = request.headers.get("if-none-match")
        if inm is not None and etag_match(inm, etag):
            return Response(status_code=304, headers=headers)
        path = folder / name
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if _compressible(name, int(info["size"])):
            packed = self.cache / f"{sha}.gz"
            if packed.is_file():
                wants = "gzip" in request.headers.get("accept-encoding", "")
                if wants and "range" not in request.headers:  # ranges are of the file itself
                    headers["content-encoding"] = "gzip"
                    return _Streamed(packed, media_type=media, headers=headers)
            else:
                self._compress_later(path, sha)
        return _Streamed(path, media_type=media, headers=headers)

    def _compress_later(self, path: Path, sha: str) -> None:
        with self._lock:
            if sha in self._pending:
                return
            self._pending.add(sha)
        self._pool.submit(self._compress, path, sha)

    def _compress(self, path: Path, sha: str) -> None:
        if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
            with contextlib.suppress(OSError):  # on Linux a thread has its own nice value
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache, prefix=".tmp-")
            try:
                with (
                    os.fdopen(fd, "wb") as raw,
                    path.open("rb") as src,
                    gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz,
                ):
                    shutil.copyfileobj(src, gz, 1 << 20)
                os.replace(tmp, self.cache / f"{sha}.gz")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            log.warning("cannot make a compressed copy of %s", path, exc_info=True)
        finally:
            with self._lock:
                self._pending.discard(sha)


def _compressible(name: str, size: int) -> bool:
    if size < GZIP_MIN:
        return False
    media = mimetypes.guess_type(name)[0] or ""
    return media.startswith("text/") or Path(name).suffix.lower() in TEXT_SUFFIXES
