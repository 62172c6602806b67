"""The portal as its users see it, in a real Chromium: one staging backups bucket from the form to the
replication health page, and real replication incidents from the local pipeline, acknowledged.

What is real: Chromium (Playwright), the portal in pytest-django's live server, a `manage.py qcluster`
running Terraform on the provider-free twin stack, `make run`'s replication half (the local AWS with
its replication emulator, the pipeline running both Lambdas, SNS signing and POSTing to the portal's
webhook) fed by `manage.py replication_demo`. What is replaced, and why: the SNS certificate fetcher
is the development fetch installed directly (tests run with DEBUG off, where the webhook refuses it;
see the ``local_replication`` fixture).
Every page reached is kept as a screenshot under artifacts/screenshots/ and checked by axe-core.
"""

import re
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from core import audit_checkpoints
from core.audit_csv import read_audit_csv
from core.models import AuditEntry, Team
from tests.runner.factories import ensure_teams
from tests.support.browser import (
    Checkpoints,
    browser_unavailable,
    fill_form,
    form_field,
    in_plain_thread,
    sign_in,
)
from tests.support.common import PROJECT_ROOT, child_environment

sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
expect = sync_api.expect

UNAVAILABLE = browser_unavailable()
pytestmark = [
    pytest.mark.skipif(bool(UNAVAILABLE), reason=UNAVAILABLE),
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RUN_TIMEOUT_SECONDS = 90
STAGING_BACKUPS = {  # (label, value): a valid staging request, filled as a person would
    "Purpose": "backups",
    "Purpose description": "Nightly ledger database backups",
    "Owning team": "app-team",
    "Environment": "staging",
    "Cost center": "finance-042",
    "Cost alert threshold (GiB)": "250",
    "Retention": "compliance-driven",
    "Retention rationale": "Seven years of backups for the finance audit",
    "Days before expiration": "2555",
}


def reload_until_status(page, label: str, timeout: float) -> None:
    """Reload the request page, as someone waiting would, until its status badge reads ``label``."""
    status = page.locator("main h1 + p .badge")
    deadline = time.monotonic() + timeout
    while status.inner_text() != label:
        assert time.monotonic() < deadline, f"still {status.inner_text()!r} after {timeout}s; want {label!r}"
        page.wait_for_timeout(500)
        page.reload()


def request_bucket(page, live_url: str, requester, shot: Checkpoints) -> tuple[str, str]:
    """Rita fills the form, sees a field error and the preview, submits; returns (request ID, bucket)."""
    sign_in(page, live_url + "/", requester, shot)
    shot(page, "home")
    page.get_by_role("main").get_by_role("link", name="New request").click()
    expect(page.locator('nav [aria-current="page"]')).to_have_text(["New request"])
    expect(form_field(page, "Requester")).to_have_value(requester.username)
    fill_form(page, {"Application": "Ledger_Backups", **STAGING_BACKUPS})
    expect(page.locator('[data-errors-for="application"]')).to_contain_text(
        "'Ledger_Backups' is not valid here. Application name: 3-31 lowercase letters"
    )
    expect(page.locator("#preview")).to_contain_text("Not ready yet")
    shot(page, "new-request-field-error")

    fill_form(page, {"Application": "ledger"})
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Ready to submit.")
    expect(preview.get_by_role("heading", level=3).first).to_have_text("Needs 1 platform approval")
    expect(page.locator('[data-errors-for="application"] li')).to_have_count(0)
    bucket_name = preview.locator("code").first.inner_text()
    assert "staging" in bucket_name and "ledger" in bucket_name, bucket_name
    shot(page, "new-request-preview-ready")

    page.get_by_role("button", name="Submit request").click()
    expect(page).to_have_url(re.compile(r"/requests/S3-\d+/$"))
    request_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.get_by_role("status")).to_contain_text(f"{request_id} submitted.")
    expect(page.locator("main h1")).to_contain_text(bucket_name)
    expect(page.locator("main h1 + p .badge")).to_have_text("Pending approval")
    shot(page, "request-pending")
    return request_id, bucket_name


def expect_plan(page, request_id: str) -> None:
    """The plan panel lists what Terraform will do, and the full plan opens below it."""
    changes = page.locator(f"#plan-changes-{request_id}")
    expect(changes.get_by_role("row").filter(has_text="terraform_data.bucket")).to_contain_text("create")
    expect(changes.get_by_role("row").filter(has_text="terraform_data.app_policy")).to_contain_text("create")
    page.get_by_text("The full plan").first.click()
    expect(page.locator(f"#plan-text-{request_id}")).to_contain_text(
        "Terraform will perform the following actions"
    )


def approve_in_admin(page, live_url: str, approver, request_id: str, shot: Checkpoints) -> None:
    """Alex reads the plan on the request's page (it is made at submission), then approves in the admin."""
    sign_in(page, f"{live_url}/requests/{request_id}/", approver, shot)
    ready = page.get_by_text("Approvals are votes on this plan")
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while not ready.is_visible():  # the plan run may still be at work: reload like a person would
        assert time.monotonic() < deadline, page.locator("main").inner_text()
        page.wait_for_timeout(500)
        page.reload()
    expect_plan(page, request_id)
    shot(page, "request-plan")
    page.goto(live_url + "/admin/")
    shot(page, "admin-index")
    models = page.get_by_role("row")  # the app's own caption links to its index under the same name
    models.get_by_role("link", name="Bucket requests", exact=True).click()
    page.get_by_role("row").filter(has_text=request_id).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option("approve_selected")
    shot(page, "admin-requests-selected")
    page.get_by_role("button", name="Go").click()
    expect_plan(page, request_id)  # the vote is cast on the plan shown with it
    page.get_by_label("Comment").fill("Backups for the finance audit: approved.")
    shot(page, "admin-approve-comment")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messagelist")).to_contain_text(f"{request_id}: vote recorded, now approved.")
    shot(page, "admin-approved")


