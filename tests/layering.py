"""The layer rules of Actas, as a checker that any package tree can be run through.

``problems(root)`` walks every module under ``root`` (a package folder) with ``ast`` and
returns one line per broken rule. The layer of a module is the first folder of its
path, never a hand list:

======== ==== ===========================================================
folder   rank may import
======== ==== ===========================================================
core     0    core, the standard library minus I/O, and numpy/scipy/cryptography
adapters 1    core, adapters, any third-party library
app      2    core, adapters, app
dev      3    the layers below (synthetic actas and the demo)
cli, web 4    the layers below, never each other
(root)   5    ``__init__`` and ``__main__``: the composition root, anything
======== ==== ===========================================================

Besides the direction: no import cycle anywhere (every import counts, including those
inside functions); SQLAlchemy and Alembic only under ``adapters/store/``; and no call in
the core that reaches the world — ``open``, ``input``, ``os.environ``/``getenv``, the
clock (``datetime.now`` and friends, ``time.*``) or an unseeded random generator.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

RANK = {"core": 0, "adapters": 1, "app": 2, "dev": 3, "cli": 4, "web": 4}
ROOT_RANK = 5
THIRD_PARTY_IN_CORE = {"numpy", "scipy", "cryptography"}
FORBIDDEN_STDLIB_IN_CORE = {
    "os", "socket", "sqlite3", "subprocess", "time", "shutil", "tempfile", "urllib", "http",
    "asyncio", "threading", "multiprocessing", "secrets", "uuid", "logging", "glob", "pathlib",
    "random", "ssl", "select", "signal", "mmap", "ctypes", "importlib", "sys", "builtins",
    "zoneinfo", "locale", "platform", "getpass", "webbrowser", "ftplib", "smtplib", "fcntl",
}  # fmt: skip
STORE_ONLY = {"sqlalchemy", "alembic", "psycopg", "sqlite3"}
# calls that read the world: builtin names, and attribute chains ending so
WORLD_BUILTINS = {"open", "input", "breakpoint", "exec", "eval", "__import__"}
CLOCK_ATTRS = {"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"}
GLOBAL_RANDOM = {
    "random", "rand", "randn", "randint", "choice", "shuffle", "permutation", "uniform",
    "normal", "seed", "sample", "integers", "randrange", "getrandbits", "gauss",
}  # fmt: skip
SEEDABLE = {"default_rng", "Random", "RandomState", "Generator", "SeedSequence", "PCG64"}


@dataclass(frozen=True, slots=True)
class Module:
    name: str  # dotted, e.g. pkg.core.model
    path: Path
    layer: str  # core, adapters, ..., or "" for the composition root
    is_package: bool

    @property
    def rank(self) -> int:
        return RANK.get(self.layer, ROOT_RANK)


def walk(root: Path) -> list[Module]:
    """Every module of the package at ``root`` (migrations excluded: Alembic runs them)."""
    pkg = root.name
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if "migrations" in rel.parts:
            continue
        parts = list(rel.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join([pkg, *parts])
        layer = rel.parts[0] if len(rel.parts) > 1 else ""
        out.append(Module(name, path, layer, is_package))
    return out


def imports(mod: Module, known: set[str]) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import in ``mod``, relative ones resolved.

    ``from a.b import c`` is an import of ``a.b.c`` when that is a module, else of ``a.b``.
    """
    tree = ast.parse(mod.path.read_text("utf-8"))
    package = mod.name.split(".") if mod.is_package else mod.name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            for a in node.names:
                sub = f"{name}.{a.name}"
                yield (sub if sub in known else name), node.lineno


def _chain(node: ast.expr) -> list[str]:
    """``np.random.default_rng`` -> ["np", "random", "default_rng"]."""
    out: list[str] = []
    while isinstance(node, ast.Attribute):
        out.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        out.append(node.id)
    return out[::-1]


