"""The ``/walmart`` starter page in a real browser (Debian Chromium through Playwright).

Checks that the page renders the database's numbers under the server's Content-Security-Policy
(no violation reported), that data-derived text is escaped, and that with auth on the browser is
sent to the login form and, once signed in, sees the page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_helpers import ServerProcess, seed_small

from walmart_lib.db import Store, make_engine, session_scope
from walmart_lib.db.models import Order
from walmart_lib.db.schema import ensure_schema
from walmart_lib.service.auth import CredentialStore

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EVIL = "<b>Evil</b> Store"


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed; `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _database(root: Path) -> str:
    url = f"sqlite:///{root / 'walmart.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    seed_small(engine)
    with session_scope(engine) as s:
        store = Store(name=EVIL, walmart_store_id="9999")
        s.add(store)
        s.flush()
        order = s.get(Order, "2000333")
        assert order is not None
        order.store_id = store.id
    engine.dispose()
    return url


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.goto(url)
    return page, messages


def test_page_renders_escaped_data_under_csp(chromium_browser: Any, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", _database(tmp_path)).start()
    try:
        page, messages = _open(chromium_browser, server.url("/walmart"))
        page.get_by_text("Latest orders").wait_for(timeout=30_000)
        table = page.locator("table")
        table.wait_for(timeout=30_000)
        # Bokeh renders into shadow roots: locators pierce them, inner_text("body") does not.
        numbers = [page.get_by_text(label, exact=True) for label in ("Orders", "Products")]
        assert all(n.count() == 1 for n in numbers)
        for value in ("3", "4"):  # orders, products (3 stores would match too: count >= 1)
            assert page.get_by_text(value, exact=True).count() >= 1
        assert EVIL in table.inner_text()  # shown as text ...
        assert table.locator("b").count() == 0  # ... never as markup
        assert [m for m in messages if "Content Security Policy" in m or "pageerror" in m] == []
        page.close()
    finally:
        assert server.stop() == 0


def test_login_in_the_browser(chromium_browser: Any, tmp_path: Path) -> None:
    auth = tmp_path / "auth.json"
    CredentialStore(auth).add_user("alice", "a long password")
    server = ServerProcess(
        tmp_path / "home", _database(tmp_path), {"WALMART_AUTH": str(auth)}
    ).start()
    try:
        page, messages = _open(chromium_browser, server.url("/walmart"))
        page.wait_for_url("**/login**")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "a long password")
        page.click("button[type=submit]")
        page.wait_for_url("**/walmart")
        page.get_by_text("Latest orders").wait_for(timeout=30_000)
        assert page.get_by_text("2000333", exact=True).count() == 1
        assert [m for m in messages if "Content Security Policy" in m] == []
        page.close()
    finally:
        assert server.stop() == 0
