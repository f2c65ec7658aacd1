"""Actas: turn election tally sheets into results that anyone can check.

The public face, for use from Python (everything the ``actas`` command does is also a
call; see ``docs/architecture.md`` for the package map)::

    import actas

    svc = actas.init("data", "ve-2024")          # a new data folder for a built-in election
    svc.import_file(Path("RESULTADOS_2024_CSV_V1.csv"))
    svc.export(Path("bundle"))
    svc.close()

    svc = actas.open("data")                     # an existing data folder
    print(svc.results()[0]["valid"])
    svc.close()

    report = actas.verify("bundle")              # a folder or the zip it was downloaded as
    assert report.ok, report.failures

Errors are one tree (:class:`ActasError` and its subclasses, importable from here).
Importing ``actas`` loads only the error classes; the rest loads on first use, so
``import actas.core.model`` stays as light as the core.
"""

from __future__ import annotations

import typing as _typing

from actas.core.errors import (
    AccessDenied,
    ActasError,
    DefinitionError,
    ImageError,
    InputError,
    MissingExtra,
    NotFound,
    PayloadError,
    ProofError,
    StoreError,
    VerificationError,
)

if _typing.TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

    from actas.app.service import Service
    from actas.app.settings import Settings
    from actas.core.verify.procedure import VerifyReport

__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "ActasError",
    "DefinitionError",
    "ImageError",
    "InputError",
    "MissingExtra",
    "NotFound",
    "PayloadError",
    "ProofError",
    "Service",
    "Settings",
    "StoreError",
    "VerificationError",
    "VerifyReport",
    "__version__",
    "init",
    "open",
    "read_bundle",
    "verify",
]

_LAZY = {
    "Service": "actas.app.service",
    "Settings": "actas.app.settings",
    "VerifyReport": "actas.core.verify.procedure",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'actas' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def _settings(home: str | Path | None, env: Mapping[str, str] | None) -> Settings:
    from actas.app.settings import Settings

    return Settings.from_env(env=env, home=home)


def init(home: str | Path | None, election: str, *, env: Mapping[str, str] | None = None) -> Service:
    """Create a data folder at ``home`` for ``election`` (a built-in id, a definition file
    or a folder holding one) and open it. ``env``: settings variables (else the process's)."""
    from actas.app.service import Service

    return Service.init(_settings(home, env), election)


def open(home: str | Path | None = None, *, env: Mapping[str, str] | None = None) -> Service:
    """Open an existing data folder (``home``, else ``$ACTAS_HOME``, else ``./actas-data``);
    ``close()`` it to release the database."""
    from actas.app.service import Service

    return Service.open(_settings(home, env))


def read_bundle(path: str | Path) -> dict[str, bytes]:
    """Every file of a bundle (a folder or its zip), path -> bytes, for :func:`verify`."""
    from pathlib import Path

    from actas.adapters.bundle_files import read_bundle as read

    return read(Path(path))


def verify(
    bundle: str | Path | Mapping[str, bytes],
    *,
    key: str | None = None,
    previous: bytes | str | Path | None = None,
    workers: int = 1,
) -> VerifyReport:
    """Recompute a bundle from its leaves and check every published file; see
    ``docs/verification.md``. ``key`` pins the log's verifier key; ``previous`` is an
    older checkpoint (bytes or a file) that this one must extend."""
    from actas.app.verification import verify_bundle

    return verify_bundle(bundle, key=key, previous=previous, workers=workers)
