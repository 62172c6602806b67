"""Real Terraform with the real ``hashicorp/aws`` provider, applied on moto server with S3 state.

Tests marked ``real_provider`` use these fixtures. They need a filesystem mirror holding the
providers the stack's committed ``.terraform.lock.hcl`` pins (``TERRAFORM_PROVIDER_MIRROR``, else
``/opt/tf-plugins``); without one they skip, saying why, and ``.ci/run`` counts how many ran.

A real apply takes about 90 s on moto, 55 s of it the provider's own wait for the lifecycle
configuration to read back equal ten times, 5 s apart (docs/decisions/ci-time.md), so tests share one
applied bucket per module where they can: :func:`real_apply` (module scope) applies a request through the runner once and hands back
what it did as plain values, so the tests that read it back need no database.
"""

from __future__ import annotations

import json
import os
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from django.conf import settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REAL_STACK = PROJECT_ROOT / "terraform" / "stacks" / "s3-request"
DEFAULT_MIRROR = Path("/opt/tf-plugins")
STATE_BUCKET = "bucketwise-real-provider-state"
PLATFORM = "linux_amd64"


def locked_providers(stack_dir: Path = REAL_STACK) -> dict[str, str]:
    from runner.workspace import provider_versions

    return provider_versions(stack_dir)


def mirror_candidate() -> Path:
    return Path(
        settings.TERRAFORM_PROVIDER_MIRROR or os.environ.get("TERRAFORM_PROVIDER_MIRROR") or DEFAULT_MIRROR
    )


def missing_mirror_reason(mirror: Path | None = None) -> str | None:
    """Why the real provider cannot run here (None when the mirror holds every locked provider)."""
    mirror = mirror or mirror_candidate()
    if not mirror.is_dir():
        return f"no Terraform provider mirror at {mirror} (set TERRAFORM_PROVIDER_MIRROR)"
    for address, version in locked_providers().items():
        package = mirror / address
        name = address.rsplit("/", 1)[1]
        unpacked = package / version / PLATFORM
        packed = package / f"terraform-provider-{name}_{version}_{PLATFORM}.zip"
        if not (unpacked.is_dir() or packed.is_file()):
            return f"the provider mirror {mirror} lacks {address} {version} ({PLATFORM})"
    return None


def provider_mirror_path() -> Path | None:
    return None if missing_mirror_reason() else mirror_candidate()


@dataclass(frozen=True)
class RealRunnerEnvironment:
    """Settings of a runner applying the real stack; ``worker_environment`` is the same for a qcluster."""

    settings: dict
    worker_environment: dict
    endpoint: str
    state_bucket: str

    def client(self, service: str, role_arn: str = ""):
        """A boto3 client on moto; with ``role_arn``, acting as that role (moto keeps IAM, CloudWatch
        and KMS per account, so a role in another account sees only what was made with it)."""
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if role_arn:
            sts = boto3.client(
                "sts", endpoint_url=self.endpoint, region_name=settings.AWS_REGION, **credentials
            )
            assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName="bucketwise-tests")["Credentials"]
            credentials = {
                "aws_access_key_id": assumed["AccessKeyId"],
                "aws_secret_access_key": assumed["SecretAccessKey"],
                "aws_session_token": assumed["SessionToken"],
            }
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=settings.AWS_REGION, **credentials
        )


def real_runner_values(endpoint: str, state_bucket: str, directory: Path, plugin_cache: Path) -> dict:
    """Every setting that points the runner at the real stack, the mirror and S3 state on moto."""
    return {
        "TERRAFORM_STACK_DIR": REAL_STACK,
        "TERRAFORM_PROVIDER_MIRROR": str(provider_mirror_path()),
        "TERRAFORM_PLUGIN_CACHE_DIR": plugin_cache,
        "TERRAFORM_STATE_DIR": directory / "state",
        "TERRAFORM_WORK_DIR": directory / "runs",
        "TERRAFORM_STATE_BUCKET": state_bucket,
        "TERRAFORM_STATE_REGION": settings.AWS_REGION,
        "AWS_ENDPOINT_URL": endpoint,
        "RUNNER_HEARTBEAT_SECONDS": 0.5,
        "RUNNER_CANCEL_GRACE_SECONDS": 10,
    }


