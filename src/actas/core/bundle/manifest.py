"""The bundle's ``MANIFEST``: ``<sha256 hex>  <path>`` per file, as ``sha256sum`` writes it. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from actas.core.bundle.paths import MANIFEST

__all__ = [
    "manifest_bytes",
    "parse_manifest",
]


def manifest_bytes(files: Mapping[str, bytes]) -> bytes:
    """``<sha256 hex>  <path>`` per file, sorted by path, MANIFEST itself excluded.

    The same layout as ``sha256sum``, so ``sha256sum -c MANIFEST`` checks a bundle.
    """
    lines = [
        f"{hashlib.sha256(data).hexdigest()}  {path}\n"
        for path, data in sorted(files.items(), key=lambda kv: kv[0].encode("utf-8"))
        if path != MANIFEST
    ]
    return "".join(lines).encode("utf-8")


def parse_manifest(data: bytes) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """Path -> hex digest, and (line number, problem) for every malformed line."""
    out: dict[str, str] = {}
    problems: list[tuple[int, str]] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return out, [(data.count(b"\n", 0, exc.start) + 1, "not UTF-8")]
    if text and not text.endswith("\n"):
        problems.append((text.count("\n") + 1, "the last line has no newline"))
    previous = b""
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, path = line.partition("  ")
        if not sep or len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
            problems.append((number, f"not '<sha256>  <path>': {line[:80]!r}"))
            continue
        if not path or path.startswith("/") or ".." in path.split("/"):
            problems.append((number, f"bad path {path[:80]!r}"))
            continue
        if path in out:
            problems.append((number, f"{path} is listed twice"))
            continue
        if path.encode("utf-8") < previous:
            problems.append((number, f"{path} is out of order (paths are sorted)"))
        previous = path.encode("utf-8")
        out[path] = digest
    return out, problems
