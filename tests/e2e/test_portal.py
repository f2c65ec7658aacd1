"""The portal in Chromium: navigation, search, language, "verify here", the static copy, 360 px.

Runs the real app under uvicorn on a free loopback port, over the V1 tables of
Yaracuy (state 20) with the centre names, and the same data published as static
files opened from ``file://``. Screenshots go to ``test-artifacts/`` (git-ignored).
Skipped locally when /usr/bin/chromium is missing; in CI (``CI`` set) that fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import PHONE, Pages, need_browser, scroll_width, serve, shot

from actas.app.service import Service
from actas.app.settings import Settings

pytestmark = pytest.mark.e2e

GEO = "geo/geoBoundaries-VEN-ADM1_simplified.geojson"
TABLE = "201301006.01"


@pytest.fixture(scope="module")
def data(ve: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """A data folder with Yaracuy's V1 tables, the centre names and a checkpoint; its static copy."""
    need_browser()
    root = tmp_path_factory.mktemp("e2e")
    src = ve / "resultadosconvzla" / "RESULTADOS_2024_CSV_V1.csv"
    lines = src.read_text("utf-8-sig").splitlines(keepends=True)
    small = root / "yaracuy.csv"
    small.write_text(lines[0] + "".join(ln for ln in lines[1:] if ln.startswith("20,")), "utf-8")
    settings = Settings.from_env(env={}, home=root / "home", geometry=str(ve / GEO))
    svc = Service.init(settings, "ve-2024")
    svc.import_file(small)
    svc.import_file(ve / "resultadosconvzla" / "zentraedi_2024_vzla_presidential.csv", "centres")
    svc.log.publish_checkpoint(svc.clock())
    from actas.web.publish import publish

    site = root / "site"
    publish(svc, site, geometry=ve / GEO)
    svc.close()
    return settings, site


@pytest.fixture(scope="module")
def base_url(data: tuple[Settings, Path]) -> Iterator[str]:
    from actas.web import create_app

    app = create_app(data[0])
    with serve(app) as url:
        yield url
    app.state.service.close()


def _verify(pg: Any) -> str:
    pg.click("#verify-btn")
    pg.wait_for_selector("#verify-result [data-result]", timeout=15000)
    return str(pg.get_attribute("#verify-result [data-result]", "data-result"))


def test_home_to_state_to_centre_to_table(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    assert page.locator("h1").inner_text() == "Resultados por acta"
    shot(page, "home")
    page.click("text=EDO. YARACUY")
    assert "/regions/20" in page.url
    shot(page, "state")
    page.click("a[href='/regions/2013']")
    page.click("a[href='/regions/201301']")
    page.click("a[href='/regions/201301006']")
    assert page.locator("h1").inner_text().startswith("ESCUELA")
    shot(page, "centre")
    page.click(f"a[href='/tables/{TABLE}']")
    assert page.locator("h1").inner_text() == f"Mesa {TABLE}"
    rows = page.locator("table.results tbody tr")
    votes = {r.locator("th").inner_text(): r.locator("td.num").nth(1).inner_text() for r in rows.all()}
    assert votes["Nicolás Maduro"] == "188" and votes["Edmundo González Urrutia"] == "167"
    shot(page, "table")


def test_search_and_language(page: Any, base_url: str) -> None:
    page.goto(base_url + "/search")
    page.fill("#q", "pena")
    page.click("form.search button")
    assert "MP. PEÑA" in page.locator("ul.hits").inner_text()
    shot(page, "search")
    page.fill("#q", "escuela integral bolivariana carretera")
    page.click("form.search button")
    page.click("ul.hits a >> nth=0")
    assert "/regions/" in page.url
    page.goto(base_url + "/")
    page.click("nav.lang >> text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Results from the tally sheets"
    page.click("nav.main >> text=Map")  # the cookie keeps English
    assert page.locator("h1").inner_text() == "Map by state"
    assert page.locator("figure.map svg path").count() == 24
    shot(page, "map-en")
    page.click("nav.lang >> text=Español")
    assert page.locator("h1").inner_text() == "Mapa por estado"


def test_verify_here_passes(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/tables/{TABLE}")
    assert _verify(page) == "pass"
    assert "Verificado" in page.locator("#verify-result").inner_text()
    shot(page, "verify-pass")


def test_verify_here_fails_when_the_proof_is_altered(page: Any, base_url: str) -> None:
    def tamper(route: Any) -> None:
        response = route.fetch()
        html = response.text()

        def flip(m: re.Match[str]) -> str:
            return m.group(1) + ("1" if m.group(2) == "0" else "0")

        changed = re.sub(r'("proof":\["[0-9a-f]{10})([0-9a-f])', flip, html, count=1)
        assert changed != html
        route.fulfill(response=response, body=changed)

    page.route(f"**/tables/{TABLE}", tamper)
    page.goto(f"{base_url}/tables/{TABLE}")
    assert _verify(page) == "fail"
    text = page.locator("#verify-result").inner_text()
    assert "No verificado" in text and "no lleva a la raíz firmada" in text
    shot(page, "verify-fail")


def test_verify_fails_with_another_key(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/tables/{TABLE}")
    key = page.input_value("#verify-key")
    name, keyhash, material = key.split("+", 2)
    page.fill("#verify-key", f"{name}+{keyhash}+{material[:-8]}AAAAAAA=")
    assert _verify(page) == "fail"


def test_static_copy_works_from_file(page: Any, data: tuple[Settings, Path]) -> None:
    site = data[1]
    page.goto((site / "index.html").as_uri())
    assert page.locator("h1").inner_text() == "Resultados por acta"
    page.click("text=EDO. YARACUY")
    assert page.url.endswith("regions/20.html")
    page.goto((site / "tables" / f"{TABLE}.html").as_uri())
    assert _verify(page) == "pass"
    shot(page, "static-verify")
    page.click("nav.lang >> text=English")
    assert page.url.endswith(f"tables/{TABLE}.en.html")
    assert _verify(page) == "pass"
    assert "Verified" in page.locator("#verify-result").inner_text()
    page.goto((site / "search.html").as_uri() + "?q=pena")
    assert "MP. PEÑA" in page.locator("#search-results").inner_text()
    twin = json.loads((site / "tables" / f"{TABLE}.json").read_text("utf-8"))
    assert twin["submissions"][0]["inclusion"]["verified"] is True


@pytest.mark.parametrize("path", ["/", f"/tables/{TABLE}", "/regions/20", "/map"])
def test_readable_at_360_px(pages: Pages, base_url: str, path: str) -> None:
    pg = pages(viewport=PHONE)
    pg.goto(base_url + path)
    width = scroll_width(pg)
    assert width <= 360, f"{path} scrolls horizontally ({width} px)"
    font = pg.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 16
    name = "narrow-" + (path.strip("/").replace("/", "-") or "home")
    shot(pg, name)


def test_usable_without_javascript(pages: Pages, base_url: str) -> None:
    pg = pages(java_script_enabled=False)
    pg.goto(f"{base_url}/search?q=pena")
    assert "MP. PEÑA" in pg.locator("ul.hits").inner_text()
    pg.goto(f"{base_url}/tables/{TABLE}")
    assert pg.locator("#verify-btn").is_hidden()  # the only part that needs JavaScript
    assert "Votos del acta" in pg.content()
