"""Shared fixtures: where the real data lives, fresh data folders, a V1-loaded service."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
VE = DATA / "ve2024"
RU = DATA / "ru2012"

# Nothing may reach the network or a hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def need(path: Path) -> Path:
    """The path of a shared data file; skip locally, fail in CI, when it is absent."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared data missing in CI: {path}")
        pytest.skip(f"shared data not present: {path}")
    return path


@pytest.fixture(scope="session")
def ve() -> Path:
    return need(VE)


@pytest.fixture(scope="session")
def ru() -> Path:
    return need(RU)


def fixed_clock() -> str:
    return "2024-07-29T04:00:00.000000Z"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def service(home: Path) -> Iterator[object]:
    from actas.service import Service
    from actas.settings import Settings

    svc = Service.init(Settings.from_env(env={}, home=home), "ve-2024", clock=fixed_clock)
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def v1_service(tmp_path_factory: pytest.TempPathFactory, ve: Path) -> Iterator[object]:
    """A service with V1 imported, shared by read-only tests."""
    from actas.service import Service
    from actas.settings import Settings

    home = tmp_path_factory.mktemp("v1home")
    svc = Service.init(Settings.from_env(env={}, home=home), "ve-2024", clock=fixed_clock)
    svc.import_file(ve / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv")
    yield svc
    svc.close()
