"""The new-request form in a real Chromium: nothing marked before the first submit, then every problem at
once after it (a value of the wrong type, a too-long name, a guardrail, a lifecycle clash), in a summary at
the top whose links put the cursor in their fields, and at each field; axe stays clean.

What is real: Chromium (Playwright), the portal in the live server, its database. Nothing is replaced.
Screenshots: artifacts/screenshots/form-*.
"""

import pytest

from core.models import Team
from requests_app.models import BucketRequest
from tests.runner.factories import ensure_teams
from tests.support.browser import (
    Checkpoints,
    browser_unavailable,
    fill_form,
    in_plain_thread,
    sign_in,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
expect = sync_api.expect

UNAVAILABLE = browser_unavailable()
pytestmark = [
    pytest.mark.skipif(bool(UNAVAILABLE), reason=UNAVAILABLE),
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LONG_NAME = "a-very-long-application-name-for-payments"  # 41 characters, the most is 31
WITH_FOUR_PROBLEMS = {  # (label, value), filled as a person would
    "Application": LONG_NAME,
    "Purpose": "uploads",
    "Purpose description": "Receipts uploaded by customers",
    "Owning team": "app-team",
    "Environment": "prod",
    "Cost center": "payments-123",
    "Cost alert threshold (GiB)": "abc",  # not a number
    "CORS allowed origins": "*",  # with CORS on: no wildcard in prod (a guardrail)
    "Storage class": "glacier",  # reached on day 90 by the platform's default transition ...
    "Retention": "time-bounded",
    "Retention rationale": "Receipts are kept for thirty days, then deleted",
    "Days before expiration": "30",  # ... after the objects expired
}
# field name -> the words its problem must say, at the field and in the summary
EXPECTED = {
    "application": "Too long: 41 characters; the most allowed is 31.",
    "costAlertGb": "Not a number: 'abc'; write a whole number between 1 and 10000.",
    "corsAllowedOrigins": "Wildcard origins are not allowed in staging or prod",
    "expirationDays": "Objects expire on day 30, but the platform's default moves them to glacier on day 90",
}


@pytest.fixture
def rita(live_server, requester):
    ensure_teams()
    Team.objects.get(slug="app-team").members.add(requester)
    return requester


def test_the_form_marks_nothing_before_the_first_submit_then_every_problem_at_once(
    live_server, rita, open_session
):
    shot = Checkpoints("form")
    page = open_session()
    sign_in(page, live_server.url + "/requests/new/", rita, shot)
    errors = page.locator("[data-errors-for] li")
    expect(errors).to_have_count(0)
    expect(page.locator("#error-summary")).to_have_count(0)
    shot(page, "untouched")

    # The live preview answers while typing, but says nothing under fields the person has not been in.
    fill_form(page, {"Purpose description": "Receipts uploaded by customers"})
    expect(page.locator("#preview")).to_contain_text("Not ready yet")
    expect(errors).to_have_count(0)
    shot(page, "preview-before-submit")

    fill_form(page, WITH_FOUR_PROBLEMS)
    page.get_by_label("CORS", exact=True).check()
    page.get_by_role("button", name="Submit request").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    for name, words in EXPECTED.items():
        expect(page.locator(f'[data-errors-for="{name}"]')).to_contain_text(words)
        expect(summary.locator("li").filter(has=page.locator(f'a[href="#id_{name}"]'))).to_contain_text(words)
    expect(page.locator("body")).not_to_contain_text("This field is required")
    shot(page, "every-problem-at-once")

    for name in EXPECTED:
        summary.locator(f'a[href="#id_{name}"]').click()
        expect(page.locator(f"#id_{name}")).to_be_focused()
    shot(page, "summary-link-followed")
    assert in_plain_thread(lambda: BucketRequest.objects.count()) == 0


def test_after_a_rejected_submit_the_preview_shows_what_the_valid_fields_give(
    live_server, rita, open_session
):
    """The bucket name (its fields are valid) and the rest of the panel, as the live preview showed them
    before the submit: not "Bucket name: —" because a cost alert and a description were refused."""
    shot = Checkpoints("form-preview")
    page = open_session()
    sign_in(page, live_server.url + "/requests/new/", rita, shot)
    fill_form(
        page,
        {
            "Application": "payments-api",
            "Purpose": "uploads",
            "Purpose description": "short",  # too short
            "Owning team": "app-team",
            "Environment": "dev",
            "Cost center": "payments-123",
            "Cost alert threshold (GiB)": "abc",  # not a number
            "Retention": "indefinite",
            "Retention rationale": "User data retained for account lifetime",
        },
    )
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Bucket name: goldenpath-dev-payments-api-uploads")
    expect(preview).to_contain_text("Not ready yet: 2 fields to fill in or correct.")
    expect(preview).to_contain_text("No approval needed")
    while_typing = preview.text_content()

    page.get_by_role("button", name="Submit request").click()

    expect(page.locator("#error-summary")).to_be_focused()
    expect(preview).to_contain_text("Not ready yet: 2 fields to fill in or correct.")
    expect(preview).to_have_text(while_typing)
    shot(page, "after-rejected-submit")
    assert in_plain_thread(lambda: BucketRequest.objects.count()) == 0
