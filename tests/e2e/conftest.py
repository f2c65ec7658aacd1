"""Chromium fixtures shared by the e2e tests (helpers in ``browserkit``).

``browser`` is launched once per test module (not per session: Playwright's sync API
keeps an asyncio event loop running in the main thread while it is open, and the
integration tests that run after the e2e ones call ``asyncio.run()``); ``pages`` opens pages in fresh contexts
(``pages(viewport=PHONE, base_url=…)``), closes them after the test and fails the test
on any uncaught page error or dialog (``alert``, ``confirm``: a dialog would wait for
a person); ``page`` is one desktop-sized page of ``pages``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browserkit import ARGS, CHROMIUM, DESKTOP, Pages, need_browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def pages(browser: Any) -> Iterator[Pages]:
    contexts: list[Any] = []
    problems: list[str] = []

    def new_page(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": DESKTOP, **options})
        contexts.append(context)
        pg = context.new_page()
        pg.on("pageerror", lambda e: problems.append(f"{pg.url}: {e}"))
        pg.on("dialog", lambda d: (problems.append(f"{pg.url}: dialog {d.message}"), d.dismiss()))
        return pg

    yield new_page
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture
def page(pages: Pages) -> Any:
    return pages()
