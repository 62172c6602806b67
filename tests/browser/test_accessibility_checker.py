"""The accessibility checker itself, on small pages in Chromium (no portal, no database):
it must report what fails our bar (labels, headings, contrast, serious findings) and only that."""

import pytest

from tests.browser.accessibility import accessibility_failures
from tests.support.browser import browser_unavailable, launched_chromium

UNAVAILABLE = browser_unavailable()
pytestmark = [pytest.mark.skipif(bool(UNAVAILABLE), reason=UNAVAILABLE), pytest.mark.db_independent]

PAGE = """<!doctype html><html lang="en"><head><title>Checker</title></head><body>
<main>{body}</main><p>Outside every landmark: a moderate finding ('region') below our bar.</p></body></html>"""


@pytest.fixture(scope="module")
def page():
    with launched_chromium() as chromium:
        yield chromium.new_page()


def failing_rules(page, body: str) -> set[str]:
    page.set_content(PAGE.format(body=body))
    return {failure["id"] for failure in accessibility_failures(page)}


def test_an_unlabelled_field_and_faint_text_fail(page):
    body = """<h1>Request</h1><input type="text" name="application">
              <p style="color:#c8c8c8;background:#fff">Faint help text</p>"""
    assert failing_rules(page, body) == {"label", "color-contrast"}


def test_a_page_without_a_level_one_heading_fails(page):
    assert failing_rules(page, "<h2>Only a subheading</h2>") == {"page-has-heading-one"}


def test_a_labelled_legible_page_passes_despite_a_moderate_finding(page):
    body = """<h1>Request</h1><label for="app">Application</label><input id="app" type="text">
              <p style="color:#1b1f24;background:#fff">Readable help text</p>"""
    assert failing_rules(page, body) == set()
