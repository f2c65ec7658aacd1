"""The portal's memory stays bounded: response caches by bytes, query strings normalised.

Issue 19 D3: each query string was a new cache entry and the fast-path cache capped
entries, not bytes (40 ``GET /api/v1/results?level=centre&x=$i`` added 608 MB).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from actas.app.service import Service
from actas.app.settings import Settings
from actas.web import create_app

with warnings.catch_warnings():  # starlette's notice about httpx2 is not ours to fix
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)
ROW = "20,EDO. YARACUY,13,MP. X,1,PQ. X,{centre},{m},600,300,1,{eg},{nm},0,0,0,0,0,0,0,0,u\n"


def _clock() -> Any:
    counter = itertools.count()
    return lambda: f"2024-07-30T00:00:00.{next(counter):06d}Z"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("web_bounds")
    svc = Service.init(Settings.from_env(env={}, home=home), "ve-2024", clock=_clock())
    rows = "".join(
        ROW.format(centre=201301006 + c, m=m, eg=200 + m, nm=100 - m)
        for c in range(3)
        for m in range(1, 11)
    )
    data = Path(home) / "a.csv"
    data.write_text(HEADER + rows)
    svc.import_file(data)
    yield svc
    svc.close()


@pytest.fixture
def app(svc: Service) -> FastAPI:
    return create_app(svc.settings, svc, ttl=0)


def _sizes(app: FastAPI) -> tuple[tuple[int, int], tuple[int, int]]:
    site = app.state.site
    return site.cache.size, site.fast.size


def test_unknown_api_parameters_are_refused_and_cached_nowhere(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/api/v1/results?level=centre").status_code == 200
        before = _sizes(app)
        for i in range(40):
            r = c.get(f"/api/v1/results?level=centre&x={i}")
            assert r.status_code == 400, r.text
            err = r.json()["error"]
            assert err["code"] == "invalid_input"
            assert "unknown query parameter 'x'" in err["message"]
            assert "level" in err["message"]
        assert _sizes(app) == before


def test_spellings_of_one_query_share_one_entry(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as c:
        first = c.get("/api/v1/findings?limit=5&severity=warning")
        before = _sizes(app)
        for url in (
            "/api/v1/findings?severity=warning&limit=5",
            "/api/v1/findings?limit=7&severity=warning&limit=5",
        ):
            r = c.get(url)
            assert r.status_code == 200 and r.content == first.content
        assert _sizes(app) == before


def test_unknown_page_parameters_are_ignored_not_remembered(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as c:
        home = c.get("/")
        assert home.status_code == 200
        before = _sizes(app)
        for i in range(40):
            r = c.get(f"/?utm_source={i}")
            assert r.status_code == 200 and r.content == home.content
        assert _sizes(app) == before


def test_caches_are_bounded_by_bytes(app: FastAPI) -> None:
    site = app.state.site
    budget = 20_000
    site.cache.max_bytes = site.fast.max_bytes = budget
    with TestClient(app, raise_server_exceptions=False) as c:
        body = c.get("/api/v1/results?level=centre").content
        assert len(body) > budget // 10  # so that a few entries overflow the budget
        urls = [f"/api/v1/findings?limit={n}" for n in range(1, 60)]
        urls += [f"/api/v1/results?level={lv}" for lv in ("state", "municipality", "parish")]
        urls += ["/api/v1/results?level=centre", "/api/v1/election", "/"]
        for url in urls:
            assert c.get(url).status_code == 200
            for _entries, size in _sizes(app):
                assert size <= budget
        assert all(entries > 0 for entries, _ in _sizes(app))
        # what is evicted is built again, identically
        assert c.get("/api/v1/results?level=centre").content == body