def create_state_bucket(endpoint: str, name: str = STATE_BUCKET) -> str:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=settings.AWS_REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    if name not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=name)
    return name


def ensure_platform_resources(
    environment: RealRunnerEnvironment, variables: dict, role_arn: str = ""
) -> None:
    """What the platform provides before a request is applied, in the account of the environment's
    role: the KMS key behind the contract's alias and the access-log bucket (with the policy that lets
    S3's log delivery write to it)."""
    alias = variables.get("kms_key_alias")
    if alias:
        kms = environment.client("kms", role_arn)
        if alias not in [entry["AliasName"] for entry in kms.list_aliases()["Aliases"]]:
            key_id = kms.create_key(Description=f"platform key {alias}")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    log_bucket = variables.get("access_log_bucket")
    if log_bucket:
        s3 = environment.client("s3", role_arn)
        if log_bucket not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]:
            _take_over_bucket(environment, s3, log_bucket)
            s3.put_bucket_policy(
                Bucket=log_bucket,
                Policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "S3ServerAccessLogs",
                                "Effect": "Allow",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                                "Action": "s3:PutObject",
                                "Resource": f"arn:aws:s3:::{log_bucket}/*",
                            }
                        ],
                    }
                ),
            )


def _take_over_bucket(environment: RealRunnerEnvironment, s3, name: str) -> None:
    """Create ``name`` in ``s3``'s account. Bucket names are global and one moto process serves every
    module of the session: when an earlier module's tests made the same platform bucket in the default
    account, it is emptied and removed there first (test set-up only; the platform owns it in AWS)."""
    try:
        s3.create_bucket(Bucket=name)
    except s3.exceptions.BucketAlreadyExists:
        default = environment.client("s3")
        for page in default.get_paginator("list_object_versions").paginate(Bucket=name):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                default.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
        default.delete_bucket(Bucket=name)
        s3.create_bucket(Bucket=name)


def contract_variables(request) -> dict:
    """The Terraform variables the runner renders for ``request`` (a BucketRequest)."""
    from requests_app.contract import load_contract, terraform_variables
    from requests_app.platform_policy import current_policy

    return terraform_variables(load_contract(request.contract), current_policy())


@dataclass(frozen=True)
class AppliedRequest:
    """What one real apply through the runner did, as plain values (no database needed to read it)."""

    request_id: str
    environment: str
    bucket_name: str
    contract: dict
    variables: dict
    run: dict
    audit_actions: list[str] = field(default_factory=list)

    @property
    def state_key(self) -> str:
        return self.run["state_key"]


@contextmanager
def database_for_module(django_db_blocker):
    """Database access for a module-scoped fixture, leaving the test database as a test would.

    The rows it writes are flushed afterwards and the migration data restored (what a transactional
    test with serialized rollback does), so later tests start from the usual state.
    """
    from django.core.management import call_command
    from django.db import connection

    def restore():
        serialized = getattr(connection, "_test_serialized_contents", None)
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=bool(serialized))
        if serialized:
            connection.creation.deserialize_db_from_string(serialized)

    with django_db_blocker.unblock():
        restore()
        try:
            yield
        finally:
            restore()


def approve_and_run(raw: dict, *, approver: str = "alex"):
    """Approve a request built from ``raw`` and execute its run in this process; the run row after."""
    from runner import execution
    from runner.models import Run
    from tests.runner.factories import approved_request

    request = approved_request(raw, approver=approver)
    run = Run.objects.get(request=request)
    execution.execute_run(run.pk)
    run.refresh_from_db()
    return request, run


def snapshot(request, run) -> AppliedRequest:
    from core.models import AuditEntry

    fields = [
        "status",
        "error_summary",
        "terraform_version",
        "provider_versions",
        "state_key",
        "plan_summary",
        "resource_changes",
        "outputs",
        "log",
        "step",
        "attempt",
        "state_lock_id",
        "state_lock_path",
        "aws_role_arn",
    ]
    return AppliedRequest(
        request_id=request.request_id,
        environment=request.environment,
        bucket_name=request.bucket_name,
        contract=request.contract,
        variables=contract_variables(request),
        run={name: getattr(run, name) for name in fields} | {"id": run.pk},
        audit_actions=list(
            AuditEntry.objects.filter(request_id=request.request_id)
            .order_by("pk")
            .values_list("action", flat=True)
        ),
    )


