"""Dependency direction: core <- adapters <- app, checked by walking every import.

- core modules import only the standard library (minus I/O, clock, randomness and
  environment modules), other core modules and a short allowlist;
- adapters import core, other adapters and third-party libraries, never the app;
- nothing imports ``web`` or ``cli`` except the app itself.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "actas"

CORE = {
    "errors",
    "model",
    "payload",
    "manifest",
    "records",
    "rules",
    "reconcile",
    "tally",
    "leaf",
    "sealed",
    "merkle",
    "checkpoint",
    "bundle",
    "replay",
    "compare",
    "rederive",
    "render",
    "verify",
    "forensics",
    "audit",
}
APP = {
    "service",
    "web",
    "cli",
    "settings",
    "demo",
    "__main__",
    "analysis",
    "analysis_view",
    "ingest",
    "audits",
    "audits_cli",
    "cli_support",
    "log_cli",
    "analysis_cli",
    "photos_cli",
    "uploads",
    "tableview",
    "queue",
    "workers",
    "people",
}
# everything else under actas/ is an adapter (store, importer, tlog, export, imaging, ...)

THIRD_PARTY_ALLOWED_IN_CORE = {
    "checkpoint": {"cryptography"},
    "forensics": {"numpy", "scipy"},
    "audit": {"numpy", "scipy"},
    "tally": {"numpy"},
    "verify": {"numpy"},
    "bundle": {"numpy"},
}
FORBIDDEN_STDLIB_IN_CORE = {
    "os",
    "socket",
    "sqlite3",
    "subprocess",
    "random",
    "time",
    "shutil",
    "tempfile",
    "urllib",
    "http",
    "asyncio",
    "threading",
    "multiprocessing",
    "secrets",
    "uuid",
    "logging",
    "glob",
    "pathlib",
}


def top(module: str) -> str:
    return module.split(".")[0]


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "store" and "migrations" in rel.parts:
            continue
        out.append((rel.parts[0].removesuffix(".py"), path))
    return out


def imports(path: Path) -> list[tuple[str, int]]:
    """(absolute module name, line) for every import; relative ones resolved."""
    tree = ast.parse(path.read_text("utf-8"))
    rel = path.relative_to(PKG.parent).with_suffix("")
    package = list(rel.parts[:-1])  # the package a relative import starts from
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                if not node.module:
                    found += [(f"{name}.{a.name}", node.lineno) for a in node.names]
                    continue
                found.append((name, node.lineno))
            else:
                found.append((node.module or "", node.lineno))
    return found


def layer(name: str) -> str:
    if name in CORE:
        return "core"
    if name in APP:
        return "app"
    return "adapter"


CASES = [(unit, path) for unit, path in modules() if unit != "__init__"]


@pytest.mark.parametrize(("unit", "path"), CASES, ids=[str(p.relative_to(PKG)) for _, p in CASES])
def test_layering(unit: str, path: Path) -> None:
    mine = layer(unit)
    stdlib = sys.stdlib_module_names
    problems = []
    for module, line in imports(path):
        where = f"{path.relative_to(PKG)}:{line} imports {module}"
        if module.startswith("actas"):
            parts = module.split(".")
            if len(parts) == 1:
                continue
            target = layer(parts[1])
            if mine == "core" and target != "core":
                problems.append(f"{where}: core may import only core")
            if mine == "adapter" and target == "app":
                problems.append(f"{where}: adapters may not import the app")
            if parts[1] in ("web", "cli") and unit not in ("web", "cli", "__main__"):
                problems.append(f"{where}: nothing imports web or cli")
        elif mine == "core":
            t = top(module)
            if t == "__future__":
                continue
            if t in stdlib:
                if t in FORBIDDEN_STDLIB_IN_CORE:
                    problems.append(f"{where}: I/O, clock, randomness or environment in the core")
            elif t not in THIRD_PARTY_ALLOWED_IN_CORE.get(unit, set()):
                problems.append(f"{where}: third-party import in the core")
    assert not problems, "\n".join(problems)


def test_core_is_known() -> None:
    present = {unit for unit, _ in modules()}
    assert {
        "model",
        "payload",
        "rules",
        "reconcile",
        "tally",
        "merkle",
        "checkpoint",
        "leaf",
    } <= present
