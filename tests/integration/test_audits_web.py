"""The audits on the portal and the API: list, one audit, both languages, errors, escaping.

A tiny election (30 tables) with a quick count seeded with hostile text and an
RLA over an authority's file with a hostile name, two of its draws audited
(one with a discrepancy). The pages show what ``audits.status`` says; the
JSON twins and the API are exactly it.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actas.app import audits
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
ROW = "20,EDO. YARACUY,13,MP. X,1,PQ. X,201301006,{m},600,300,1,{eg},{nm},0,0,0,0,0,0,0,0,u\n"
HOSTILE = "<script>alert(1)</script>"


def _clock() -> Any:
    counter = itertools.count()
    return lambda: f"2024-07-30T00:00:00.{next(counter):06d}Z"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("audits_web")
    svc = Service.init(Settings.from_env(env={}, home=home), "ve-2024", clock=_clock())
    rows = "".join(ROW.format(m=m, eg=200 + m, nm=100 - m) for m in range(1, 31))
    data = home / "a.csv"
    data.write_text(HEADER + rows)
    svc.import_file(data)
    qc = audits.create_quick_count(svc, 0.05, design_effect=2)
    audits.set_seed(svc, qc["audit"], HOSTILE + " 42")
    rla = audits.create_rla(
        svc,
        ["gonzalez"],
        ["maduro"],
        risk_limit=0.05,
        reported=(HEADER + rows).encode(),
        reported_name=HOSTILE + ".csv",
    )
    st = audits.set_seed(svc, rla["audit"], "1234 5678")
    first, second = st["pending"][:2]
    m = int(first.rsplit(".", 1)[1])
    audits.record(svc, rla["audit"], first, {"gonzalez": 200 + m, "maduro": 100 - m})
    m = int(second.rsplit(".", 1)[1])
    audits.record(svc, rla["audit"], second, {"gonzalez": 190 + m, "maduro": 110 - m})
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def client(svc: Service) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, svc, ttl=0), raise_server_exceptions=False) as c:
        yield c


def envelope(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    return dict(body["error"])


def test_api_and_json_twins_are_the_app_status(svc: Service, client: TestClient) -> None:
    listed = client.get("/api/v1/audits").json()
    assert listed == client.get("/audits.json").json() == {"audits": audits.overview(svc)}
    qc, rla = listed["audits"]
    assert (qc["kind"], rla["kind"]) == ("quickcount", "rla")
    assert qc["done"] == qc["planned"] > 0 and qc["missing"] == 0
    assert rla["state"] == "continue" and rla["done"] == 2 and rla["risk_limit"] == 0.05
    for a in (qc, rla):
        status = audits.status(svc, a["audit"])
        assert client.get(f"/api/v1/audits/{a['audit']}").json() == status
        assert client.get(f"/audits/{a['audit']}.json").json() == status
        assert client.get(f"/audits/{a['audit']}", headers={"accept": "application/json"}).json()


def test_the_list_page_in_both_languages(client: TestClient) -> None:
    es = client.get("/audits")
    assert es.status_code == 200 and es.headers["content-type"].startswith("text/html")
    assert '<a href="/audits" aria-current="page">Auditorías</a>' in es.text
    assert "Conteo rápido" in es.text and "continuar: faltan mesas por auditar" in es.text
    assert 'href="/audits/rla-2"' in es.text and "2 de " in es.text
    en = client.get("/audits?lang=en")
    assert "Audits and quick counts" in en.text and "continue: more tables to audit" in en.text
    home = client.get("/?lang=es")
    assert '<a href="/audits">Auditorías</a>' in home.text  # in every page's navigation


def test_an_rla_page_shows_seed_sample_progress_and_risk(svc: Service, client: TestClient) -> None:
    st = audits.status(svc, "rla-2")
    page = client.get("/audits/rla-2?lang=en").text
    assert st["commitment"]["leaf_hash"] in page and "1234 5678".replace(" ", "") in page
    assert f"log entry {st['seed']['seq']}" in page
    assert "Kaplan–Markov p-value" in page and "Risk limit" in page and "5.0%" in page
    assert f"2 of {st['sample_size']}" in page and "continue: more tables to audit" in page
    first, second = (d["table_id"] for d in st["draws"][:2])
    rows = {d["table_id"]: d for d in st["draws"]}
    assert rows[first]["matches"] and not rows[second]["matches"]
    assert (
        f'<tr class="state-audited"><th scope="row" class="num">1</th>'
        f'<td><a href="/tables/{first}">{first}</a></td><td>audited</td>'
    ) in page
    assert f'<a href="/tables/{second}">{second}</a></td><td>discrepancy</td>' in page
    assert "<td>pending</td>" in page
    es = client.get("/audits/rla-2?lang=es").text
    assert "Valor p de Kaplan–Markov" in es and "discrepancia" in es and "pendiente" in es


def test_a_quick_count_page_shows_estimates_and_missing(client: TestClient) -> None:
    page = client.get("/audits/qc-1?lang=en").text
    assert "Estimates" in page and "Edmundo González" in page and " to " in page
    assert "Sampled tables still missing" in page and "<td>received</td>" in page


def test_hostile_text_is_escaped(client: TestClient) -> None:
    for path in ("/audits/qc-1", "/audits/rla-2", "/audits", "/audits/rla-2?lang=en"):
        body = client.get(path).text
        assert "<script>alert" not in body, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/audits/qc-1?lang=es").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.csv" in client.get("/audits/rla-2?lang=es").text
    raw = client.get("/api/v1/audits/rla-2").content
    assert b"<script>" not in raw and b"\\u003cscript\\u003e" in raw


def test_errors_use_the_envelope(client: TestClient) -> None:
    err = envelope(client.get("/api/v1/audits/rla-99"), 404)
    assert err["code"] == "not_found" and "rla-99" in err["message"]
    err = envelope(client.get("/api/v1/audits/%3Cscript%3E"), 400)
    assert "audit id" in err["message"]
    envelope(client.get("/audits/rla-99.json"), 404)
    envelope(client.get("/audits/" + "a" * 200 + ".json"), 400)
    html = client.get("/audits/%3Cscript%3Ealert(1)")
    assert html.status_code == 400 and html.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in html.text
    assert client.get("/audits/rla-99").status_code == 404


def test_the_static_portal_has_the_audit_pages(svc: Service, tmp_path: Path) -> None:
    from actas.web.publish import publish

    publish(svc, tmp_path / "site", workers=1)
    site = tmp_path / "site"
    for name in ("audits.html", "audits.en.html", "audits/rla-2.html", "audits/qc-1.en.html"):
        assert (site / name).is_file(), name
    page = (site / "audits/rla-2.en.html").read_text("utf-8")
    assert 'href="../audits.en.html"' in page and "../static/style.css" in page
    assert 'href="../audits/rla-2.json"' in page
    listed = (site / "audits.html").read_text("utf-8")
    assert 'href="audits/rla-2.html"' in listed
    assert (site / "audits/rla-2.json").read_bytes() == (
        site / "audits" / "rla-2.json"
    ).read_bytes()
