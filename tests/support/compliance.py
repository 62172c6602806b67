"""Active catalog buckets whose AWS side exists in the local moto server (the session's `local_aws`);
fixtures registered in tests/conftest.py."""

import boto3
import pytest
import requests
from django.conf import settings
from django.utils import timezone

from requests_app import catalog, status_machine
from requests_app.contract import load_contract, terraform_variables
from requests_app.models import Approval, Decision
from requests_app.platform_policy import current_policy
from runner.models import RunStatus
from tests.compliance import module_twin
from tests.contract.cases import request_input
from tests.runner.factories import saved_request

SERVICES = ("s3", "kms", "iam", "cloudwatch", "sts")


@pytest.fixture
def aws(local_aws):
    """boto3 clients on a freshly reset moto (buckets from earlier tests would collide by name)."""
    requests.post(f"{local_aws}/moto-api/reset", timeout=10).raise_for_status()
    return {
        name: boto3.client(name, region_name=settings.AWS_REGION, endpoint_url=local_aws) for name in SERVICES
    }


def activate(bucket_request, approver, *, region="us-east-1"):
    """Take a saved request through an approval vote and a (pretend) apply to an active catalog entry."""
    Approval.objects.create(
        request=bucket_request,
        approver=approver,
        decision=Decision.APPROVE,
        comment="fine",
        contract_hash=bucket_request.contract_hash,
    )
    status_machine.transition(bucket_request, "approve", actor=approver)  # the runner queues run 1 here
    bucket_request.runs.update(status=RunStatus.SUCCEEDED, finished_at=timezone.now())
    status_machine.transition(bucket_request, "start_apply", actor="runner")
    status_machine.transition(bucket_request, "mark_applied", actor="runner")
    return catalog.mark_active(
        bucket_request, actor="runner", region=region, arn=f"arn:aws:s3:::{bucket_request.bucket_name}"
    )


@pytest.fixture
def make_bucket(aws, db, approver):
    """``make_bucket(**request overrides)`` -> an active CatalogEntry whose bucket moto holds as applied."""

    def make(**overrides):
        bucket_request = saved_request(request_input(**overrides))
        entry = activate(bucket_request, approver)
        variables = terraform_variables(load_contract(bucket_request.contract), current_policy())
        module_twin.ensure_platform_resources(aws, variables)
        module_twin.apply_bucket(aws, variables)
        return entry

    return make
