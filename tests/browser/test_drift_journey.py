"""A drifted bucket as a platform approver meets it, in a real Chromium: the catalog says "Drifted", the
bucket's page names what differs, the approver starts a remediation run from the page and follows it.

What is real: Chromium (Playwright), the portal in the live server, a `manage.py qcluster` that runs the
remediation (twin stack) and the read-back after it, moto's server holding the bucket, boto3 breaking it,
`manage.py check_compliance` finding it. What is replaced, and why: the provider-free twin stack changes
nothing in AWS, so the bucket is created the way the real stack would create it (tests/compliance/
module_twin.py) and the remediation run cannot repair it; the page therefore shows the run's read-back as
"not verified". That the real stack's remediation brings the bucket back to compliant is proven with the
real provider in tests/compliance/test_real_provider.py (an apply there takes a minute; this journey stays
short).
"""

import re
import subprocess
import sys
import time

import pytest

from tests.support.browser import Checkpoints, browser_unavailable, sign_in
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


@pytest.fixture
def drifted(aws, make_bucket, live_server, runner_settings, start_worker_cluster):
    """A staging bucket, applied and then changed behind the platform's back (versioning suspended, public
    access block removed), found by the check command; a worker cluster pointed at the same moto."""
    entry = make_bucket(
        environment="staging",
        purposeType="backups",
        storageClass=None,
        versioning=None,
        retentionType="compliance-driven",
        expirationDays=2555,
        retentionRationale="Seven years of backups for the finance audit",
    )
    aws["s3"].put_bucket_versioning(Bucket=entry.bucket_name, VersioningConfiguration={"Status": "Suspended"})
    aws["s3"].delete_public_access_block(Bucket=entry.bucket_name)
    checked = subprocess.run(
        [sys.executable, "manage.py", "check_compliance", entry.bucket_name],
        cwd=PROJECT_ROOT,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 1 and "drifted" in checked.stdout, checked.stdout + checked.stderr
    start_worker_cluster(**runner_settings)
    return entry.bucket_name, entry.request.request_id


def test_an_approver_sees_a_drifted_bucket_and_remediates_it(drifted, live_server, approver, open_session):
    bucket_name, request_id = drifted
    shot = Checkpoints("drift")
    alex = open_session()
    sign_in(alex, live_server.url + "/catalog/", approver, shot)
    row = alex.get_by_role("row").filter(has_text=bucket_name)
    expect(row.locator(".badge").last).to_have_text("Drifted")
    alex.get_by_label("Compliance").select_option("drifted")
    alex.get_by_role("button", name="Filter").click()
    expect(alex.get_by_role("row")).to_have_count(2)  # the header and our bucket
    shot(alex, "catalog-drifted")

    alex.get_by_role("link", name=bucket_name).click()
    findings = alex.get_by_role("table", name=re.compile("Open findings"))
    expect(findings.get_by_role("row").filter(has_text="versioning")).to_contain_text("Enabled")
    expect(findings.get_by_role("row").filter(has_text="versioning")).to_contain_text("Suspended")
    expect(findings.get_by_role("row").filter(has_text="publicAccessBlock.blockPublicAcls")).to_be_visible()
    shot(alex, "bucket-findings")

    alex.get_by_role("button", name="Remediate: re-apply the approved contract").click()
    expect(alex.get_by_role("status")).to_contain_text(
        re.compile(rf"Remediation run #\d+ queued: it re-applies the approved contract of {request_id}\.")
    )
    shot(alex, "remediation-queued")

    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    verification = alex.get_by_text(re.compile(r"Apply run #\d+: not verified"))
    while not verification.count():
        assert time.monotonic() < deadline, "the remediation run and its read-back did not finish"
        alex.wait_for_timeout(500)
        alex.reload()
    expect(verification).to_contain_text("versioning")  # the twin stack cannot repair AWS (module docstring)
    shot(alex, "remediation-read-back")
    alex.goto(live_server.url + f"/requests/{request_id}/")
    expect(alex.locator("main h1 + p .badge")).to_have_text("Applied")
    expect(alex.get_by_role("row").filter(has_text="#").filter(has_text="Apply").first).to_contain_text(
        "Succeeded"
    )
    shot(alex, "request-after-remediation")
