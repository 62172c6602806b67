"""Who may see and act on runs: one rule for the pages, the panel and the API."""

from django.contrib.auth import get_user_model

from core.roles import PLATFORM_APPROVERS
from requests_app import plans
from requests_app.models import BucketRequest, RequestStatus
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


def may_cancel(user, run: Run) -> bool:
    """Whether the run's pages offer ``user`` a Cancel button (the API and admin apply the same rules)."""
    return run.is_active and can_cancel(user)


def may_retry(user, request: BucketRequest) -> bool:
    """Whether the pages offer ``user`` a Retry button for ``request`` (only a failed request is retried)."""
    return request.status == RequestStatus.FAILED and can_retry(user)


def may_abandon(user, request: BucketRequest) -> bool:
    """Whether the pages offer ``user`` to abandon ``request``: the other answer to a failure, given to
    the same people as a retry (runner.abandonment)."""
    return may_retry(user, request)


def may_plan_again(user, request: BucketRequest) -> bool:
    return plans.can_plan_again(request) and can_retry(user)


def who_can_retry(limit: int = 5) -> list[str]:
    """Whom a requester of a failed run can ask: active staff members of platform-approvers, the role
    that holds ``runner.retry_run`` (core.roles; :func:`can_retry` also needs ``is_staff``)."""
    people = get_user_model().objects.filter(groups__name=PLATFORM_APPROVERS, is_staff=True, is_active=True)
    return list(people.order_by("username").values_list("username", flat=True)[:limit])
