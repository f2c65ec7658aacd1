"""V1 imported into PostgreSQL gives exactly what it gives on SQLite: same figures, same log."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from actas.app.service import Service
from actas.app.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def fixed_clock() -> str:
    return "2024-07-29T04:00:00.000000Z"  # as v1_service's: the leaves hold receipt times


def test_v1_on_postgresql_equals_sqlite(
    v1_service: Service,
    new_pg_database: Callable[[], AbstractContextManager[str]],
    ve: Path,
    tmp_path: Path,
) -> None:
    with new_pg_database() as url:
        settings = Settings.from_env(env={"ACTAS_DATABASE_URL": url}, home=tmp_path / "home")
        svc = Service.init(settings, "ve-2024", clock=fixed_clock)
        try:
            summary = svc.import_file(ve / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv")
            assert summary.loaded == 24532
            assert svc.results() == v1_service.results()
            assert svc.results()[0]["valid"] == 10659128
            for level in ("state", "municipality", "parish"):
                assert svc.results(level) == v1_service.results(level)
            assert svc.log.size() == v1_service.log.size() == 24533
            assert svc.log.root() == v1_service.log.root()
            assert svc.findings()["summary"] == v1_service.findings()["summary"]
        finally:
            svc.close()
