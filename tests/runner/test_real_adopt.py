"""Adopting an existing bucket on the REAL stack (the real hashicorp/aws provider on moto server).

A bucket made outside the portal with boto3 (objects inside, some settings off) is imported from
GoldenPath's published contract with ``s3_contract import --adopt``: the plan imports the bucket and
the settings of it that exist, nothing changes before approval, and the approved apply imports and
updates with no destroy: the objects are still there and the live settings match the contract.
"""

import hashlib
import io

import pytest
from django.core.management import call_command

from requests_app import approvals
from requests_app.imports import ADOPT_REASON
from requests_app.models import BucketRequest, CatalogEntry, PlanStatus, RequestStatus
from runner import execution
from runner.models import Run, RunKind, RunStatus, SavedPlan
from tests.contract.cases import PUBLISHED

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_provider,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BUCKET = "goldenpath-dev-platform-logs"  # GoldenPath's legacy name (ours would end -logs-logs)
OBJECTS = {"kong/2026-01-17.log": b"GET /health 200\n", "argocd/sync.log": b"synced\n"}


def existing_bucket(s3) -> None:
    """The bucket as the old workflow left it: objects, public access not blocked, no lifecycle, no tags."""
    s3.create_bucket(Bucket=BUCKET)
    for key, body in OBJECTS.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    s3.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )


def run_command(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()


def execute(run: Run) -> Run:
    execution.execute_run(run.pk)
    run.refresh_from_db()
    return run


def test_an_existing_bucket_is_adopted_through_an_approved_plan_and_keeps_its_objects(real_runner, approver):
    s3 = real_runner.client("s3")
    existing_bucket(s3)

    code, out, err = run_command("s3_contract", "import", "--adopt", "--create-teams", str(PUBLISHED))
    assert code == 0, err
    assert "ADOPTING S3-0001" in out and "Legacy bucket name kept" in out
    request = BucketRequest.objects.get(request_id="S3-0001")
    assert request.status == RequestStatus.PENDING_APPROVAL
    assert request.approval_reasons[0]["code"] == ADOPT_REASON

    plan_run = execute(Run.objects.get(request=request, kind=RunKind.PLAN))
    assert plan_run.status == RunStatus.SUCCEEDED, plan_run.error_summary + plan_run.log[-3000:]
    plan = SavedPlan.objects.get(run=plan_run)
    request.refresh_from_db()
    assert (request.plan_status, request.plan_hash) == (PlanStatus.READY, plan.sha256)
    actions = {change["address"]: change["action"] for change in plan.changes}
    assert actions["module.bucket.aws_s3_bucket.this"] in ("import", "import-update")
    assert actions["module.bucket.aws_s3_bucket_public_access_block.this"] == "import-update", actions
    assert not {"delete", "replace"} & set(actions.values())
    # Only what does not exist yet is created: the settings S3 had none of, the policy and the alarm.
    created = {address for address, action in actions.items() if action == "create"}
    assert "module.bucket.aws_s3_bucket.this" not in created
    assert " to import, " in plan.rendered and " 0 to destroy." in plan.rendered
    # Nothing changed before approval.
    live_block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert not any(live_block.values())
    assert "TagSet" not in _tags(s3)

    approvals.decide(request, approver, "approve", "adoption plan reviewed", plan_hash=plan.sha256)
    apply_run = execute(Run.objects.get(request=request, kind=RunKind.APPLY))
    assert apply_run.status == RunStatus.SUCCEEDED, apply_run.error_summary + apply_run.log[-3000:]
    assert not [change for change in apply_run.resource_changes if "delete" in change["actions"]]

    request.refresh_from_db()
    assert request.status == RequestStatus.APPLIED
    assert CatalogEntry.objects.get(request=request).status == "active"
    # Reading objects back over moto's plain HTTP is now refused by the TLS-only policy; their ETags
    # (the MD5 of a single-part upload) prove the content is unchanged.
    listed = {item["Key"]: item["ETag"].strip('"') for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert listed == {key: hashlib.md5(body).hexdigest() for key, body in OBJECTS.items()}
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert any(rule.get("Expiration", {}).get("Days") == 90 for rule in rules)
    assert any(
        t.get("Days") == 30 and t.get("StorageClass") == "STANDARD_IA"
        for rule in rules
        for t in rule.get("Transitions", [])
    )
    tags = {tag["Key"]: tag["Value"] for tag in _tags(s3)["TagSet"]}
    assert tags["requestId"] == "S3-0001" and tags["purpose"] == "logs" and tags["costCenter"] == "platform"


def _tags(s3) -> dict:
    try:
        return s3.get_bucket_tagging(Bucket=BUCKET)
    except s3.exceptions.ClientError:
        return {}
