"""Concurrency on PostgreSQL: contiguous IDs under 50 simultaneous submissions, votes counted once."""

import pytest

from core.models import AuditEntry
from requests_app.approvals import decide
from requests_app.models import Approval, BucketRequest, RequestStatus
from requests_app.submission import InvalidRequest, submit_request
from tests.support.common import run_at_once
from tests.support.requests import plan_made, prod_input

# serialized_rollback brings back the rows data migrations made (ID sequences, role groups).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_50_concurrent_submissions_get_50_distinct_contiguous_ids(team_member):
    results = run_at_once(lambda i: submit_request(prod_input(application=f"app-{i:03d}"), team_member), 50)
    assert not [r for r in results if isinstance(r, Exception)]
    numbers = sorted(BucketRequest.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 51))
    assert len(set(BucketRequest.objects.values_list("request_id", flat=True))) == 50
    assert AuditEntry.objects.filter(action="request.submitted").count() == 50


def test_concurrent_replays_of_one_idempotency_key_create_one_request(team_member):
    results = run_at_once(lambda i: submit_request(prod_input(), team_member, idempotency_key="same"), 8)
    assert {r.request.request_id for r in results} == {"S3-0001"}
    assert sum(r.created for r in results) == 1
    assert BucketRequest.objects.count() == 1


def test_two_approvers_voting_at_once_approve_exactly_once(team_member, approver, second_approver, settings):
    settings.APPROVALS_REQUIRED = {**settings.APPROVALS_REQUIRED, "prod": 2}
    request = submit_request(prod_input(), team_member).request
    plan_made(request)
    voters = [approver, second_approver]
    results = run_at_once(lambda i: decide(request, voters[i], "approve", "ok"), 2)
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(r.status_changed for r in results) == 1
    request.refresh_from_db()
    assert request.status != RequestStatus.PENDING_APPROVAL
    assert Approval.objects.count() == 2
    assert AuditEntry.objects.filter(request_id=request.request_id, action="request.approve").count() == 1


def test_concurrent_submissions_of_one_bucket_name_create_one_request(team_member):
    """Different bodies (no idempotency key) for one bucket name, all at once: one wins, the rest name it."""
    results = run_at_once(lambda i: submit_request(prod_input(costAlertGb=10 + i), team_member), 8)

    created = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(created) == 1 and BucketRequest.objects.count() == 1
    holder = created[0].request.request_id
    assert all(isinstance(r, InvalidRequest) and f"held by {holder}" in str(r) for r in refused), refused