def download_audit_csv(page, live_url: str, auditor, destination, shot: Checkpoints):
    sign_in(page, live_url + "/audit/", auditor, shot)
    shot(page, "audit-trail")
    with page.expect_download() as download:
        page.get_by_role("link", name="staging", exact=True).click()
    download.value.save_as(destination)
    return read_audit_csv(destination)


def see_pair_without_data(page, live_url: str, bucket_name: str, shot: Checkpoints) -> None:
    """A backups bucket's pair is on the health page from its catalog entry, before any event."""
    page.goto(live_url + "/replication/")
    expect(page.get_by_role("row").filter(has_text=bucket_name).locator(".badge")).to_have_text("no data yet")
    shot(page, "replication-health-no-data-yet")


def acknowledge_incident(page, live_url: str, bucket_name: str, verified: int, shot: Checkpoints) -> None:
    page.goto(live_url + "/replication/")
    row = page.get_by_role("row").filter(has_text=bucket_name)
    expect(row.locator(".badge")).to_have_text("failing")
    expect(row.get_by_role("cell").nth(3)).to_have_text(str(verified))
    shot(page, "replication-health-failing")
    row.get_by_role("link").click()
    expect(page.get_by_role("main")).to_contain_text("object-0001.csv")  # the corrupted object's key
    shot(page, "replication-pair")
    page.get_by_role("row").filter(has_text="CONTENT_MISMATCH").get_by_role(
        "link", name=re.compile(r"^#\d+$")
    ).first.click()
    expect(page.locator("main h1")).to_contain_text("CONTENT_MISMATCH")
    page.get_by_label("Note (optional)").fill("Looking into the replica's checksum.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Incident #\d+ is now acknowledged\."))
    expect(page.locator(".summary")).to_contain_text("by alex")
    shot(page, "replication-incident-acknowledged")


@dataclass
class Portal:
    url: str
    requester: object
    approver: object
    auditor: object
    command_environment: dict  # for manage.py commands on the test database

    def manage(self, *arguments, environment: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            env=environment or self.command_environment,
            timeout=60,
        )


@pytest.fixture
def portal(live_server, requester, approver, auditor, runner_settings, start_worker_cluster) -> Portal:
    """The live portal with its people and a worker cluster on the twin stack, set up before the browser."""
    ensure_teams()
    Team.objects.get(slug="app-team").members.add(requester)
    start_worker_cluster(**runner_settings)
    return Portal(live_server.url, requester, approver, auditor, child_environment())


def staging_audit_entry_ids() -> list[int]:
    return list(AuditEntry.objects.filter(environment="staging").order_by("id").values_list("id", flat=True))


def test_a_staging_bucket_from_the_form_to_an_acknowledged_replication_failure(
    portal, local_replication, open_session, tmp_path
):
    shot = Checkpoints("journey")
    rita, alex, ada = open_session(), open_session(), open_session()
    in_plain_thread(local_replication.wait_for_confirmed_subscriptions)
    in_plain_thread(audit_checkpoints.ensure_bucket)  # as `make run` does, in the local AWS
    demo = local_replication.start_demo(objects=10, corrupt=1, missing=1)  # runs while the bucket is made

    request_id, bucket_name = request_bucket(rita, portal.url, portal.requester, shot)
    approve_in_admin(alex, portal.url, portal.approver, request_id, shot)

    reload_until_status(rita, "Applied", timeout=RUN_TIMEOUT_SECONDS)
    expect(rita.locator("main")).to_contain_text("Succeeded")
    shot(rita, "request-applied")
    rita.get_by_role("link", name=re.compile(r"^#\d+ ")).first.click()
    expect(rita.get_by_role("table", name="Steps")).to_contain_text("output -json")
    shot(rita, "terraform-run")
    rita.get_by_role("link", name="My requests").click()
    expect(rita.get_by_role("row").filter(has_text=request_id)).to_contain_text("Applied")
    shot(rita, "my-requests")
    rita.get_by_role("link", name="Catalog").click()
    expect(rita.get_by_role("row").filter(has_text=bucket_name)).to_contain_text(request_id)
    shot(rita, "catalog")

    rows = download_audit_csv(ada, portal.url, portal.auditor, tmp_path / "audit-staging.csv", shot)
    assert [int(row["entry_id"]) for row in rows] == in_plain_thread(staging_audit_entry_ids)
    ours = [
        (row["action"], row["approver"], row["status"]) for row in rows if row["request_id"] == request_id
    ]
    assert ours[0] == ("request.submitted", "", "pending_approval")
    assert {("approval.approve", "alex", ""), ("request.mark_applied", "", "applied")} <= set(ours), ours
    # The file verifies on its own against the export's checkpoint in the local AWS's Object Lock bucket,
    # and the trail against every checkpoint.
    with_bucket = {
        **portal.command_environment,
        **{
            name: local_replication.environment[name]
            for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        },
    }
    verified = portal.manage(
        "verify_audit", "--csv", str(tmp_path / "audit-staging.csv"), environment=with_bucket
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{len(rows)} rows verify with the key and match checkpoint #" in verified.stdout
    trail = portal.manage("verify_audit", environment=with_bucket)
    assert trail.returncode == 0 and "chain intact with the key" in trail.stdout, trail.stdout + trail.stderr

    see_pair_without_data(rita, portal.url, bucket_name, shot)
    output, _ = demo.communicate(timeout=180)
    assert demo.returncode == 0, output
    acknowledge_incident(alex, portal.url, local_replication.pipeline.primary_bucket, verified=8, shot=shot)
