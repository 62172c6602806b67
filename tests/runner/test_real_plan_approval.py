"""Plan before approval on the REAL stack: the real hashicorp/aws provider on moto server, state in S3.

One request is planned, approved on its plan and applied from the saved plan by another workspace;
a second request whose state already holds a bucket of another name is planned to replace it, which
is refused with Terraform's own reason (the module's ``prevent_destroy``) before anyone can approve.
"""

import pytest

from core.models import AuditEntry
from requests_app import approvals
from requests_app.approvals import DecisionRefused
from requests_app.models import PlanStatus, RequestStatus
from runner import dispatch, execution
from runner.models import Run, RunKind, RunStatus, SavedPlan
from tests.contract.cases import request_input
from tests.runner.factories import saved_request
from tests.support.real_terraform import ensure_platform_resources, variables_for_input

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_provider,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BUCKET = "module.bucket.aws_s3_bucket.this"


def planned_request(real_runner, raw: dict):
    """A request waiting for approval, with its plan run executed here (real init and plan)."""
    ensure_platform_resources(real_runner, variables_for_input(raw))
    request = saved_request(raw)
    run = dispatch.plan_again(request, actor="system")  # a request saved without a plan gets one
    execution.execute_run(run.pk)
    run.refresh_from_db()
    request.refresh_from_db()
    return request, run


def test_the_approved_real_plan_is_applied_and_a_bucket_replace_is_refused(real_runner, approver):
    s3 = real_runner.client("s3")
    request, plan_run = planned_request(real_runner, request_input(application="planreal"))

    assert plan_run.status == RunStatus.SUCCEEDED, plan_run.error_summary + plan_run.log[-3000:]
    plan = SavedPlan.objects.get(run=plan_run)
    assert (request.plan_status, request.plan_hash) == (PlanStatus.READY, plan.sha256)
    actions = {change["address"]: change["action"] for change in plan.changes}
    assert actions[BUCKET] == "create" and actions["aws_iam_policy.app"] == "create"
    assert set(actions.values()) == {"create"}
    assert "module.bucket.aws_s3_bucket.this will be created" in plan.rendered
    assert request.bucket_name not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]

    approvals.decide(request, approver, "approve", "real plan reviewed", plan_hash=plan.sha256)
    apply_run = Run.objects.get(request=request, kind=RunKind.APPLY)
    execution.execute_run(apply_run.pk)
    apply_run.refresh_from_db()

    assert apply_run.status == RunStatus.SUCCEEDED, apply_run.error_summary + apply_run.log[-3000:]
    assert apply_run.plan_sha256 == plan.sha256 and not SavedPlan.objects.filter(run=apply_run).exists()
    applied = AuditEntry.objects.get(request_id=request.request_id, action="run.applied")
    assert applied.detail["approved_plan"] is True
    assert request.bucket_name in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]

    # A second request whose state already holds the first bucket (as after a rename): its plan
    # would replace the bucket.
    other = request_input(application="planrenamed")
    ensure_platform_resources(real_runner, variables_for_input(other))
    renamed = saved_request(other)
    s3.copy_object(
        Bucket=real_runner.state_bucket,
        Key=f"envs/dev/s3/{renamed.request_id}/terraform.tfstate",
        CopySource={"Bucket": real_runner.state_bucket, "Key": apply_run.state_key},
    )
    refused_run = dispatch.plan_again(renamed, actor="system")
    execution.execute_run(refused_run.pk)
    refused_run.refresh_from_db()
    renamed.refresh_from_db()

    assert refused_run.status == RunStatus.FAILED
    assert "Instance cannot be destroyed" in refused_run.error_summary
    assert BUCKET in refused_run.error_summary
    assert (renamed.plan_status, renamed.plan_hash) == (PlanStatus.FAILED, "")
    with pytest.raises(DecisionRefused) as refusal:
        approvals.decide(renamed, approver, "approve", "fine")
    assert refusal.value.code == DecisionRefused.PLAN_NOT_READY and "Instance cannot be destroyed" in str(
        refusal.value
    )
    assert renamed.status == RequestStatus.PENDING_APPROVAL
    assert request.bucket_name in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
