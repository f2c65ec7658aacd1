"""Account management in Chromium on a phone-sized screen (360×740): an administrator
signs in, creates a volunteer (the password is shown once), changes its role and
suspends it with a reason; a hostile name stays text. Skipped locally when
/usr/bin/chromium is missing; in CI that fails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browserkit import PHONE, Pages, need_browser, scroll_width, serve, shot

from actas.app.people import People, Role
from actas.app.service import Service
from peoplekit import demo_service

pytestmark = pytest.mark.e2e
PASSWORD = "administrator password"
HOSTILE = '<img src=x onerror=alert(1)><script>alert("x")</script> & "Ana"'


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Service]]:
    need_browser()
    from actas.web import create_app

    svc = demo_service(tmp_path_factory.mktemp("accounts") / "home")
    people = People(svc)
    people.add("admin", Role.ADMIN, PASSWORD)
    people.add(HOSTILE, Role.WITNESS, "a long password")
    app = create_app(svc.settings, svc, ttl=0)
    with serve(app, host="localhost") as url:  # Secure session cookies over plain HTTP
        yield url, svc
    svc.close()


def sign_in(pages: Pages, base: str, name: str, password: str) -> Any:
    page = pages(viewport=PHONE, base_url=base)
    page.goto("/methodology?lang=en")  # the portal keeps the language in a cookie
    page.goto("/people/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("#login")
    page.wait_for_url("**/people")
    return page


def readable(page: Any) -> None:
    width = scroll_width(page)
    assert width <= 360, f"{page.url} scrolls horizontally ({width} px)"
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16


def test_an_administrator_creates_changes_and_suspends_a_volunteer(
    pages: Pages, served: tuple[str, Service]
) -> None:
    base, svc = served
    people = People(svc)
    page = sign_in(pages, base, "admin", PASSWORD)
    page.click("#go-accounts")
    page.wait_for_url("**/people/accounts*")
    readable(page)
    # the hostile name is text: no element made from it, no script run (a dialog fails)
    hostile = page.locator("#accounts li", has=page.locator(".account-name", has_text="Ana"))
    assert hostile.locator(".account-name").inner_text() == HOSTILE
    assert page.locator("#accounts script, #accounts img").count() == 0

    # create a volunteer: the password is shown once
    page.fill("#account-new input[name=name]", "Vera")
    page.select_option("#account-new select[name=role]", "volunteer")
    page.click("#create")
    page.wait_for_selector("#secret-value")
    assert "shown only this once" in page.inner_text("#secret")
    password = page.inner_text("#secret-value")
    assert len(password) >= 10
    readable(page)
    shot(page, "accounts-created")
    page.goto("/people/accounts?lang=en")
    assert page.locator("#secret").count() == 0 and password not in page.content()
    vera = page.locator("#accounts li", has=page.locator(".account-name", has_text="Vera"))
    account_id = (vera.get_attribute("id") or "").removeprefix("account-")
    assert people.get(account_id).role is Role.VOLUNTEER
    theirs = sign_in(pages, base, "Vera", password)  # the password shown works

    # change the role
    vera.locator("summary").click()
    vera.locator(".account-role select").select_option("reviewer")
    with page.expect_navigation():
        vera.locator(".account-role button").click()
    vera = page.locator(f"#account-{account_id}")
    assert "reviewer" in vera.inner_text()
    assert people.get(account_id).role is Role.REVIEWER

    # suspend with a reason: listed with it, and their session ends
    vera.locator("summary").click()
    vera.locator(".account-status input[name=reason]").fill("left the project")
    with page.expect_navigation():
        vera.locator(".account-status .suspend").click()
    vera = page.locator(f"#account-{account_id}")
    assert "account-suspended" in (vera.get_attribute("class") or "")
    assert vera.locator(".account-reason").inner_text() == "left the project"
    assert people.get(account_id).status == "suspended"
    vera.locator("summary").click()
    assert vera.locator(".account-status .reactivate").is_visible()
    readable(page)
    shot(page, "accounts-suspended")
    assert theirs.request.get(base + "/api/v1/me").status == 401
