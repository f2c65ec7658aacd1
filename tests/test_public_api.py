"""The package's public face: what ``import actas`` offers, kept deliberate
(as encode/httpx:tests/test_exported_members.py keeps its exports)."""

from __future__ import annotations

import subprocess
import sys

import actas
from actas.core import errors


def test_all_is_sorted_and_complete() -> None:
    exported = actas.__all__
    assert exported == sorted(exported)
    public = {n for n in dir(actas) if not n.startswith("_")} | {"__version__"}
    # submodule packages bound by imports (core, app, ...) are not part of the face
    public -= {"core", "adapters", "app", "cli", "dev", "web", "annotations"}
    assert public == set(exported)
    for name in exported:
        assert getattr(actas, name) is not None


def test_every_error_is_offered() -> None:
    for name in errors.__all__:
        assert getattr(actas, name) is getattr(errors, name)
        assert issubclass(getattr(actas, name), actas.ActasError)


def test_lazy_names_resolve() -> None:
    from actas.app.service import Service
    from actas.app.settings import Settings
    from actas.core.verify.procedure import VerifyReport

    assert actas.Service is Service and actas.Settings is Settings
    assert actas.VerifyReport is VerifyReport


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        actas.nothing_here  # noqa: B018
    except AttributeError as exc:
        assert "nothing_here" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no AttributeError")


def test_importing_the_core_loads_no_app() -> None:
    code = (
        "import sys, actas.core.model, actas.core.log.merkle\n"
        "bad = [m for m in sys.modules if m.startswith(('actas.app', 'actas.adapters', "
        "'actas.web', 'actas.cli', 'sqlalchemy', 'fastapi'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
