"""A real Chromium driven by Playwright, screenshots kept as artifacts, pages checked by axe-core.

Debian's ``chromium`` is used (``playwright install`` cannot download browsers here). Without it,
or without axe-core (``npm ci --prefix tests/browser``), the browser tests skip with the reason.
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.browser.accessibility import AXE_SCRIPT, accessibility_failures, describe
from tests.support.common import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
ACTION_TIMEOUT_MS = 15_000


def browser_unavailable() -> str:
    """Why the browser tests cannot run on this machine; empty when they can."""
    if not CHROMIUM.exists():
        return f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    if not AXE_SCRIPT.exists():
        return "needs axe-core: npm ci --prefix tests/browser"
    return ""


@pytest.fixture
def browser(transactional_db):
    """Chromium, started after the test's database is set up and stopped before it is torn down.

    While Playwright's sync API runs, this thread has a running asyncio loop, and Django's
    database connections seen from here are not the ones pytest-django prepared (its serialized
    rollback then misses its data and the next test's restore fails). So Playwright must not be
    running around the database's setup and teardown, and the test reads the database through
    :func:`in_plain_thread` (Django would refuse ORM calls made here with SynchronousOnlyOperation).
    """
    with launched_chromium() as chromium:
        yield chromium


@contextmanager
def launched_chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def in_plain_thread(function):
    """``function()`` run in a thread of its own (no event loop there), its connection closed after."""
    def run():
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(run).result()


@pytest.fixture
def open_session(browser):
    """``open_session()`` -> a page in a fresh browser context (its own cookies: one per person)."""
    contexts = []
    blocked = []  # what the Content-Security-Policy refused: a page relying on an inline script or style

    def open_page():
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        # axe-core arrives as an init script (the browser's own, not the page's): the portal's CSP
        # refuses the inline <script> that add_script_tag would insert.
        context.add_init_script(path=str(AXE_SCRIPT))
        context.on("console", lambda message: blocked.append(f"{message.page and message.page.url}: {message.text}")
                   if "Content Security Policy" in message.text else None)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not blocked, "the Content-Security-Policy blocked:\n" + "\n".join(blocked)


class Checkpoints:
    """Screenshots of each page the journey reaches (numbered, in order) and its accessibility check."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.count = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{prefix}-*.png"):
            old.unlink()

    def __call__(self, page, name: str) -> Path:
        self.count += 1
        path = SCREENSHOTS / f"{self.prefix}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        failures = accessibility_failures(page)
        assert not failures, f"accessibility problems on {page.url} (screenshot {path.name}):\n{describe(failures)}"
        return path

