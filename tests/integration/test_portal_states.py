"""Every table has a page, in the state it is in, with its sources side by side.

A small election (ve-2024) with a registry of five tables at one centre: one read
from a file, one in conflict (two files disagree), one whose row could not be read
(received), two with nothing yet (pending). Checked on the live pages, their JSON
twins and the Spanish wording.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from actas.app.settings import Settings
from actas.web import create_app
from statekit import CENTRE, build_states_home

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_states_home(tmp_path_factory.mktemp("states"))


@pytest.fixture(scope="module")
def app(home: Path) -> Iterator[FastAPI]:
    application = create_app(Settings.from_env(env={}, home=home), ttl=0)
    yield application
    application.state.service.close()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def state_of(client: TestClient, table_id: str) -> tuple[str, str | None]:
    data = client.get(f"/tables/{table_id}.json").json()
    return data["state"], data["waiting"]


def test_every_registry_table_has_a_page_in_its_state(client: TestClient) -> None:
    assert state_of(client, f"{CENTRE}.01") == ("conflict", None)
    assert state_of(client, f"{CENTRE}.02") == ("read", None)
    assert state_of(client, f"{CENTRE}.03") == ("received", "rejected")
    assert state_of(client, f"{CENTRE}.04") == ("pending", None)
    page = client.get(f"/tables/{CENTRE}.05")
    assert page.status_code == 200
    assert 'data-state="pending"' in page.text and "Qué sigue" in page.text
    # not in the registry and nothing received: still no such table
    assert client.get(f"/tables/{CENTRE}.09").status_code == 404


def test_the_centre_lists_every_table_of_the_registry(client: TestClient) -> None:
    rows = client.get(f"/regions/{CENTRE}.json").json()["tables"]
    states = {r["table_id"]: r["state"] for r in rows}
    assert states == {
        f"{CENTRE}.01": "conflict",
        f"{CENTRE}.02": "read",
        f"{CENTRE}.03": "received",
        f"{CENTRE}.04": "pending",
        f"{CENTRE}.05": "pending",
    }
    html = client.get(f"/regions/{CENTRE}").text
    for m in range(1, 6):
        assert f'href="/tables/{CENTRE}.0{m}"' in html


def test_a_conflict_shows_each_source_side_by_side(client: TestClient) -> None:
    data = client.get(f"/tables/{CENTRE}.01.json").json()
    cmp = data["comparison"]
    assert len(cmp["columns"]) == 2
    rows = {r["name"] or r["field"]: r for r in cmp["rows"]}
    eg = rows["Edmundo González Urrutia"]
    assert eg["values"] == [167, 168] and eg["differs"] and eg["marks"] == [True, True]
    assert rows["Nicolás Maduro"]["values"] == [188, 188] and not rows["Nicolás Maduro"]["differs"]
    html = client.get(f"/tables/{CENTRE}.01").text
    table = re.search(r'<table class="compare" id="compare">(.*?)</table>', html, re.S)
    assert table is not None
    body = table.group(1)
    eg_row = next(r for r in body.split("<tr") if "Edmundo González Urrutia" in r)
    assert 'class="differs"' in eg_row and eg_row.count("diff") >= 3 and "≠" in eg_row
    # each column links to its source's receipt and proof
    for col in cmp["columns"]:
        assert f'href="#h-sub-{col["seq"]}"' in body and f'href="#proof-{col["seq"]}"' in body
        assert f'id="proof-{col["seq"]}"' in html
    assert "votos por candidato" in html  # the differing field, in Spanish


def test_head_answers_where_get_does(client: TestClient) -> None:
    for path in ("/", f"/tables/{CENTRE}.01", "/api/v1/results", "/static/style.css"):
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers.get("etag") == got.headers.get("etag")
    assert client.head(f"/tables/{CENTRE}.09").status_code == 404


def _visible_words(html: str) -> list[str]:
    """The words a reader sees: no scripts, code, hashes, raw rows or English-tagged text."""
    text = re.sub(r"<(script|style|pre|code)\b[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r'<[^>]*\blang="en"[^>]*>[^<]*', " ", text)
    text = re.sub(r"<[^>]*>", " ", text)
    return re.findall(r"[^\W\d_]+", text)


def test_spanish_pages_have_no_english(client: TestClient) -> None:
    import json

    web = Path(__file__).resolve().parents[2] / "src" / "actas" / "web" / "locales"
    es = json.loads((web / "es.json").read_text("utf-8"))
    en = json.loads((web / "en.json").read_text("utf-8"))

    def words(catalog: dict[str, str]) -> set[str]:
        return {w.lower() for v in catalog.values() for w in re.findall(r"[^\W\d_]+", v)}

    # English words of the catalog that Spanish never uses, and the English of the rules'
    # messages and field names (text that reached Spanish pages before)
    english = (words(en) - words(es)) | {"the", "was", "sent", "picture", "votes", "differs"}
    english = {w for w in english if len(w) >= 3}
    pages = [
        "/",
        "/map",
        f"/regions/{CENTRE}",
        f"/tables/{CENTRE}.01",
        f"/tables/{CENTRE}.02",
        f"/tables/{CENTRE}.03",
        f"/tables/{CENTRE}.04",
        "/search?q=201301006",
        "/downloads",
        "/methodology",
        "/audits",
    ]
    # text of the election's definition (its sources are cited as written) is data
    from actas.adapters.elections import load_builtin

    election = load_builtin("ve-2024")
    data = [election.expected_source, election.name_en]
    for path in pages:
        got = client.get(path)
        assert got.status_code == 200, path
        text = got.text
        for value in data:
            text = text.replace(value, " ") if value else text
        found = sorted({w for w in _visible_words(text) if w.lower() in english})
        assert not found, f"{path}: English on a Spanish page: {found}"
    # plurals: one source is "1 fuente", never "1 fuentes"
    html = client.get(f"/tables/{CENTRE}.02").text
    assert not re.search(r"\b1 (fuentes|lecturas|fotos)\b", html) and "(s)" not in html


def test_findings_and_conflicts_pages_filter_and_download(client: TestClient) -> None:
    conflicts = client.get("/conflicts.json").json()["conflicts"]
    assert [c["table_id"] for c in conflicts] == [f"{CENTRE}.01"]
    html = client.get("/conflicts").text
    assert f'href="/tables/{CENTRE}.01#h-sources"' in html and "votos por candidato" in html
    assert client.get("/conflicts.json?region=21").json()["conflicts"] == []
    assert len(client.get(f"/conflicts.json?region={CENTRE}").json()["conflicts"]) == 1
    rows = client.get("/conflicts.csv").text.splitlines()
    assert rows[0].startswith("table_id,differing,leaf,channel") and len(rows) == 3
    assert "gonzalez" in rows[0] and all(r.startswith(f"{CENTRE}.01,votes") for r in rows[1:])

    data = client.get("/findings.json?code=row.bad_value").json()
    assert data["findings"] and {f["code"] for f in data["findings"]} == {"row.bad_value"}
    assert {f["table_id"] for f in data["findings"]} == {f"{CENTRE}.03"}
    assert client.get("/findings.json?severity=info&code=row.bad_value").json()["findings"] == []
    assert client.get("/findings.json?region=21").json()["findings"] == []
    page = client.get("/findings?severity=error").text
    assert f'href="/tables/{CENTRE}.03"' in page and "no es un número válido" in page
    csv_rows = client.get("/findings.csv?code=row.bad_value").text.splitlines()
    assert csv_rows[0] == "table_id,leaf,code,severity,message" and len(csv_rows) >= 2
    assert client.get("/findings?severity=bad").status_code == 400
    assert client.get("/findings?region=2x").status_code == 400


def test_static_export_names_lead_to_the_live_pages(client: TestClient) -> None:
    cases = {
        f"/tables/{CENTRE}.01.html": f"/tables/{CENTRE}.01",
        f"/tables/{CENTRE}.01.en.html": f"/tables/{CENTRE}.01?lang=en",
        f"/regions/{CENTRE}.html": f"/regions/{CENTRE}",
        "/index.html": "/",
        "/index.en.html": "/?lang=en",
        "/map-coverage.html": "/map?view=coverage",
        "/conflicts.html": "/conflicts",
    }
    for static, live in cases.items():
        got = client.get(static, follow_redirects=False)
        assert got.status_code == 308 and got.headers["location"] == live, static
        assert client.get(static).status_code == 200, static


def test_home_says_when_it_was_last_updated_in_the_election_zone(client: TestClient) -> None:
    html = client.get("/?lang=es").text
    found = re.search(r'id="updated">[^<]*<time datetime="([^"]+)" data-ago>([^<]+)</time>', html)
    assert found is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", found.group(1))
    assert re.fullmatch(r"\d{1,2} [a-z]{3} \d{4}, \d\d:\d\d", found.group(2))
    assert "hora de Caracas" in html
    assert not re.search(
        r"\d\d:\d\d:\d\d\.\d{6}", re.sub(r"<(pre|code)\b.*?</\1>", "", html, flags=re.S)
    )
