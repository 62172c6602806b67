"""Abandoning a request that failed on the REAL stack (the real hashicorp/aws provider on moto server,
S3 state): what the provider leaves in the state after a failed create decides whether the request
can be abandoned, so it is read here as Terraform really leaves it.

The bucket name is taken first by another AWS account (moto keeps buckets per account behind one
shared namespace, and answers CreateBucket with BucketAlreadyExists as S3 does).
"""

import pytest
from rest_framework.test import APIClient

from requests_app.models import CatalogEntry, RequestStatus
from runner.models import RunStatus
from tests.contract.cases import request_input
from tests.support.real_terraform import approve_and_run, ensure_platform_resources, variables_for_input

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_provider,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OTHER_ACCOUNT_ROLE = "arn:aws:iam::222222222222:role/someone-else"


def test_a_request_whose_name_another_account_owns_fails_and_can_be_abandoned(real_runner, approver):
    raw = request_input(application="takenname")
    variables = variables_for_input(raw)
    real_runner.client("s3", OTHER_ACCOUNT_ROLE).create_bucket(Bucket=variables["bucket_name"])
    ensure_platform_resources(real_runner, variables)

    request, run = approve_and_run(raw)

    assert run.status == RunStatus.FAILED, run.log[-3000:]
    assert "BucketAlreadyExists" in run.error_summary + run.log
    client = APIClient()
    client.force_authenticate(approver)
    response = client.post(
        f"/api/v1/s3-requests/{request.request_id}/abandon/",
        {"reason": "The name belongs to another account."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert not CatalogEntry.objects.filter(request=request).exists()
