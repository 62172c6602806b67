"""A run that cannot start ends failed with its reason; it is not handed over forever."""

import pytest
from django.utils import timezone

from core.models import AuditEntry
from requests_app.models import BucketRequest, CatalogEntry, RequestStatus
from runner import dispatch, execution
from runner.models import Run, RunStatus
from tests.runner.factories import approved_request
from tests.support.common import make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_error_while_claiming_fails_the_run_with_that_reason_on_its_page(runner_settings, client):
    """The catalog already lists the bucket (e.g. an entry left by an older request): the claim's
    catalog write violates the catalog's unique name; the run fails instead of staying queued."""
    request = approved_request()
    other = BucketRequest.objects.create(
        request_id="S3-9000",
        number=9000,
        environment="dev",
        application="x",
        purpose="uploads",
        bucket_name="placeholder",
        owner=request.owner,
        requester="rita",
        contract={},
        contract_hash="0" * 64,
        status=RequestStatus.APPLIED,
    )
    CatalogEntry.objects.create(
        bucket_name=request.bucket_name,
        request=other,
        owner=request.owner,
        environment="dev",
        purpose="uploads",
        status="active",
    )
    run = Run.objects.get(request=request)

    assert execution.execute_run(run.pk) == RunStatus.FAILED

    run.refresh_from_db()
    request.refresh_from_db()
    assert run.error_summary.startswith("The run could not be started:")
    assert "UNIQUE" in run.error_summary.upper()
    assert request.status == RequestStatus.FAILED
    assert AuditEntry.objects.filter(request_id=request.request_id, action="run.failed").exists()
    client.force_login(make_user("watcher", "platform-approvers", is_staff=True))
    assert "The run could not be started:" in client.get(f"/runs/{run.pk}/").content.decode()
    assert dispatch.sweep()["handed_over"] == []


def test_the_sweeper_fails_a_run_handed_over_the_maximum_number_of_times(runner_settings, settings):
    settings.RUN_MAX_HANDOVERS = 3
    settings.RUNNER_HANDOVER_GRACE_SECONDS = 0
    request = approved_request()
    run = Run.objects.get(request=request)
    Run.objects.filter(pk=run.pk).update(handover_count=2, handed_over_at=timezone.now())

    assert dispatch.sweep()["handed_over"] == [run.pk]  # the third hand-over
    result = dispatch.sweep()

    run.refresh_from_db()
    request.refresh_from_db()
    assert (result["failed"], result["handed_over"]) == ([run.pk], [])
    assert run.status == RunStatus.FAILED and run.handover_count == 3
    assert run.error_summary.startswith(
        "The run could not be started: it was handed to the task queue 3 times"
    )
    assert request.status == RequestStatus.FAILED
    assert dispatch.sweep() == {
        "failed": [],
        "handed_over": [],
        "lock_released": [],
        "submissions_finished": [],
    }


@pytest.mark.parametrize("environment", ["prod", "dev"])  # prod: a plan for the vote; dev: auto-approved
def test_the_sweeper_finishes_a_submission_whose_process_stopped_between_its_transactions(
    runner_settings, monkeypatch, team_member, environment
):
    """Stands in for a process that dies after the saving commit (a process cannot die inside a test):
    the step after it raises. The request is saved, with no plan and no run; the sweeper completes it."""
    from requests_app import submission
    from tests.support.requests import prod_input, rita_input

    def process_stops(request, *, actor):
        raise SystemExit("the submitting process stopped")

    monkeypatch.setattr(submission, "complete_submission", process_stops)
    with pytest.raises(SystemExit):
        submission.submit_request((prod_input if environment == "prod" else rita_input)(), team_member)
    monkeypatch.undo()
    request = BucketRequest.objects.get()
    assert (request.status, request.plan_status, request.runs.count()) == (
        RequestStatus.PENDING_APPROVAL,
        "",
        0,
    )

    assert dispatch.sweep()["submissions_finished"] == []  # within the grace: its process may still be at it
    BucketRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timezone.timedelta(hours=1)
    )
    assert dispatch.sweep()["submissions_finished"] == [request.request_id]
    request.refresh_from_db()
    if environment == "prod":
        assert request.plan_status == "planning" and request.status == RequestStatus.PENDING_APPROVAL
    else:
        assert request.status != RequestStatus.PENDING_APPROVAL
    assert request.runs.count() == 1
    assert dispatch.sweep()["submissions_finished"] == []  # done once
