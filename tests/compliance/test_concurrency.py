"""On PostgreSQL: two approvers starting a remediation at once queue exactly one run."""

import pytest

from compliance.checking import check_buckets
from compliance.remediation import RemediationRefused, start_remediation
from runner.models import Run
from tests.support.common import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_approvers_remediating_at_once_queue_one_run(make_bucket, aws, approver, second_approver):
    entry = make_bucket()
    aws["s3"].delete_bucket_policy(Bucket=entry.bucket_name)
    check_buckets([entry])
    approvers = [approver, second_approver]
    results = run_at_once(lambda i: start_remediation(entry, actor=approvers[i]), 2)
    runs = [r for r in results if isinstance(r, Run)]
    refused = [r for r in results if isinstance(r, RemediationRefused)]
    assert (len(runs), len(refused)) == (1, 1), results
    assert Run.objects.filter(request=entry.request, attempt=2).count() == 1