@pytest.fixture(scope="session")
def provider_mirror() -> Path:
    reason = missing_mirror_reason()
    if reason:
        pytest.skip(reason)
    return mirror_candidate()


@pytest.fixture(scope="session")
def real_plugin_cache(tmp_path_factory) -> Path:
    """One plugin cache for the session: the 600 MB provider is unpacked once, then linked."""
    return tmp_path_factory.mktemp("real-plugin-cache")


@contextmanager
def real_runner_environment(endpoint: str, directory: Path, plugin_cache: Path):
    """Settings and process environment for a runner applying the real stack on ``endpoint``."""
    from django.test import override_settings

    # A state bucket of its own: request ids start again after every flush, so two tests' S3-0001 would
    # otherwise share envs/dev/s3/S3-0001/terraform.tfstate on the session's moto server.
    state_bucket = create_state_bucket(endpoint, f"{STATE_BUCKET}-{uuid.uuid4().hex[:8]}")
    values = real_runner_values(endpoint, state_bucket, directory, plugin_cache)
    credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": settings.AWS_REGION,
        "AWS_ENDPOINT_URL": endpoint,
    }
    with ExitStack() as stack:
        stack.enter_context(override_settings(**values))
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for name, value in credentials.items():
            patch.setenv(name, value)
        yield RealRunnerEnvironment(
            settings=values,
            worker_environment={name: str(value) for name, value in values.items()} | credentials,
            endpoint=endpoint,
            state_bucket=state_bucket,
        )


@pytest.fixture
def real_runner(provider_mirror, local_aws_endpoint, real_plugin_cache, tmp_path):
    """This test's runner (and, through ``worker_environment``, its worker clusters) on the real stack."""
    with real_runner_environment(local_aws_endpoint, tmp_path, real_plugin_cache) as environment:
        yield environment


@pytest.fixture(scope="module")
def real_apply(
    provider_mirror,
    local_aws_endpoint,
    real_plugin_cache,
    tmp_path_factory,
    django_db_setup,
    django_db_blocker,
):
    """``real_apply(raw)``: approve a request for ``raw`` and apply the REAL stack through the runner,
    once per module and input; returns an :class:`AppliedRequest`. The AWS resources stay for the
    module's tests to read back; the database rows go at the end of the module.

    The module's tests must use the database (``django_db(transaction=True, serialized_rollback=True)``):
    pytest-django creates the test database only for a session that has such tests.
    """
    applied: dict[str, AppliedRequest] = {}
    directory = tmp_path_factory.mktemp("real-apply")
    with (
        database_for_module(django_db_blocker),
        real_runner_environment(local_aws_endpoint, directory, real_plugin_cache) as environment,
    ):

        def apply(raw: dict, *, role_arn: str = "") -> AppliedRequest:
            """``role_arn``: the AWS_ROLE_ARN_<ENV> of the request's environment for this apply."""
            key = json.dumps([raw, role_arn], sort_keys=True)
            if key not in applied:
                from django.test import override_settings

                ensure_platform_resources(environment, variables_for_input(raw), role_arn)
                roles = {**settings.AWS_ROLE_ARNS, raw["environment"]: role_arn}
                with override_settings(AWS_ROLE_ARNS=roles):
                    request, run = approve_and_run(raw)
                applied[key] = snapshot(request, run)
            return applied[key]

        apply.environment = environment
        yield apply


def variables_for_input(raw: dict) -> dict:
    """The variables a request for ``raw`` renders (computed from the input, before anything is saved)."""
    from requests_app.contract import evaluate_request, terraform_variables
    from requests_app.platform_policy import current_policy
    from tests.contract.cases import KNOWN_TEAMS

    evaluation = evaluate_request(raw, current_policy(), request_id="S3-0000", known_teams=list(KNOWN_TEAMS))
    assert evaluation.is_valid, evaluation.problems
    return terraform_variables(evaluation.built.contract, current_policy())
