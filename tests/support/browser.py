"""A real Chromium driven by Playwright (Debian's ``chromium``: ``playwright install`` cannot download
browsers here), screenshots kept as artifacts, pages checked by axe-core; signing in on the page."""

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from tests.browser.accessibility import AXE_SCRIPT, accessibility_failures, describe
from tests.support.common import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
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
        assert not failures, (
            f"accessibility problems on {page.url} (screenshot {path.name}):\n{describe(failures)}"
        )
        return path


def sign_in(page, url: str, user, shot: Checkpoints) -> None:
    """Open ``url`` signed out, sign in on the page it sends us to, and land back on ``url``."""
    from playwright.sync_api import expect

    page.goto(url)
    shot(page, f"sign-in-{user.username}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-" + user.username)
    page.get_by_role("button", name=re.compile("^(Sign in|Log in)$")).click()
    expect(page).to_have_url(url)


def form_field(page, label: str):
    """The field labelled ``label`` (required fields' labels end with a '*' hidden from screen readers)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def fill_form(page, values: dict) -> None:
    for label, value in values.items():
        field = form_field(page, label)
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
