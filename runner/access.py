"""Who may see and act on runs: one rule for the pages, the panel and the API."""

from requests_app.models import BucketRequest
from runner.models import Run


def can_view_request_runs(user, request: BucketRequest) -> bool:
    """Runs are visible with ``runner.view_run`` to those who may see every request, the
    account that submitted the request and members of its owning team."""
    if not user.has_perm("runner.view_run"):
        return False
    if user.has_perm("requests_app.view_all_bucketrequests") or request.submitted_by_id == user.pk:
        return True
    return request.owner.members.filter(pk=user.pk).exists()


def can_view_run(user, run: Run) -> bool:
    return can_view_request_runs(user, run.request)


def can_cancel(user) -> bool:
    return user.is_staff and user.has_perm("runner.cancel_run")


def can_retry(user) -> bool:
    return user.is_staff and user.has_perm("runner.retry_run")
