"""One AWS role per environment: a run assumes its environment's role, and a role that will not have
the worker (its trust policy names someone else) fails the run before anything changes.

moto normally accepts any AssumeRole; here a moto server process of its own enforces IAM (after the
setup, `/moto-api/reset-auth` turns authentication on), so trust policies and permissions are
checked for real. The provider-free twin stack is enough: the S3 state backend assumes the role.
"""

import json
import os
import socket
import subprocess
import sys
import time

import boto3
import pytest
import requests

from runner import execution
from runner.models import Run, RunStatus
from tests.contract.cases import request_input
from tests.runner.factories import approved_request

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ACCOUNT = "123456789012"
STATE_BUCKET = "bucketwise-role-state"
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def trust(principal_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}
            ],
        }
    )


@pytest.fixture(scope="module")
def iam_enforcing_aws(tmp_path_factory):
    """A moto server process that checks IAM: a worker user, dev's role trusting it, prod's role not."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(endpoint + "/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline and server.poll() is None, "moto server did not start"
            time.sleep(0.2)
    setup = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    iam = boto3.client("iam", **setup)
    iam.create_user(UserName="worker")
    iam.put_user_policy(UserName="worker", PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName="worker")["AccessKey"]
    roles = {}
    for environment, trusted in (
        ("dev", f"arn:aws:iam::{ACCOUNT}:user/worker"),
        ("prod", f"arn:aws:iam::{ACCOUNT}:user/prod-deployer"),
    ):
        roles[environment] = iam.create_role(
            RoleName=f"bucketwise-{environment}", AssumeRolePolicyDocument=trust(trusted)
        )["Role"]["Arn"]
        iam.put_role_policy(RoleName=f"bucketwise-{environment}", PolicyName="all", PolicyDocument=ALLOW_ALL)
    boto3.client("s3", **setup).create_bucket(Bucket=STATE_BUCKET)
    requests.post(endpoint + "/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()
    yield {
        "endpoint": endpoint,
        "key_id": key["AccessKeyId"],
        "secret": key["SecretAccessKey"],
        "roles": roles,
    }
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture
def worker_credentials(iam_enforcing_aws, runner_settings, settings, monkeypatch):
    settings.AWS_ENDPOINT_URL = iam_enforcing_aws["endpoint"]
    settings.TERRAFORM_STATE_BUCKET = STATE_BUCKET
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", iam_enforcing_aws["key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", iam_enforcing_aws["secret"])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    s3 = state_client(iam_enforcing_aws)
    for key in state_keys(iam_enforcing_aws):  # request ids start again in every test: so must the state
        s3.delete_object(Bucket=STATE_BUCKET, Key=key)
    return iam_enforcing_aws


def state_client(aws):
    return boto3.client(
        "s3",
        endpoint_url=aws["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=aws["key_id"],
        aws_secret_access_key=aws["secret"],
    )


def state_keys(aws) -> list[str]:
    return [
        item["Key"] for item in state_client(aws).list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])
    ]


def test_a_dev_run_assumes_devs_role_and_records_it(worker_credentials, settings):
    settings.AWS_ROLE_ARNS = {**settings.AWS_ROLE_ARNS, "dev": worker_credentials["roles"]["dev"]}
    request = approved_request(request_input(application="rolegood"))
    run = Run.objects.get(request=request)

    assert execution.execute_run(run.pk) == RunStatus.SUCCEEDED, Run.objects.get(pk=run.pk).error_summary

    run.refresh_from_db()
    assert run.aws_role_arn == worker_credentials["roles"]["dev"]
    assert run.state_key in state_keys(worker_credentials)


def test_a_role_whose_trust_refuses_the_worker_fails_the_run_before_anything_changes(
    worker_credentials, settings
):
    """Dev pointed at prod's role by mistake: prod's role trusts only prod's deployer, so the run stops."""
    settings.AWS_ROLE_ARNS = {**settings.AWS_ROLE_ARNS, "dev": worker_credentials["roles"]["prod"]}
    request = approved_request(request_input(application="rolerefused"))
    run = Run.objects.get(request=request)
    before = state_keys(worker_credentials)

    assert execution.execute_run(run.pk) == RunStatus.FAILED

    run.refresh_from_db()
    assert run.aws_role_arn == worker_credentials["roles"]["prod"]
    assert run.step == "init"
    assert "assume" in run.error_summary.lower() or "AccessDenied" in run.error_summary, run.error_summary
    assert state_keys(worker_credentials) == before  # no state written: the backend never got in


def test_without_a_role_the_workers_own_credentials_are_used(worker_credentials, settings):
    settings.AWS_ROLE_ARNS = {environment: "" for environment in settings.AWS_ROLE_ARNS}
    request = approved_request(request_input(application="rolenone"))
    run = Run.objects.get(request=request)

    assert execution.execute_run(run.pk) == RunStatus.SUCCEEDED, Run.objects.get(pk=run.pk).error_summary
    run.refresh_from_db()
    assert run.aws_role_arn == ""
    assert os.environ["AWS_ACCESS_KEY_ID"] == worker_credentials["key_id"]
