"""The audits pages in Chromium: from the navigation to an RLA's sample and risk, both languages.

Runs the real app under uvicorn on a free loopback port over a tiny election
(30 tables) with a quick count whose seed is hostile text and an RLA with two
audited draws, one of them a discrepancy. The browser, the server and the page
fixtures are shared (``browserkit``, ``conftest.py``); skipped locally when
/usr/bin/chromium is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browserkit import PHONE, Pages, need_browser, scroll_width, serve, shot

from actas.app import audits
from actas.app.service import Service
from actas.app.settings import Settings

pytestmark = pytest.mark.e2e

HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL\n"
)
ROW = "20,EDO. YARACUY,13,MP. X,1,PQ. X,201301006,{m},600,300,1,{eg},{nm},0,0,0,0,0,0,0,0,u\n"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[str]]:
    """The data folder, and the RLA's first two draws (audited: matching, then not)."""
    need_browser()
    root = tmp_path_factory.mktemp("e2e_audits")
    settings = Settings.from_env(env={}, home=root / "home")
    svc = Service.init(settings, "ve-2024")
    data = root / "a.csv"
    data.write_text(HEADER + "".join(ROW.format(m=m, eg=200 + m, nm=100 - m) for m in range(1, 31)))
    svc.import_file(data)
    qc = audits.create_quick_count(svc, 0.05, design_effect=2)
    audits.set_seed(svc, qc["audit"], "<script>alert(1)</script>")
    rla = audits.create_rla(svc, ["gonzalez"], ["maduro"], risk_limit=0.05)
    st = audits.set_seed(svc, rla["audit"], "1234 5678")
    first, second = st["pending"][:2]
    for table, shift in ((first, 0), (second, 10)):
        m = int(table.rsplit(".", 1)[1])
        counts = {"gonzalez": 200 + m - shift, "maduro": 100 - m + shift}
        audits.record(svc, rla["audit"], table, counts)
    svc.close()
    return settings, [first, second]


@pytest.fixture(scope="module")
def base_url(settings: tuple[Settings, list[str]]) -> Iterator[str]:
    from actas.web import create_app

    app = create_app(settings[0])
    with serve(app) as url:
        yield url
    app.state.service.close()


def test_from_the_navigation_to_an_rla(
    page: Any, base_url: str, settings: tuple[Settings, list[str]]
) -> None:
    first, second = settings[1]
    page.goto(base_url + "/?lang=es")
    page.click("nav.main >> text=Auditorías")
    assert page.locator("h1").inner_text() == "Auditorías y conteos rápidos"
    rows = page.locator("table.audits tbody tr")
    assert rows.count() == 2
    assert "continuar" in rows.nth(1).inner_text()
    shot(page, "audits")
    page.click("a[href='/audits/rla-2']")
    assert page.locator("h1").inner_text() == "Auditoría rla-2"
    assert page.locator(".decision").inner_text() == "continuar: faltan mesas por auditar"
    assert page.locator(".p-value").inner_text().endswith("%")
    states = {
        r.locator("td a").inner_text(): r.locator("td").nth(1).inner_text()
        for r in page.locator("table.sample tbody tr").all()
    }
    assert states[first] == "auditada" and states[second] == "discrepancia"
    assert "pendiente" in states.values()
    shot(page, "audit-rla")
    page.click("nav.lang >> text=English")
    assert page.locator("h1").inner_text() == "Audit rla-2"
    assert page.locator(".decision").inner_text() == "continue: more tables to audit"
    page.click(f"table.sample a[href='/tables/{first}']")
    assert page.locator("h1").inner_text() == f"Table {first}"


def test_the_quick_count_shows_a_hostile_seed_as_text(page: Any, base_url: str) -> None:
    page.goto(base_url + "/audits/qc-1?lang=en")
    assert page.locator("code.seed").inner_text() == "<script>alert(1)</script>"
    assert page.locator("table.results tbody tr").count() == 10  # every candidate estimated
    assert page.locator(".missing").inner_text() == "0"
    shot(page, "audit-qc")


def test_readable_at_360_px(pages: Pages, base_url: str) -> None:
    pg = pages(viewport=PHONE)
    for path in ("/audits", "/audits/rla-2", "/audits/qc-1"):
        pg.goto(base_url + path)
        width = scroll_width(pg)
        assert width <= 360, f"{path} scrolls horizontally ({width} px)"
