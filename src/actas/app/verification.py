"""Verify a published bundle from where it lies: a folder or the zip it was downloaded as.

The procedure itself is pure (:func:`actas.core.verify.procedure.verify`, bytes in, a
report out); this use case reads the files (:func:`actas.adapters.bundle_files.read_bundle`),
hands it the Parquet reader, and spreads the re-derivation over processes when asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from actas.adapters.bundle_files import parquet_columns, read_bundle
from actas.core.errors import InputError
from actas.core.verify.procedure import VerifyReport, verify

__all__ = ["verify_bundle"]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def verify_bundle(
    bundle: str | Path | Mapping[str, bytes],
    *,
    key: str | None = None,
    previous: bytes | str | Path | None = None,
    workers: int = 1,
    max_failures: int = 100,
) -> VerifyReport:
    """Recompute everything in ``bundle`` from its leaves and check it.

    ``bundle``: a folder written by ``actas export``, a zip of one, or its files
    (path -> bytes). ``key``: the log's verifier key text, pinned instead of the one in
    the bundle. ``previous``: an older signed checkpoint of the same log (its bytes or a
    file), checked to be consistent with this one.
    """
    files = bundle if isinstance(bundle, Mapping) else read_bundle(Path(bundle))
    old = previous if isinstance(previous, bytes) or previous is None else _read(Path(previous))
    if workers <= 1:
        return verify(
            files, pinned_key=key, previous=old, read_parquet=parquet_columns,
            max_failures=max_failures,
        )  # fmt: skip
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        return verify(
            files, pinned_key=key, previous=old, read_parquet=parquet_columns,
            max_failures=max_failures, mapper=pool.map,
        )  # fmt: skip
