"""People in Chromium on a phone-sized screen (360×740): a witness uploads and confirms,
two volunteers transcribe an unreadable photo blind, a reviewer's decision reaches the
table page. Skipped locally when /usr/bin/chromium is missing; in CI that fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import PHONE, Pages, need_browser, scroll_width, serve

from actas.app.people import People, Role
from actas.app.service import Service
from peoplekit import acta, demo_service

pytestmark = pytest.mark.e2e
PASSWORD = "a long password"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Service]]:
    need_browser()
    from actas.web import create_app

    svc = demo_service(tmp_path_factory.mktemp("people") / "home")
    people = People(svc)
    for name, role in [
        ("wit", Role.WITNESS),
        ("vol1", Role.VOLUNTEER),
        ("vol2", Role.VOLUNTEER),
        ("vol3", Role.VOLUNTEER),
        ("rev", Role.REVIEWER),
    ]:
        people.add(name, role, PASSWORD)
    app = create_app(svc.settings, svc, ttl=0)
    with serve(app, host="localhost") as url:  # Secure session cookies over plain HTTP
        yield url, svc
    svc.close()


def signed_in(pages: Pages, base: str, name: str, password: str = PASSWORD) -> Any:
    page = pages(viewport=PHONE, base_url=base)
    page.goto("/people/login?lang=en")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("#login")
    page.wait_for_url("**/people")
    return page


def test_witness_uploads_and_confirms(
    pages: Pages, served: tuple[str, Service], tmp_path: Path
) -> None:
    base, _ = served
    a = acta(0)
    photo = tmp_path / "acta.jpg"
    photo.write_bytes(a.image)
    page = signed_in(pages, base, "wit")
    page.click("#go-upload")
    assert page.get_attribute("#photo", "capture") == "environment"
    page.set_input_files("#photo", str(photo))
    page.click("#send")
    page.wait_for_selector("#read-counts")
    assert a.table_id in page.inner_text("main")
    assert scroll_width(page) <= 360
    page.click("#confirm")
    page.wait_for_selector("#leaf-hash")
    assert page.is_visible("#proof-pending")
    page.context.close()


def test_blind_entries_disagree_then_review_on_the_table_page(
    pages: Pages, served: tuple[str, Service], tmp_path: Path
) -> None:
    """Two volunteers disagree, a third too → the table waits for a reviewer, who picks
    the right entry with a reason → a DECISION leaf, and the table page and the tally
    show the decided counts."""
    base, svc = served
    b = acta(1, with_qr=False)
    photo = tmp_path / "noqr.jpg"
    photo.write_bytes(b.image)
    page = signed_in(pages, base, "wit")
    page.goto("/people/upload")
    page.set_input_files("#photo", str(photo))
    page.fill("input[name=table]", b.table_id)
    page.click("#send")
    page.wait_for_selector("#queued")
    page.context.close()
    for name, bump in (("vol1", 0), ("vol2", 3), ("vol3", 5)):
        page = signed_in(pages, base, name)
        page.click("#go-transcribe")
        page.wait_for_selector("img.acta")
        text = page.inner_text("main")
        assert str(b.options[1]) not in text.replace(b.table_id, "")  # no numbers shown
        for i, n in enumerate(b.options):
            page.fill(f"input[name=card_{i}]", str(n + (bump if i == 0 else 0)))
        page.fill("input[name=null]", str(b.null))
        page.click("#save")
        page.wait_for_selector("#empty")
        page.context.close()
    counted_before = svc.results()[0]["tables"]["counted"]
    page = signed_in(pages, base, "rev")
    page.click("#go-review")
    page.click(f"#review-queue a:has-text('{b.table_id}')")
    page.wait_for_selector("#versions")
    assert page.locator("#versions input[type=radio]").count() == 3  # the three entries
    firsts = page.eval_on_selector_all(
        "#versions tr:has(input[type=radio])", "rows => rows.map(r => r.cells[1].innerText)"
    )
    right = firsts.index(str(b.options[0]))  # the entry that reads card 1 as printed
    page.check(f"#versions input[type=radio] >> nth={right}")
    page.fill("textarea[name=reason]", "checked against the photo")
    page.click("#resolve")
    page.wait_for_url("**/people/review")
    assert page.locator("#review-queue").count() == 0  # nothing waits any more
    page.goto(f"/tables/{b.table_id}?lang=en")
    assert "checked against the photo" in page.inner_text("#decision-reason")
    assert "status-resolved" in (page.get_attribute("p.status", "class") or "")
    page.context.close()
    # the decision is a DECISION leaf, and the table's result and the tally follow it
    with svc.store.read() as conn:
        result = svc.store.table_result(b.table_id, conn)
        assert result is not None and result.counts is not None
        last = svc.store.submission(result.seqs[-1], conn)
    assert last.kind == "decision" and b"checked against the photo" in last.raw
    assert result.counts.options == b.options
    assert svc.results()[0]["tables"]["counted"] == counted_before + 1
