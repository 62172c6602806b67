"""A real Chromium driven by Playwright, screenshots kept as artifacts, pages checked by axe-core.

Debian's ``chromium`` is used (``playwright install`` cannot download browsers here). Without it,
or without axe-core (``npm ci --prefix tests/browser``), the browser tests skip with the reason.
"""

import pytest

from tests.browser.accessibility import AXE_SCRIPT
from tests.support.browser import ACTION_TIMEOUT_MS, VIEWPORT, launched_chromium


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
        context.on(
            "console",
            lambda message: (
                blocked.append(f"{message.page and message.page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not blocked, "the Content-Security-Policy blocked:\n" + "\n".join(blocked)
