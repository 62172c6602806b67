"""Who may see and act on runs: one rule for the pages, the panel and the API."""

from requests_app.models import BucketRequest
from requests_app.visibility import visible_requests
from runner.models import Run

VIEW_RUN_PERMISSION = "runner.view_run"
CANCEL_PERMISSION = "runner.cancel_run"
RETRY_PERMISSION = "runner.retry_run"


def can_view_request_runs(user, request: BucketRequest) -> bool:
    """Runs are visible with ``runner.view_run`` to whoever may see the request itself
    (requests_app.visibility, docs/decisions/portal-visibility.md)."""
    return user.has_perm(VIEW_RUN_PERMISSION) and visible_requests(user).filter(pk=request.pk).exists()


def can_view_run(user, run: Run) -> bool:
    return can_view_request_runs(user, run.request)


def visible_run(user, pk: int) -> Run | None:
    """Run ``pk`` if ``user`` may see it; None whether it is missing or hidden (do not reveal which)."""
    run = Run.objects.select_related("request", "request__owner").filter(pk=pk).first()
    return run if run is not None and can_view_run(user, run) else None


def can_cancel(user) -> bool:
    return user.is_staff and user.has_perm(CANCEL_PERMISSION)


def can_retry(user) -> bool:
    return user.is_staff and user.has_perm(RETRY_PERMISSION)
