"""The run page's live refresh in a real Chromium: a step that starts or ends while the page is open shows in
the steps table without a reload, the running one with its time so far.

What is real: Chromium (Playwright), the portal in the live server, its database, the page's polling
(runner/static/runner/run_log.js). What is replaced, and why: the worker's progress is written to the run
row the way the worker writes it (``Run.steps``, ``Run.step``), so that the steps change at moments the
test chooses; tests/browser/test_journey.py runs the whole path with Terraform. Screenshots:
artifacts/screenshots/run-page-*.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from runner.models import Run, RunStatus
from tests.runner.factories import approved_request
from tests.support.browser import Checkpoints, browser_unavailable, in_plain_thread, sign_in

sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
expect = sync_api.expect

UNAVAILABLE = browser_unavailable()
pytestmark = [
    pytest.mark.skipif(bool(UNAVAILABLE), reason=UNAVAILABLE),
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def step(name, started, finished=None):
    return {
        "step": name,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat() if finished else None,
        "seconds": round((finished - started).total_seconds(), 3) if finished else None,
        "outcome": "succeeded" if finished else "",
    }


@pytest.fixture
def running_run(live_server, approver):
    """A run in its second step (``prepare``), as its worker leaves the row; made before Chromium starts."""
    started = timezone.now() - timedelta(seconds=5)
    run = Run.objects.get(request=approved_request())
    claim = step("claim", started, started + timedelta(seconds=1))
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        step="prepare",
        started_at=started,
        steps=[claim, step("prepare", started + timedelta(seconds=1))],
    )
    return {"url": f"{live_server.url}/runs/{run.pk}/", "pk": run.pk, "approver": approver}


def test_the_steps_table_follows_a_running_run_without_a_reload(running_run, open_session):
    shot = Checkpoints("run-page")
    page = open_session()
    sign_in(page, running_run["url"], running_run["approver"], shot)
    table = page.locator("#run-steps")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(3)  # the header, claim, prepare
    expect(rows.nth(2)).to_contain_text(re.compile(r"prepare.*running for", re.S))
    page.evaluate("window.notReloaded = true")  # gone if the page reloads

    def worker_moves_on():
        run = Run.objects.get(pk=running_run["pk"])
        now = timezone.now()
        claim, prepare = run.steps
        finished = {**prepare, "finished_at": now.isoformat(), "seconds": 1.5, "outcome": "succeeded"}
        Run.objects.filter(pk=run.pk).update(step="init", steps=[claim, finished, step("init", now)])

    in_plain_thread(worker_moves_on)

    expect(rows).to_have_count(4)
    expect(rows.nth(2)).to_contain_text(re.compile(r"prepare.*1\.50 s.*succeeded", re.S))
    expect(rows.nth(3)).to_contain_text(re.compile(r"init.*running for", re.S))
    expect(page.locator("#run-step")).to_have_text("(terraform init)")
    assert page.evaluate("window.notReloaded") is True
    shot(page, "steps-refreshed")
