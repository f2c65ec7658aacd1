"""What every Chromium test shares: the browser, the app under uvicorn, screenshots.

- :func:`need_browser` skips when /usr/bin/chromium or Playwright is missing — and
  fails instead when ``CI`` is set, so CI never passes by skipping;
- :func:`serve` runs an app under uvicorn in a thread on a free loopback port;
- :func:`shot` saves a full-page screenshot to ``test-artifacts/`` (git-ignored).

The fixtures (``browser``, ``pages``, ``page``) are in ``conftest.py``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1100, "height": 900}
Pages = Callable[..., Any]  # the ``pages`` fixture: new_page(**context options) -> page


def need_browser() -> None:
    """Skip locally, fail in CI, without Chromium or Playwright."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is not installed"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"e2e in CI: {missing}")
        pytest.skip(missing)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """``app`` under uvicorn in a thread; yields its base URL (``host`` names the loopback:
    ``localhost`` where Chromium must keep ``Secure`` cookies over plain HTTP)."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def shot(pg: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def scroll_width(pg: Any) -> int:
    return int(pg.evaluate("document.documentElement.scrollWidth"))
