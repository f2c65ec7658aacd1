"""Files the portal serves from disk: acta photos and the export bundle."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import Any

from actas.adapters.store.portal import public_photo_name
from actas.app.people.transcription import private_photo
from actas.app.photos.ingest import public_copy
from actas.app.service import Service
from actas.core.errors import NotFound, StoreError

__all__ = ["bundle_files", "public_photo"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def public_photo(svc: Service, sha256: str) -> bytes | None:
    """The public (metadata-free) copy of the photo named ``sha256``, if there is one.

    Originals can carry EXIF data (a witness's phone, a GPS position), so only the
    derivative the photo pipeline records in ``photos.public_sha256`` is ever
    served; ``sha256`` may name the original or the derivative itself. A photo in
    the transcription queue, not yet settled, is private (none).
    """
    if not _SHA256.fullmatch(sha256):
        return None
    try:
        recorded = public_photo_name(svc.store, sha256)
        if recorded is not None and private_photo(svc.store, sha256):
            return None  # a photo people are transcribing: for them alone until settled
    except StoreError:  # no photo pipeline in this database yet
        return None
    if recorded is None:
        return None
    name = recorded or public_copy(svc, sha256)  # made on first request
    if name is None:
        return None
    try:
        return svc.blobs.get(name)
    except (NotFound, StoreError):
        return None


_bundle_cache: dict[tuple[str, int, int], str] = {}
_hashing = threading.Lock()  # one thread hashes; the others wait for its digest


def bundle_files(folder: Path | None) -> list[dict[str, Any]]:
    """The files of an export bundle folder, with sizes and SHA-256 (cached by mtime).

    Every regular file, in subfolders too (``mappings/*.toml``, ``photos/``): a copy
    without them does not verify. Names are relative paths with ``/``, sorted;
    hidden files and folders and symbolic links are left out.
    """
    if folder is None or not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        rel = path.relative_to(folder)
        if path.is_symlink() or not path.is_file() or any(s.startswith(".") for s in rel.parts):
            continue
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        digest = _bundle_cache.get(key)
        if digest is None:
            with _hashing:
                digest = _bundle_cache.get(key)
                if digest is None:
                    h = hashlib.sha256()
                    with path.open("rb") as fh:
                        for chunk in iter(lambda: fh.read(1 << 20), b""):
                            h.update(chunk)
                    digest = _bundle_cache[key] = h.hexdigest()
        out.append({"name": rel.as_posix(), "size": st.st_size, "sha256": digest})
    return out
