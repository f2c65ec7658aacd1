"""Reading acta photos: hash, open safely, decode the QR, parse the payload — the CPU
side of ingestion (:mod:`actas.app.photos.ingest` is the writing side). Every function here runs
in a pool worker as well as in the web process; none raises for a bad photo: what went
wrong is in the :class:`PhotoReading`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actas.adapters.photo.imaging import DEFAULT_LIMITS, Limits
from actas.adapters.photo.qrdecode import ZxingDecoder
from actas.core.errors import ActasError, ImageError, InputError
from actas.core.payload import PayloadFormat, get_format

__all__ = [
    "PHOTO_SUFFIXES",
    "PhotoReading",
    "find_photos",
    "init_worker",
    "read_file",
    "read_photo",
    "read_pooled",
]

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}


@dataclass(frozen=True, slots=True)
class PhotoReading:
    """What the CPU stage learnt about one photo (picklable, small)."""

    name: str
    sha256: str
    size: int
    payload: bytes | None = None  # the first QR text that parsed
    stage: str = ""
    ms: float = 0.0
    width: int = 0
    height: int = 0
    format: str = ""
    phash: int | None = None
    capture: dict[str, Any] = field(default_factory=dict)
    rejected: tuple[tuple[str, str], ...] = ()  # QR texts that did not parse, with the reason
    error: str = ""  # the photo could not be opened safely
    too_large: bool = False
    known: bool = False  # already logged before this run: not examined


def read_photo(
    data: bytes, name: str, fmt: PayloadFormat, limits: Limits = DEFAULT_LIMITS
) -> PhotoReading:
    """Hash, open safely, decode and parse one photo. Never raises for bad photos."""
    sha = hashlib.sha256(data).hexdigest()
    if len(data) > limits.max_bytes:
        return PhotoReading(
            name, sha, len(data), error="the file is larger than the upload limit", too_large=True
        )
    if not data:
        return PhotoReading(name, sha, 0, error="the file is empty")

    def accept(text: bytes) -> bool:
        try:
            fmt.parse(text)
        except ActasError:
            return False
        return True

    try:
        examined = ZxingDecoder(limits=limits, accept=accept).examine(data)
    except ImageError as exc:
        return PhotoReading(name, sha, len(data), error=str(exc))
    result = examined.result
    rejected = []
    for text in result.candidates:
        if text != result.text:
            try:
                fmt.parse(text)
            except ActasError as exc:
                rejected.append((text.decode("ascii", "replace")[:200], str(exc)))
    return PhotoReading(
        name=name,
        sha256=sha,
        size=len(data),
        payload=result.text,
        stage=result.stage,
        ms=result.ms,
        width=result.width,
        height=result.height,
        format=result.format,
        phash=examined.phash,
        capture=examined.capture,
        rejected=tuple(rejected),
    )


_KNOWN: frozenset[str] = frozenset()  # in a pool worker: SHA-256 of photos already logged


def init_worker(known: frozenset[str]) -> None:
    global _KNOWN
    _KNOWN = known


def read_pooled(args: tuple[str, str, int, int]) -> PhotoReading:
    """Process-pool entry point: :func:`read_file` with the worker's known photos."""
    return read_file(args, _KNOWN)


def read_file(args: tuple[str, str, int, int], known: frozenset[str] = frozenset()) -> PhotoReading:
    """Read and examine one file; a photo in ``known`` is hashed only."""
    path, fmt_name, n_options, max_bytes = args
    limits = (
        Limits(max_bytes=max_bytes) if max_bytes != DEFAULT_LIMITS.max_bytes else DEFAULT_LIMITS
    )
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limits.max_bytes:
            sha = _sha_file(p)
            return PhotoReading(
                p.name, sha, size, error="the file is larger than the upload limit", too_large=True
            )
        data = p.read_bytes()
    except OSError as exc:
        return PhotoReading(p.name, "", 0, error=f"cannot read the file: {exc.strerror}")
    if known:
        sha = hashlib.sha256(data).hexdigest()
        if sha in known:
            return PhotoReading(p.name, sha, len(data), known=True)
    return read_photo(data, p.name, get_format(fmt_name, n_options), limits)


def _sha_file(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_photos(paths: Iterable[Path]) -> list[Path]:
    """Every photo file under the given files and folders, sorted, each once."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES
            )
        elif path.is_file():
            found.add(path)
        else:
            raise InputError(f"no such file or folder: {path}")
    return sorted(found)
