"""The dependency direction core <- adapters <- app <- dev <- cli, web, checked on the real
package and shown to fail on small fake packages that each break one rule
(the checker is tests/layering.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from layering import problems, walk

PKG = Path(__file__).resolve().parents[1] / "src" / "actas"


def test_the_package_keeps_its_layers() -> None:
    found = problems(PKG)
    assert not found, "\n".join(found)


def test_every_module_is_in_a_layer_folder() -> None:
    layers = {m.layer for m in walk(PKG)}
    assert layers == {"", "core", "adapters", "app", "dev", "cli", "web"}
    top = sorted(m.path.name for m in walk(PKG) if m.layer == "")
    assert top == ["__init__.py", "__main__.py"]


def test_no_module_is_over_500_lines() -> None:
    long = [
        f"{m.path.relative_to(PKG)}: {n}"
        for m in walk(PKG)
        if (n := len(m.path.read_text("utf-8").splitlines())) > 500
    ]
    assert not long, long


def fake(tmp_path: Path, files: dict[str, str]) -> Path:
    """A package 'pkg' with the given files (path -> source); every folder a package."""
    root = tmp_path / "pkg"
    base = {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/model.py": "X = 1\n",
        "adapters/__init__.py": "",
        "adapters/store/__init__.py": "",
        "app/__init__.py": "",
        "dev/__init__.py": "",
        "cli/__init__.py": "",
        "web/__init__.py": "",
    }
    for rel, text in {**base, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


def test_a_clean_fake_package_passes(tmp_path: Path) -> None:
    root = fake(
        tmp_path,
        {
            "core/rules.py": "import hashlib\nimport numpy as np\nfrom pkg.core.model import X\n"
            "rng = np.random.default_rng(7)\n",
            "adapters/store/sql.py": "import sqlalchemy\nfrom pkg.core import model\n",
            "app/service.py": "from pkg.adapters.store import sql\nfrom . import other\n",
            "app/other.py": "import os\nV = os.environ.get('A')\n",
            "cli/main.py": "from pkg.app import service\n",
            "web/app.py": "from pkg.app import service\n",
            "__main__.py": "from pkg.cli import main\nfrom pkg.web import app\n",
        },
    )
    assert problems(root) == []


VIOLATIONS = {
    "core imports the app": (
        {"core/rules.py": "from pkg.app import service\n", "app/service.py": ""},
        "core may not import app",
    ),
    "core imports the app lazily": (
        {"core/rules.py": "def f():\n    from pkg import app\n", "app/__init__.py": ""},
        "core may not import app",
    ),
    "relative import up": (
        {"core/rules.py": "from ..adapters import blobs\n", "adapters/blobs.py": ""},
        "core may not import adapters",
    ),
    "adapter imports the app": (
        {"adapters/blobs.py": "from pkg.app.service import S\n", "app/service.py": "S = 1\n"},
        "adapters may not import app",
    ),
    "app imports the cli": (
        {"app/service.py": "from pkg.cli import main\n", "cli/main.py": ""},
        "app may not import cli",
    ),
    "cli imports web": ({"cli/main.py": "from pkg.web import app\n", "web/app.py": ""}, "never import each other"),
    "web imports cli": ({"web/app.py": "import pkg.cli.main\n", "cli/main.py": ""}, "never import each other"),
    "core imports the package face": ({"core/rules.py": "import pkg\n"}, "core may not import root"),
    "socket in the core": ({"core/net.py": "import socket\n"}, "I/O, clock, randomness"),
    "os in the core": ({"core/env.py": "from os import environ\n"}, "I/O, clock, randomness"),
    "a third-party library in the core": ({"core/x.py": "import requests\n"}, "third-party import"),
    "open() in the core": ({"core/rules.py": "def f(p):\n    return open(p).read()\n"}, "calls open()"),
    "datetime.now() in the core": (
        {"core/rules.py": "import datetime\nT = datetime.datetime.now()\n"},
        "calls datetime.datetime.now",
    ),
    "date.today() in the core": (
        {"core/rules.py": "from datetime import date\nT = date.today()\n"},
        "calls date.today",
    ),
    "unseeded generator in the core": (
        {"core/rules.py": "import numpy as np\nR = np.random.default_rng()\n"},
        "without a seed",
    ),
    "global random state in the core": (
        {"core/rules.py": "import numpy as np\nR = np.random.randint(5)\n"},
        "global random state",
    ),
    "environment in the core": (
        {"core/rules.py": "def f(os):\n    return os.environ['HOME']\n"},
        "os.environ",
    ),
    "reading a file via a path in the core": (
        {"core/rules.py": "def f(p):\n    return p.read_text()\n"},
        "p.read_text",
    ),
    "SQL outside the store": ({"app/service.py": "from sqlalchemy import select\n"}, "adapters/store/ only"),
    "sqlite3 in the web": ({"web/app.py": "import sqlite3\n"}, "adapters/store/ only"),
    "an import cycle": (
        {"app/a.py": "from pkg.app import b\n", "app/b.py": "def f():\n    from pkg.app import a\n"},
        "import cycle: pkg.app.a -> pkg.app.b -> pkg.app.a",
    ),
    "a cycle through a package face": (
        {"app/x/__init__.py": "from .y import Y\n", "app/x/y.py": "from pkg.app.x import Z\nY = 1\n"},
        "import cycle",
    ),
    "a module in no layer": ({"utils/__init__.py": "", "utils/misc.py": ""}, "in no layer"),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS), ids=sorted(VIOLATIONS))
def test_each_violation_is_caught(tmp_path: Path, case: str) -> None:
    files, expected = VIOLATIONS[case]
    found = problems(fake(tmp_path, files))
    assert any(expected in line for line in found), found
