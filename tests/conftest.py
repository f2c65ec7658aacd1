"""Shared fixtures: where the real data lives, fresh data folders, a V1-loaded service."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from actas.app.service import Service

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


PG_ENV = "ACTAS_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The test server's URL (``ACTAS_TEST_POSTGRES_URL``); skip locally, fail in CI, without it."""
    url = os.environ.get(PG_ENV, "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set in CI: the PostgreSQL contract tests must run")
        pytest.skip(f"{PG_ENV} not set (scripts/test starts a throw-away server)")
    return url


@contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server; dropped (connections and all) after."""
    import psycopg

    name = f"actas_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def new_pg_database(pg_admin_url: str) -> Callable[[], AbstractContextManager[str]]:
    """``with new_pg_database() as url:`` a fresh database for a longer-lived fixture."""
    return lambda: pg_database(pg_admin_url)


@pytest.fixture
def queued_svc(
    new_pg_database: Callable[[], AbstractContextManager[str]], tmp_path: Path
) -> Iterator[Service]:
    """The demo election on a fresh PostgreSQL database with ``ACTAS_QUEUE=on``."""
    from actas.app.service import Service
    from actas.app.settings import Settings

    with new_pg_database() as url:
        env = {"ACTAS_DATABASE_URL": url, "ACTAS_QUEUE": "on"}
        s = Service.init(Settings.from_env(env=env, home=tmp_path / "home"), "demo")
        try:
            yield s
        finally:
            s.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same store contract on both databases: SQLite in a temporary folder, or a
    fresh PostgreSQL database per test (created with CREATE DATABASE, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'actas.db'}"
        return
    with pg_database(request.getfixturevalue("pg_admin_url")) as url:
        yield url


@pytest.fixture
def service(home: Path, db_url: str) -> Iterator[object]:
    from actas.app.service import Service
    from actas.app.settings import Settings

    settings = Settings.from_env(env={"ACTAS_DATABASE_URL": db_url}, home=home)
    svc = Service.init(settings, "ve-2024", clock=fixed_clock)
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def v1_service(tmp_path_factory: pytest.TempPathFactory, ve: Path) -> Iterator[object]:
    """A service with V1 imported, shared by read-only tests."""
    from actas.app.service import Service
    from actas.app.settings import Settings

    home = tmp_path_factory.mktemp("v1home")
    svc = Service.init(Settings.from_env(env={}, home=home), "ve-2024", clock=fixed_clock)
    svc.import_file(ve / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv")
    yield svc
    svc.close()
