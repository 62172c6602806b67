"""Each role's day in a real Chromium, without Terraform: the navigation of requesters, approvers and
auditors (every link opens: no 403), the approval queue and a decision on the request page, and the
retry button (and the folded abandon form) for an approver where a failed run's requester is told whom
to ask.

What is real: Chromium (Playwright), the portal in the live server, its database. What is replaced, and
why: plans and failed runs are recorded the way the runner records them (tests.support.requests.
plan_made, tests.runner.test_api_and_pages.failed_request) so that this test needs no worker cluster;
tests/browser/test_journey.py runs the whole path with Terraform. Screenshots: artifacts/screenshots/people-*.
"""

import re

import pytest

from core.models import Team
from requests_app.submission import submit_request
from runner.models import Run
from tests.runner.factories import ensure_teams
from tests.support.browser import Checkpoints, browser_unavailable, in_plain_thread, sign_in
from tests.support.requests import plan_made, prod_input

sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
expect = sync_api.expect

UNAVAILABLE = browser_unavailable()
pytestmark = [
    pytest.mark.skipif(bool(UNAVAILABLE), reason=UNAVAILABLE),
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def people(live_server, requester, approver, auditor):
    """rita (app-team) with a prod request waiting for approval (its plan ready) and a failed request."""
    from tests.runner.factories import failed_request

    ensure_teams()
    Team.objects.get(slug="app-team").members.add(requester)
    pending = submit_request(prod_input(application="ledger"), requester).request
    plan_made(pending)
    failed, run = failed_request()
    failed.submitted_by = requester
    failed.save(update_fields=["submitted_by"])
    Run.objects.filter(pk=run.pk).update(error_summary="terraform apply failed: AccessDenied: not authorized")
    return {
        "url": live_server.url,
        "rita": requester,
        "alex": approver,
        "ada": auditor,
        "pending": pending.request_id,
        "failed": failed.request_id,
        "run": run.pk,
    }


def queue_link(page):
    navigation = page.get_by_role("navigation", name="Main")
    return navigation.get_by_role("link", name=re.compile(r"^Waiting for you"))


def follow_every_nav_link(page, role: str, shot: Checkpoints) -> list[str]:
    labels = [label.strip() for label in page.locator("nav[aria-label=Main] a").all_inner_texts()]
    hrefs = page.locator("nav[aria-label=Main] a").evaluate_all("links => links.map(link => link.href)")
    for label, href in zip(labels, hrefs, strict=True):
        response = page.goto(href)
        assert response.status == 200, f"{role}: {label} ({href}) answered {response.status}"
        if "/admin/" not in href:
            shot(page, f"{role}-{re.sub(r'[^a-z]+', '-', label.lower()).strip('-')}")
    return labels


def test_each_role_reaches_every_page_it_is_shown_and_an_approver_decides_on_the_page(people, open_session):
    shot = Checkpoints("people")
    url = people["url"]
    rita, alex, ada = open_session(), open_session(), open_session()

    sign_in(rita, url + "/", people["rita"], shot)
    assert follow_every_nav_link(rita, "requester", shot) == [
        "New request",
        "My requests",
        "Catalog",
        "Replication health",
    ]
    sign_in(ada, url + "/", people["ada"], shot)
    assert follow_every_nav_link(ada, "auditor", shot) == [
        "All requests",
        "Catalog",
        "Replication health",
        "Audit",
    ]
    response = ada.goto(url + "/requests/new/")
    assert response.status == 403
    expect(ada.locator("main h1")).to_have_text("You cannot open this page")
    shot(ada, "auditor-forbidden")

    sign_in(alex, url + "/", people["alex"], shot)
    expect(queue_link(alex)).to_contain_text("1")
    labels = follow_every_nav_link(alex, "approver", shot)
    assert labels[0].startswith("Waiting for you") and labels[1:] == [
        "All requests",
        "Catalog",
        "Replication health",
        "Audit",
        "Admin",
    ]

    # The queue, then the decision on the request page itself.
    alex.goto(url + "/requests/waiting/")
    row = alex.get_by_role("row").filter(has_text=people["pending"])
    expect(row).to_contain_text("prod buckets need platform approval")
    shot(alex, "approval-queue")
    row.get_by_role("link", name=people["pending"]).click()
    expect(alex.locator("#guardrails-heading")).to_be_visible()
    alex.get_by_role("button", name="Approve").click()  # no comment yet: refused, nothing lost
    expect(alex.locator("#comment-error")).to_contain_text("This field is required.")
    shot(alex, "decision-needs-a-comment")
    alex.get_by_label("Comment").fill("Ledger bucket reviewed with the plan.")
    alex.get_by_role("button", name="Approve").click()
    expect(alex.get_by_role("status")).to_contain_text(f"{people['pending']}: vote recorded, now approved.")
    expect(queue_link(alex)).to_contain_text("0")
    shot(alex, "decided-on-the-page")

    # A failed run: the requester reads why and whom to ask; the approver retries from the run page.
    rita.goto(f"{url}/runs/{people['run']}/")
    expect(rita.locator("#run-error")).to_contain_text("AccessDenied")
    expect(rita.locator("#who-can-retry")).to_contain_text("ask alex")
    expect(rita.get_by_role("button", name=re.compile("^Retry"))).to_have_count(0)
    shot(rita, "failed-run-requester")
    alex.goto(f"{url}/runs/{people['run']}/")
    # Abandoning is offered beside Retry, folded, with its reason required (tests/runner/test_abandon.py
    # abandons; this checks the form as a person meets it).
    alex.get_by_text(f"Abandon {people['failed']} instead").click()
    expect(alex.get_by_label("Why it is abandoned")).to_be_visible()
    alex.get_by_role(
        "button", name=f"Abandon {people['failed']}", exact=True
    ).click()  # no reason: the browser stops it
    expect(alex.locator("#run-status")).to_have_text("Failed")
    shot(alex, "failed-run-abandon-form")
    alex.get_by_role("button", name=f"Retry {people['failed']} with a new run").click()
    expect(alex.get_by_role("status")).to_contain_text(f"{people['failed']}: a new run is queued.")
    expect(alex.locator("#run-status")).to_have_text("Queued")
    shot(alex, "retried-run")
    alex.get_by_role("button", name=re.compile(r"^Cancel run #\d+$")).click()
    expect(alex.locator("#run-status")).to_have_text("Cancelled")
    shot(alex, "cancelled-run")
    assert in_plain_thread(lambda: Run.objects.filter(request__request_id=people["failed"]).count()) == 2
