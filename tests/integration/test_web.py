"""The portal and the JSON API over V1 (plus the centre names): figures, search, errors, caching."""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from actas.app.service import Service
from actas.app.settings import Settings
from actas.core.log import checkpoint as cp
from actas.core.log import merkle
from actas.web import create_app
from actas.web.geo import load_map, name_key

with warnings.catch_warnings():  # starlette's notice about httpx2 is not ours to fix
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

GEO = "geo/geoBoundaries-VEN-ADM1_simplified.geojson"
JSON = {"accept": "application/json"}
HOSTILE = [
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "1; DROP TABLE submissions",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "a" * 101,
]

# Every route of the app, with a value for each path parameter. A new route must be
# added here, so that the test below checks it answers errors with the envelope.
ROUTES: dict[str, dict[str, str]] = {
    "/": {},
    "/index.json": {},
    "/map": {},
    "/map.json": {},
    "/regions/{code}": {"code": "20"},
    "/tables/{table_id}": {"table_id": "201301006.01"},
    "/search": {},
    "/search.json": {},
    "/downloads": {},
    "/downloads.json": {},
    "/findings": {},
    "/findings.json": {},
    "/findings.csv": {},
    "/conflicts": {},
    "/conflicts.json": {},
    "/conflicts.csv": {},
    "/downloads/{name:path}": {"name": "MANIFEST.json"},
    "/methodology": {},
    "/methodology.json": {},
    "/audits": {},
    "/audits.json": {},
    "/audits/{audit_id}": {"audit_id": "rla-1"},
    "/photos/{sha256}": {"sha256": "0" * 64},
    "/static/{name}": {"name": "style.css"},
    "/healthz": {},
    "/api/v1/election": {},
    "/api/v1/results": {},
    "/api/v1/results/{code}": {"code": "20"},
    "/api/v1/results/{code}/children": {"code": "20"},
    "/api/v1/tables/{table_id}": {"table_id": "201301006.01"},
    "/api/v1/search": {},
    "/api/v1/checkpoint": {},
    "/api/v1/proof/inclusion/{leaf}": {"leaf": "1"},
    "/api/v1/proof/consistency": {},
    "/api/v1/findings": {},
    "/api/v1/conflicts": {},
    "/api/v1/audits": {},
    "/api/v1/audits/{audit_id}": {"audit_id": "rla-1"},
    "/api/v1/openapi.json": {},
}
# A request that must fail on routes with parameters: (path, expected status).
BAD_PARAMS = {
    "/regions/{code}": ("/regions/2x", 400),
    "/tables/{table_id}": ("/tables/201301006.99", 404),
    "/search": ("/search?q=" + "a" * 101, 400),
    "/search.json": ("/search.json?q=%3Cscript%3E", 400),
    "/map": ("/map?view=%3Cscript%3E", 400),
    "/downloads/{name:path}": ("/downloads/..%2Fsecrets", 404),
    "/photos/{sha256}": ("/photos/" + "0" * 64, 404),
    "/static/{name}": ("/static/..%2F..%2Fapp.py", 404),
    "/api/v1/results": ("/api/v1/results?level=galaxy", 400),
    "/api/v1/results/{code}": ("/api/v1/results/99", 404),
    "/api/v1/results/{code}/children": ("/api/v1/results/abc/children", 400),
    "/api/v1/tables/{table_id}": ("/api/v1/tables/x", 400),
    "/api/v1/search": ("/api/v1/search", 400),
    "/api/v1/proof/inclusion/{leaf}": ("/api/v1/proof/inclusion/99999999", 404),
    "/api/v1/proof/consistency": ("/api/v1/proof/consistency?old=5&new=2", 404),
    "/api/v1/findings": ("/api/v1/findings?limit=0", 400),
    "/api/v1/conflicts": ("/api/v1/conflicts?limit=-1", 400),
    "/audits/{audit_id}": ("/audits/%3Cscript%3E", 400),
    "/api/v1/audits/{audit_id}": ("/api/v1/audits/rla-1", 404),
}