def world_calls(mod: Module) -> Iterator[tuple[str, int]]:
    """Calls in ``mod`` that read files, the environment, the clock or unseeded randomness."""
    tree = ast.parse(mod.path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _chain(node)[-2:] in (["os", "environ"],):
            yield "os.environ", node.lineno
        if not isinstance(node, ast.Call):
            continue
        chain = _chain(node.func)
        if not chain:
            continue
        last = chain[-1]
        if len(chain) == 1 and last in WORLD_BUILTINS:
            yield f"{last}()", node.lineno
        elif last in {"getenv", "putenv"} or chain[-2:] == ["environ", "get"] or (last in CLOCK_ATTRS and len(chain) >= 2 and chain[-2] in {"datetime", "date"}) or (chain[0] == "time" and len(chain) == 2):
            yield ".".join(chain), node.lineno
        elif "random" in chain[:-1] and last in GLOBAL_RANDOM:
            yield f"{'.'.join(chain)} (global random state)", node.lineno
        elif last in SEEDABLE and not node.args and not node.keywords:
            yield f"{'.'.join(chain)}() without a seed", node.lineno
        elif last in {"read_text", "read_bytes", "write_text", "write_bytes", "urlopen"}:
            yield ".".join(chain), node.lineno


def problems(root: Path) -> list[str]:
    """Every broken layer rule in the package at ``root``, one line each."""
    pkg = root.name
    mods = walk(root)
    by_name = {m.name: m for m in mods}
    known = set(by_name)
    stdlib = sys.stdlib_module_names
    out: list[str] = []
    graph: dict[str, set[str]] = {m.name: set() for m in mods}
    for mod in mods:
        rel = mod.path.relative_to(root.parent)
        if mod.layer and mod.layer not in RANK:
            out.append(f"{rel}: in no layer (folders: {', '.join(sorted(RANK))})")
        for target, line in imports(mod, known):
            where = f"{rel}:{line} imports {target}"
            top = target.split(".")[0]
            if top == pkg:
                # the module imported, or the nearest package above it that exists
                t = target
                while t not in by_name and "." in t:
                    t = t.rsplit(".", 1)[0]
                dest = by_name.get(t)
                if dest is None:
                    continue
                if dest.name != mod.name:
                    graph[mod.name].add(dest.name)
                if dest.layer == "" and dest.name == pkg and target != pkg:
                    continue  # a name of a layer package that is not a module (unlikely)
                if dest.rank > mod.rank:
                    out.append(f"{where}: {mod.layer or 'root'} may not import {dest.layer or 'root'}")
                elif {mod.layer, dest.layer} == {"cli", "web"}:
                    out.append(f"{where}: cli and web never import each other")
            elif top in STORE_ONLY and not str(rel).startswith(f"{pkg}/adapters/store/"):
                out.append(f"{where}: SQL lives in adapters/store/ only")
            elif mod.layer == "core" and top != "__future__":
                if top in stdlib:
                    if top in FORBIDDEN_STDLIB_IN_CORE:
                        out.append(f"{where}: I/O, clock, randomness or environment in the core")
                elif top not in THIRD_PARTY_IN_CORE:
                    out.append(f"{where}: third-party import in the core")
        if mod.layer == "core":
            for call, line in world_calls(mod):
                out.append(f"{rel}:{line} calls {call}: the core does no I/O")
    out += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return list(dict.fromkeys(out))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One example cycle per strongly connected component with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:  # Tarjan, iteratively deep enough for ~200 modules
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(comp)

    for v in sorted(graph):
        if v not in index:
            strong(v)
    out = []
    for comp in comps:
        members = set(comp)
        start = min(comp)
        # a path back to start inside the component (BFS)
        prev: dict[str, str] = {}
        frontier = [start]
        found = None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & members):
                    if w == start:
                        found = v
                        break
                    if w not in prev:
                        prev[w] = v
                        nxt.append(w)
                if found:
                    break
            frontier = nxt
        path = [start]
        v = found
        while v is not None and v != start:
            path.insert(1, v)
            v = prev.get(v)
        out.append([*path, start])
    return out
