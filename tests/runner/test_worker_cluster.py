"""The runner through a real `manage.py qcluster` running real Terraform on the provider-free stack.

Each test uses the fixtures of tests/conftest.py (real cluster on the test database) and
runner_settings (the twin stack, state and workspaces under tmp_path).
"""

import json
import time

import boto3
import pytest
from django_q.tasks import async_task

from core.models import AuditEntry
from requests_app.models import RequestStatus
from runner import dispatch
from runner.models import Run, RunStatus
from tests.contract.cases import request_input
from tests.runner.factories import approved_request
from tests.runner.waiting import applying, finished, wait_for_run

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
STATE_BUCKET = "bucketwise-terraform-state"


def test_state_lands_in_s3_at_the_requests_key(runner_settings, local_aws, settings, start_worker_cluster):
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name=settings.AWS_REGION)
    if STATE_BUCKET not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=STATE_BUCKET)
    settings.TERRAFORM_STATE_BUCKET = STATE_BUCKET
    start_worker_cluster(**runner_settings, TERRAFORM_STATE_BUCKET=STATE_BUCKET)

    request = approved_request(request_input(environment="test", application="statecheck"))
    run = wait_for_run(finished, request=request)

    assert run.status == RunStatus.SUCCEEDED, run.error_summary
    key = f"envs/test/s3/{request.request_id}/terraform.tfstate"
    state = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=key)["Body"].read())
    assert state["outputs"]["bucket_name"]["value"] == request.bucket_name
    assert not (settings.TERRAFORM_STATE_DIR / key).exists()


def test_runs_of_two_requests_run_in_parallel(runner_settings, start_worker_cluster):
    start_worker_cluster(**runner_settings, BUCKETWISE_FAKE_APPLY_SECONDS="2")

    first = approved_request(request_input(application="parallel-one"))
    second = approved_request(request_input(application="parallel-two"))
    runs = [wait_for_run(finished, request=request) for request in (first, second)]

    assert [run.status for run in runs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
    assert max(run.started_at for run in runs) < min(run.finished_at for run in runs)
    for request in (first, second):
        request.refresh_from_db()
        assert request.status == RequestStatus.APPLIED


def test_cancel_interrupts_terraform_mid_apply(runner_settings, start_worker_cluster, approver):
    start_worker_cluster(**runner_settings, BUCKETWISE_FAKE_APPLY_SECONDS="60")
    request = approved_request(request_input(application="cancelme"))
    run = wait_for_run(applying, request=request)

    dispatch.cancel_run(run, actor=approver)
    run = wait_for_run(finished, run_id=run.pk, timeout=30)

    assert run.status == RunStatus.CANCELLED
    assert run.error_summary.startswith("Cancelled by alex during terraform apply")
    assert (run.finished_at - run.cancel_requested_at).total_seconds() < 15
    assert [(step["step"], step["outcome"]) for step in run.steps[-2:]] == [
        ("apply", "cancelled"),
        ("finish", "succeeded"),
    ]
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED


def test_the_same_run_delivered_twice_applies_once(runner_settings, start_worker_cluster):
    start_worker_cluster(**runner_settings, BUCKETWISE_FAKE_APPLY_SECONDS="1")
    request = approved_request(request_input(application="twice"))
    run = Run.objects.get(request=request)
    async_task(dispatch.EXECUTE_TASK, run.pk)  # a second delivery while the first may still run

    run = wait_for_run(finished, run_id=run.pk)
    time.sleep(2)  # give the second delivery time to (not) act

    assert run.status == RunStatus.SUCCEEDED
    actions = list(AuditEntry.objects.filter(request_id=request.request_id).values_list("action", flat=True))
    assert actions.count("run.started") == 1
    assert actions.count("run.applied") == 1
    assert actions.count("request.mark_applied") == 1


def test_a_killed_worker_is_detected_and_the_request_can_be_retried(
    runner_settings, start_worker_cluster, settings, approver
):
    cluster = start_worker_cluster(**runner_settings, BUCKETWISE_FAKE_APPLY_SECONDS="60")
    request = approved_request(request_input(application="killed"))
    run = wait_for_run(applying, request=request)
    cluster.kill()

    settings.RUNNER_HEARTBEAT_STALE_SECONDS = 1
    time.sleep(1.5)
    assert dispatch.sweep()["failed"] == [run.pk]
    run.refresh_from_db()
    request.refresh_from_db()
    assert run.status == RunStatus.FAILED and "stopped: no heartbeat since" in run.error_summary
    assert request.status == RequestStatus.FAILED

    retry = dispatch.retry_request(request, actor=approver)
    start_worker_cluster(**runner_settings)
    retry = wait_for_run(finished, run_id=retry.pk)

    assert (retry.status, retry.attempt) == (RunStatus.SUCCEEDED, 2), retry.error_summary
    request.refresh_from_db()
    assert request.status == RequestStatus.APPLIED
