"""Each state of a table's page in Chromium, at 1280 px and 390 px: pending, received,
read and in conflict (sources side by side), the centre's list of every table and the
list of conflicts. Screenshots go to ``test-artifacts/`` (git-ignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import Pages, need_browser, scroll_width, serve, shot

from actas.app.settings import Settings
from statekit import CENTRE, build_states_home

pytestmark = pytest.mark.e2e

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
STATES = {
    f"{CENTRE}.01": "conflict",
    f"{CENTRE}.02": "read",
    f"{CENTRE}.03": "received",
    f"{CENTRE}.04": "pending",
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_browser()
    home: Path = build_states_home(tmp_path_factory.mktemp("states-e2e"))
    from actas.web import create_app

    app = create_app(Settings.from_env(env={}, home=home))
    with serve(app) as url:
        yield url
    app.state.service.close()


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_each_table_state_is_shown_with_what_happens_next(
    pages: Pages, base_url: str, viewport: dict[str, int]
) -> None:
    pg: Any = pages(viewport=viewport)
    width = viewport["width"]
    for table_id, state in STATES.items():
        pg.goto(f"{base_url}/tables/{table_id}")
        box = pg.locator("#table-state")
        assert box.get_attribute("data-state") == state
        assert box.is_visible() and "Qué sigue" in box.inner_text()
        assert scroll_width(pg) <= width + 1, f"{table_id} overflows at {width} px"
        shot(pg, f"table-{state}-{width}")
    # in conflict: both sources side by side, the disputed figures highlighted
    pg.goto(f"{base_url}/tables/{CENTRE}.01")
    compare = pg.locator("#compare")
    assert compare.locator("thead th").count() == 3
    row = compare.locator("tr.differs", has_text="Edmundo González Urrutia")
    assert row.locator("td.diff").count() == 2
    assert row.locator("td.diff").first.evaluate("e => getComputedStyle(e).fontWeight") == "700"
    # the receipt link of a column leads to its submission
    compare.locator("thead a[href^='#h-sub-']").first.click()
    assert "#h-sub-" in pg.url
    # read: candidates by votes with their share, the leader named
    pg.goto(f"{base_url}/tables/{CENTRE}.02")
    first = pg.locator("#counts tbody tr").first
    assert "Nicolás Maduro" in first.inner_text() and "%" in first.inner_text()
    assert "Lidera Nicolás Maduro" in pg.locator("#leader").inner_text()
    # times read like times, with how long ago (static/time.js)
    assert pg.locator("time[data-ago] + .ago").count() >= 1


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_the_centre_and_the_conflicts_list_every_table(
    pages: Pages, base_url: str, viewport: dict[str, int]
) -> None:
    pg: Any = pages(viewport=viewport)
    pg.goto(f"{base_url}/regions/{CENTRE}")
    for m in range(1, 6):
        assert pg.locator(f"a[href='/tables/{CENTRE}.0{m}']").count() == 1
    assert pg.locator("tr.state-pending").count() == 2
    shot(pg, f"centre-states-{viewport['width']}")
    pg.goto(f"{base_url}/conflicts")
    pg.click(f"a[href='/tables/{CENTRE}.01#h-sources']")
    assert pg.locator("#compare").is_visible()
    shot(pg, f"conflicts-{viewport['width']}")