@pytest.fixture(scope="module")
def web_home(v1_service: Any, ve: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the V1 data folder, with the centre names and a checkpoint."""
    home = tmp_path_factory.mktemp("webhome") / "home"
    shutil.copytree(v1_service.settings.home, home)
    svc = Service.open(_settings(home, ve))
    svc.import_file(ve / "resultadosconvzla" / "zentraedi_2024_vzla_presidential.csv", "centres")
    svc.import_claims()  # the CNE's bulletins (built in)
    svc.log.publish_checkpoint("2024-07-29T05:00:00.000000Z")
    svc.close()
    return home


def _settings(home: Path, ve: Path) -> Settings:
    return Settings.from_env(env={}, home=home, geometry=str(ve / GEO))


@pytest.fixture(scope="module")
def app(web_home: Path, ve: Path) -> Iterator[FastAPI]:
    application = create_app(_settings(web_home, ve), ttl=0)
    yield application
    application.state.service.close()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def envelope(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "status"}
    assert body["error"]["status"] == status
    return dict(body["error"])


# --------------------------------------------------------------------------- figures


def test_home_and_results_give_the_national_figures(client: TestClient) -> None:
    r = client.get("/api/v1/results")
    assert r.status_code == 200
    nat = r.json()
    assert nat["tables"]["counted"] == 24532
    assert nat["tables"]["expected"] == 30026
    votes = {c["id"]: c["votes"] for c in nat["candidates"]}
    assert votes["gonzalez"] == 7_156_462
    assert votes["maduro"] == 3_241_461
    assert nat["valid"] == 10_659_128
    assert nat["null"] == 1_139
    assert client.get("/index.json").json()["national"] == nat
    html = client.get("/").text
    for figure in ("24.532", "30.026", "7.156.462", "3.241.461", "10.659.128", "1.139"):
        assert figure in html
    english = client.get("/?lang=en").text
    assert "7,156,462" in english and "24,532" in english
    client.cookies.clear()
    states = client.get("/api/v1/results?level=state").json()
    assert len(states) == 24
    assert sum(s["tables"]["counted"] for s in states) == 24532


def test_official_claims_beside_the_actas(client: TestClient) -> None:
    claims = client.get("/index.json").json()["claims"]
    second = next(c for c in claims if c["label"] == "Second bulletin")
    rows = {r["id"]: r for r in second["rows"]}
    assert rows["gonzalez"]["official"] == 5_326_104
    assert rows["gonzalez"]["collected"] == 7_156_462
    assert rows["gonzalez"]["contradiction"] is True
    assert rows["maduro"]["contradiction"] is False
    html = client.get("/").text
    assert "5.326.104" in html and "contradicción" in html


def test_region_pages_go_down_the_hierarchy(client: TestClient) -> None:
    state = client.get("/regions/20.json").json()
    assert state["region"]["name"] == "EDO. YARACUY"
    assert state["child_level"] == "municipality"
    assert "2013" in {c["code"] for c in state["children"]}
    centre = client.get("/regions/201301006", headers=JSON).json()
    assert [c["code"] for c in centre["crumbs"]] == ["20", "2013", "201301", "201301006"]
    assert "201301006.01" in {t["table_id"] for t in centre["tables"]}
    html = client.get("/regions/201301006").text
    assert 'href="/tables/201301006.01"' in html
    assert client.get("/api/v1/results/2013/children").json()[0]["level"] == "parish"


def test_table_page_counts_and_proof(client: TestClient) -> None:
    html = client.get("/tables/201301006.01").text
    counts = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([\d.]+)</td>', html))
    assert counts["Nicolás Maduro"] == "188"
    assert counts["Edmundo González Urrutia"] == "167"
    assert 'id="verify-btn"' in html and "verify.js" in html
    assert "https://static.resultadosconvzla.com/021223_555685_0491Acta0130.jpg" in html
    assert "<img" not in html  # remote photos are links, never loaded
    data = client.get("/api/v1/tables/201301006.01").json()
    assert client.get("/tables/201301006.01.json").json() == data
    votes = {c["id"]: c["votes"] for c in data["result"]["candidates"]}
    assert (votes["maduro"], votes["gonzalez"]) == (188, 167)
    sub = data["submissions"][0]
    inc = sub["inclusion"]
    leaf_hash = merkle.leaf_hash(sub["leaf"].encode("ascii"))
    assert leaf_hash.hex() == sub["leaf_hash"]
    proof = [bytes.fromhex(h) for h in inc["proof"]]
    root = bytes.fromhex(inc["root_hash"])
    assert merkle.verify_inclusion(leaf_hash, inc["leaf_index"], inc["tree_size"], proof, root)
    verifier = cp.Verifier.from_text(data["checkpoint"]["verifier_key"])
    checkpoint = cp.open_checkpoint(data["checkpoint"]["note"].encode(), verifier)
    assert checkpoint.root_hash == root and checkpoint.size == inc["tree_size"]
    embedded = re.search(r'<script type="application/json" id="verify-data">(.*?)</script>', html)
    assert embedded is not None
    blob = json.loads(embedded.group(1))
    assert blob["leaves"][0]["leaf"] == sub["leaf"]
    assert blob["note"] == data["checkpoint"]["note"]


def test_proof_endpoints(client: TestClient) -> None:
    head = client.get("/api/v1/checkpoint").json()
    inc = client.get(f"/api/v1/proof/inclusion/{head['size'] - 1}").json()
    assert inc["tree_size"] == head["size"] and inc["root_hash"] == head["root_hash"]
    cons = client.get("/api/v1/proof/consistency?old=100").json()
    assert cons["new_size"] == head["size"] and cons["new_root"] == head["root_hash"]
    old = bytes.fromhex(cons["old_root"])
    new = bytes.fromhex(cons["new_root"])
    proof = [bytes.fromhex(h) for h in cons["proof"]]
    assert merkle.verify_consistency(100, head["size"], old, new, proof)
    f = client.get("/api/v1/findings?code=turnout.high").json()
    assert f["findings"] and all(x["code"] == "turnout.high" for x in f["findings"])
    assert client.get("/api/v1/conflicts").json() == []


# --------------------------------------------------------------------------- search


def test_search_is_accent_insensitive(client: TestClient) -> None:
    hits = client.get("/api/v1/search?q=pena").json()["results"]
    names = {h["name"] for h in hits}
    assert "MP. PEÑA" in names and "MP. PEÑALVER" in names
    assert "MP. PEÑA" in client.get("/search?q=PEÑA").text
    table = client.get("/api/v1/search?q=201301006.01").json()["results"]
    assert table[0] == {"kind": "table", "table_id": "201301006.01", "code": "201301006.01"}
    centre = client.get("/api/v1/search?q=10113042").json()["results"]  # V1's unpadded code
    assert centre[0]["code"] == "010113042" and centre[0]["level"] == "centre"


def test_search_finds_a_centre_by_its_name(client: TestClient) -> None:
    hits = client.get("/api/v1/search", params={"q": "distrital madariaga"}).json()["results"]
    found = [h for h in hits if h["code"] == "010101001"]
    assert found and found[0]["name"] == "UNIDAD EDUCATIVA DISTRITAL MADARIAGA"
    assert found[0]["within"][0] == "DTTO. CAPITAL"


# --------------------------------------------------------------------------- errors


def test_unknown_and_malformed(client: TestClient) -> None:
    assert envelope(client.get("/api/v1/tables/201301006.99"), 404)["code"] == "not_found"
    assert envelope(client.get("/api/v1/tables/2013.01"), 400)["code"] == "invalid_input"
    assert envelope(client.get("/tables/201301006.99.json"), 404)["code"] == "not_found"
    assert envelope(client.get("/nowhere", headers=JSON), 404)["code"] == "not_found"
    err = envelope(client.post("/api/v1/results"), 405)
    assert err["code"] == "method_not_allowed"
    long = envelope(client.get("/api/v1/search", params={"q": "x" * 101}), 400)
    assert "100" in long["message"]
    page = client.get("/tables/201301006.99")  # a browser gets a page, same status
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>" in page.text


@pytest.mark.parametrize("evil", HOSTILE)
def test_hostile_input_is_refused_cleanly(client: TestClient, evil: str) -> None:
    paths = [
        f"/tables/{evil}",
        f"/regions/{evil}",
        f"/api/v1/tables/{evil}",
        f"/api/v1/results/{evil}",
        f"/api/v1/findings?code={evil}",
    ]
    for path in paths:
        for headers in ({}, JSON):
            r = client.get(path, headers=headers)
            assert 400 <= r.status_code < 500, (path, r.status_code)
            assert "<script>" not in r.text and "DROP TABLE" not in r.text
            if headers:
                envelope(r, r.status_code)
    for path in ("/api/v1/search", "/search", "/search.json"):
        r = client.get(path, params={"q": evil})
        assert r.status_code == 400
        assert "<script>" not in r.text and "DROP TABLE" not in r.text


def test_every_route_errs_with_the_envelope(app: FastAPI, client: TestClient) -> None:
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    mine = {r.path for r in routes if r.tags and r.tags[0] in ("portal", "api")}
    assert mine == set(ROUTES), "add new portal/API routes to ROUTES (and BAD_PARAMS)"
    for path, params in ROUTES.items():
        url = path.replace(":path}", "}").format(**params)
        err = envelope(client.delete(url, headers=JSON), 405)
        assert err["code"] == "method_not_allowed"
        if path in BAD_PARAMS:
            bad, status = BAD_PARAMS[path]
            envelope(client.get(bad, headers=JSON), status)
    # every other route (the people pages and API): a method it does not take gives the
    # envelope, and so does an anonymous call to a route for signed-in roles
    methods: dict[str, set[str]] = {}
    for route in routes:
        methods.setdefault(route.path, set()).update(route.methods or ())
    for route in routes:
        if route.path in mine:
            continue
        url = re.sub(r"\{[^}]+\}", "1", route.path)
        other = next(
            m for m in ("DELETE", "PUT", "PATCH", "POST", "GET") if m not in methods[route.path]
        )
        envelope(client.request(other, url, headers=JSON), 405)
        if isinstance((route.openapi_extra or {}).get("x-access"), list):
            for method in sorted(route.methods or ()):
                r = client.request(method, url, headers=JSON)
                assert r.status_code in (401, 403), (method, url, r.status_code)
                envelope(r, r.status_code)


def test_unexpected_errors_become_a_500_envelope(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = app.state.site

    def boom() -> dict[str, Any]:
        raise RuntimeError("secret detail <b>")

    monkeypatch.setattr(site, "methodology_data", boom)
    site.cache.clear()
    site.fast.clear()
    err = envelope(client.get("/api/v1/election"), 500)
    assert err == {"code": "internal_error", "message": "internal error", "status": 500}


def test_routes_must_declare_access(
    web_home: Path, ve: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import actas.web.app as web_app

    def undeclared(application: FastAPI, site: Any) -> None:
        @application.get("/api/v1/secret")
        async def secret() -> dict[str, str]:
            return {}

    monkeypatch.setattr(web_app, "add_api", undeclared)
    with pytest.raises(RuntimeError, match="/api/v1/secret"):
        create_app(_settings(web_home, ve))


def test_openapi_declares_access_on_every_operation(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    ops = [op for item in spec["paths"].values() for op in item.values()]
    mine = [op for op in ops if op.get("tags", [""])[0] in ("portal", "api")]
    assert len(mine) >= 20
    assert all(op["x-access"] == "public" for op in mine)
    assert all("x-access" in op for op in ops)


# --------------------------------------------------------------------------- caching


def test_etag_304_and_last_modified(client: TestClient) -> None:
    first = client.get("/api/v1/results")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    assert "last-modified" in first.headers
    again = client.get("/api/v1/results", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    since = client.get(
        "/api/v1/results", headers={"if-modified-since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
    page = client.get("/tables/201301006.01")
    assert (
        client.get(
            "/tables/201301006.01", headers={"if-none-match": page.headers["etag"]}
        ).status_code
        == 304
    )
    other = client.get("/tables/201301006.01?lang=en")
    assert other.headers["etag"] != page.headers["etag"]
    client.cookies.clear()


def test_gzip(client: TestClient) -> None:
    r = client.get("/", headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert "7.156.462" in r.text  # httpx decodes it
    raw = client.get("/index.json", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert gzip.decompress(gzip.compress(raw.content)) == raw.content


def test_security_headers(client: TestClient) -> None:
    r = client.get("/")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


# --------------------------------------------------------------------------- language, map


def test_language_switch_and_cookie(client: TestClient) -> None:
    es = client.get("/map")
    assert 'lang="es"' in es.text and "Mapa por estado" in es.text
    en = client.get("/map?lang=en")
    assert 'lang="en"' in en.text and "Map by state" in en.text
    assert "lang=en" in en.headers["set-cookie"]
    assert en.headers["cache-control"].startswith("private")
    later = client.get("/methodology")  # the client kept the cookie
    assert 'lang="en"' in later.text
    client.cookies.clear()
    assert 'href="/map?lang=en"' in client.get("/map").text


def test_map_matches_every_state(client: TestClient, ve: Path) -> None:
    data = client.get("/map.json").json()
    assert sorted(data["geometry"]["matched"]) == [f"{i:02d}" for i in range(1, 25)]
    assert data["geometry"]["unmatched"] == ["Dependencias Federales"]
    assert all(s["winner"] == "gonzalez" for s in data["states"])
    html = client.get("/map").text
    assert html.count("<path ") == 24
    assert "geoBoundaries" in html and '<title id="map-title">' in html
    assert client.get("/map?view=coverage").status_code == 200
    assert name_key("EDO.NVA.ESPARTA") == name_key("Nueva esparta") == "nueva esparta"
    assert name_key("DTTO. CAPITAL") == "caracas"
    assert name_key("EDO. TACHIRA") == name_key("Táchira")
    geo = load_map(ve / GEO, {"21": "EDO. ZULIA"})
    assert [f.code for f in geo.features] == ["21"]


def test_downloads_and_static(client: TestClient, web_home: Path) -> None:
    page = client.get("/downloads.json").json()
    assert page["verifier_key"].startswith("actas.example/ve-2024+")
    assert {s["name"] for s in page["sources"]} >= {"RESULTADOS_2024_CSV_V1.csv"}
    css = client.get("/static/style.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "max-age=86400" in css.headers["cache-control"]
    i18n = client.get("/static/i18n.en.js").text
    assert i18n.startswith("window.ACTAS_I18N=") and "Verified" in i18n
    envelope(client.get("/photos/nothex", headers=JSON), 400)


def test_downloads_list_the_bundle(web_home: Path, ve: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "MANIFEST.json").write_text('{"files": []}')
    (bundle / "mappings").mkdir()
    (bundle / "mappings" / "cvzla.toml").write_text("[format]\n")
    settings = Settings.from_env(env={}, home=web_home, bundle_dir=str(bundle))
    application = create_app(settings, ttl=0)
    with TestClient(application) as c:
        files = c.get("/downloads.json").json()["bundle"]
        assert files[0]["name"] == "MANIFEST.json" and len(files[0]["sha256"]) == 64
        assert [f["name"] for f in files] == ["MANIFEST.json", "mappings/cvzla.toml"]
        assert c.get("/downloads/MANIFEST.json").json() == {"files": []}
        assert c.get("/downloads/mappings/cvzla.toml").text == "[format]\n"
        assert c.get("/downloads/mappings/nothere.toml").status_code == 404
    application.state.service.close()


def test_leaf_bytes_in_page_are_exact(client: TestClient) -> None:
    data = client.get("/api/v1/tables/201301006.01").json()
    leaf = data["submissions"][0]["leaf"]
    assert leaf.startswith("actas-leaf:v1\n")
    entry = json.loads(leaf.split("\n", 1)[1])
    assert base64.b64decode(entry["raw"]).decode() == data["submissions"][0]["raw"]
