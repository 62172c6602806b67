"""A worker SIGKILLed mid-apply on the REAL stack with S3 state recovers with no manual step.

The real hashicorp/aws provider applies terraform/stacks/s3-request on moto server, state in S3 with
the S3 lockfile, through a real `manage.py qcluster`. Once the bucket exists the whole cluster is
killed with SIGKILL. Then: nothing of its Terraform is left running; the state lock it held is still
there with the ID the run recorded; the sweeper fails the run and releases exactly that lock; a retry
adopts what the killed apply created and applies. At the end there is one bucket, one policy, and
the state holds every resource.
"""

import json
import os
import time
from pathlib import Path

import pytest

from core.models import AuditEntry
from requests_app.models import RequestStatus
from runner import dispatch
from runner.models import Run, RunStatus
from runner.state_lock import LockInfo
from tests.contract.cases import request_input
from tests.runner.factories import approved_request
from tests.runner.waiting import finished, wait_for_run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_provider,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEV_RESOURCES = {
    "aws_iam_policy.app",
    "module.bucket.aws_s3_bucket.this",
    "module.bucket.aws_s3_bucket_ownership_controls.this",
    "module.bucket.aws_s3_bucket_public_access_block.this",
    "module.bucket.aws_s3_bucket_versioning.this",
    "module.bucket.aws_s3_bucket_server_side_encryption_configuration.this",
    "module.bucket.aws_s3_bucket_lifecycle_configuration.this",
    "module.bucket.aws_s3_bucket_policy.tls_only",
    "module.bucket.aws_cloudwatch_metric_alarm.cost",
}


def state_addresses(s3, bucket: str, key: str) -> set[str]:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return set()
    return {
        (f"{resource['module']}." if resource.get("module") else "")
        + f"{resource['type']}.{resource['name']}"
        for resource in json.loads(body)["resources"]
        if resource["mode"] == "managed"
    }


def bucket_exists(s3, name: str) -> bool:
    return name in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


def processes_working_in(directory: Path) -> list[int]:
    """Processes (Terraform, its plugins) whose working directory is inside ``directory``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if str(Path(f"/proc/{entry}/cwd").resolve()).startswith(str(directory)):
                    found.append(int(entry))
            except OSError:
                pass
    return found


def wait_until(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_sigkill_mid_apply_then_sweeper_then_retry_converges_on_one_bucket(
    real_runner, start_worker_cluster, approver, settings
):
    s3, iam = real_runner.client("s3"), real_runner.client("iam")
    cluster = start_worker_cluster(**real_runner.worker_environment)
    request = approved_request(request_input(application="killreal"))
    lock_key = f"envs/dev/s3/{request.request_id}/terraform.tfstate"

    wait_until(lambda: bucket_exists(s3, request.bucket_name), timeout=300, what="the bucket to exist")
    killed = Run.objects.get(request=request)
    wait_until(
        lambda: Run.objects.get(pk=killed.pk).state_lock_id, timeout=30, what="the run to record its lock"
    )
    cluster.kill()
    killed.refresh_from_db()
    assert (killed.status, killed.step) == (RunStatus.RUNNING, "apply")
    workspace = settings.TERRAFORM_WORK_DIR / request.request_id / f"run-{killed.pk}"
    wait_until(
        lambda: not processes_working_in(workspace),
        timeout=30,
        what="Terraform and its provider plugins to die with the worker",
    )

    lock = LockInfo.parse(
        s3.get_object(Bucket=real_runner.state_bucket, Key=lock_key + ".tflock")["Body"].read()
    )
    assert lock.id == killed.state_lock_id and lock.operation == "OperationTypeApply"
    assert killed.state_lock_path == f"s3://{real_runner.state_bucket}/{lock_key}.tflock"
    in_state_when_killed = state_addresses(s3, real_runner.state_bucket, lock_key)

    settings.RUNNER_HEARTBEAT_STALE_SECONDS = 1
    time.sleep(1.5)
    swept = dispatch.sweep()
    assert (swept["failed"], swept["lock_released"]) == ([killed.pk], [killed.pk])
    assert "Contents" not in s3.list_objects_v2(Bucket=real_runner.state_bucket, Prefix=lock_key + ".tflock")

    retry = dispatch.retry_request(request, actor=approver)
    start_worker_cluster(**real_runner.worker_environment)
    retry = wait_for_run(finished, run_id=retry.pk, timeout=400)

    assert retry.status == RunStatus.SUCCEEDED, retry.error_summary + retry.log[-3000:]
    request.refresh_from_db()
    assert request.status == RequestStatus.APPLIED
    assert not [change for change in retry.resource_changes if "delete" in change["actions"]]
    assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]].count(request.bucket_name) == 1
    policies = [
        policy["PolicyName"]
        for page in iam.get_paginator("list_policies").paginate(Scope="Local")
        for policy in page["Policies"]
    ]
    assert policies.count(f"bucketwise-{request.bucket_name}") == 1
    assert state_addresses(s3, real_runner.state_bucket, lock_key) == DEV_RESOURCES
    actions = list(AuditEntry.objects.filter(request_id=request.request_id).values_list("action", flat=True))
    assert "run.state_lock_released" in actions
    if "module.bucket.aws_s3_bucket.this" not in in_state_when_killed:
        # The killed apply created the bucket but its state never said so: the retry had to adopt it.
        adopting = AuditEntry.objects.get(request_id=request.request_id, action="run.adopting")
        assert adopting.detail["imports"]["module.bucket.aws_s3_bucket.this"] == request.bucket_name
