"""Docs kept honest by tests: every CLI command and every setting is documented,
every core module's ``__all__`` is sorted and names what exists."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
import typer.main

import actas.core
from actas.__main__ import app

REPO = Path(__file__).resolve().parents[1]
DOCS = "\n".join(p.read_text("utf-8") for p in sorted((REPO / "docs").glob("*.md")))
DOCS += (REPO / "README.md").read_text("utf-8")


def commands() -> list[str]:
    group = typer.main.get_command(app)
    out = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        if subs:
            out += [f"actas {name} {sub}" for sub in subs]
        else:
            out.append(f"actas {name}")
    return sorted(out)


@pytest.mark.parametrize("command", commands())
def test_every_command_is_documented(command: str) -> None:
    assert command in DOCS, f"{command!r} appears nowhere in docs/ or the README"


def test_every_setting_is_documented() -> None:
    source = (REPO / "src" / "actas" / "app" / "settings.py").read_text("utf-8")
    names = sorted(set(re.findall(r'"(ACTAS_[A-Z_]+)"', source)))
    assert names
    missing = [n for n in names if n not in DOCS]
    assert not missing, f"settings missing from the docs: {missing}"


# every module of the pure core
CORE = sorted(
    m.name.removeprefix("actas.core.")
    for m in pkgutil.walk_packages(actas.core.__path__, "actas.core.")
    if not m.ispkg
)


@pytest.mark.parametrize("name", CORE)
def test_public_surface_is_deliberate(name: str) -> None:
    module = importlib.import_module(f"actas.core.{name}")
    exported = list(module.__all__)
    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    style = sorted(exported, key=lambda x: (0 if x.isupper() else 1 if x[:1].isupper() else 2, x))
    assert exported == style, f"actas.{name}.__all__ is not sorted"
    for item in exported:
        assert hasattr(module, item), f"actas.{name}.__all__ names missing {item}"


def test_the_package_map_names_real_paths() -> None:
    text = (REPO / "docs" / "architecture.md").read_text("utf-8")
    paths = sorted(set(re.findall(r"`(src/actas/[\w/.]*)`", text)))
    assert len(paths) > 20
    missing = [p for p in paths if not (REPO / p).exists()]
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"
    folders = {p.parent.relative_to(REPO).as_posix() + "/" for p in (REPO / "src" / "actas").rglob("__init__.py")}
    folders = {f for f in folders if "migrations" not in f and f.count("/") <= 4}
    unmapped = sorted(f for f in folders if f"`{f}`" not in text and f != "src/actas/")
    assert not unmapped, f"folders missing from docs/architecture.md: {unmapped}"
