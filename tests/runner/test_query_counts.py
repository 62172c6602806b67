"""Pinned query counts of the run pages: the request page's runs panel, a run's page and the runs admin,
with 5 and 50 runs (tests/runner/query_counts.json)."""

import pytest
from django.urls import reverse

from runner.models import Run, RunKind, RunStatus
from tests.runner.factories import approved_request
from tests.support.query_counts import assert_pinned, queries_for

pytestmark = pytest.mark.django_db


def add_failed_runs(request, count: int) -> None:
    """Finished runs written straight to the table (the pages only read them)."""
    request.runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(status=RunStatus.FAILED)
    last = request.runs.count()
    Run.objects.bulk_create(
        Run(
            request=request,
            kind=RunKind.APPLY,
            status=RunStatus.FAILED,
            attempt=attempt,
            error_summary="failed",
        )
        for attempt in range(last + 1, last + count + 1)
    )


URLS = {
    "request page": lambda request: reverse("requests:detail", args=[request.request_id]),
    "run page": lambda request: reverse("runner:run-detail", args=[request.runs.get(attempt=1).pk]),
    "admin runner_run": lambda request: reverse("admin:runner_run_changelist"),
}


@pytest.mark.parametrize("page", URLS)
def test_run_pages_make_their_pinned_number_of_queries_with_5_and_50_runs(client, approver, page):
    request = approved_request()
    url = URLS[page](request)
    client.force_login(approver)
    add_failed_runs(request, 4)
    few = queries_for(client, url)
    add_failed_runs(request, 45)
    assert request.runs.count() == 50
    assert_pinned(__file__, page, {5: few, 50: queries_for(client, url)})
