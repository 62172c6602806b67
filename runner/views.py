"""Portal pages of the runner: a run's page with its live log, and the runs panel of a request."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from requests_app import plans
from requests_app.models import RequestStatus
from requests_app.visibility import visible_requests
from runner import abandonment, dispatch
from runner.access import (
    can_cancel,
    can_retry,
    can_view_request_runs,
    may_abandon,
    may_cancel,
    may_plan_again,
    may_retry,
    visible_run,
    who_can_retry,
)
from runner.logbound import OMISSION_MARKER
from runner.models import Run, SavedPlan
from runner.plan_changes import action_counts
from runner.saved_plans import latest_plan
from runner.step_times import format_seconds, step_rows

STATUS_BADGE = {
    "succeeded": "ok",
    "queued": "warn",
    "running": "warn",
    "failed": "bad",
    "cancelled": "bad",
    "timed_out": "bad",
    "returned": "warn",
}
ACTION_BADGE = {
    "create": "ok",
    "import": "ok",
    "no-op": "ok",
    "read": "ok",
    "update": "warn",
    "import-update": "warn",
    "delete": "bad",
    "replace": "bad",
}


def _visible_run(http_request, pk: int) -> Run:
    run = visible_run(http_request.user, pk)
    if run is None:
        raise Http404("No such run.")
    return run


@require_safe
def run_detail(http_request, pk: int):
    run = _visible_run(http_request, pk)
    return render(
        http_request,
        "runner/run_detail.html",
        {
            "run": run,
            "badge": STATUS_BADGE.get(run.status, "warn"),
            "log_truncated": OMISSION_MARKER in run.log,
            "duration": _duration(run),
            "steps": step_rows(run.steps, run_active=run.is_active),
            "status_url": reverse("runner:run-status", args=[run.pk]),
            **_actions_context(http_request.user, run.request, run),
        },
    )


def _duration(run: Run) -> str:
    """How long the run took (or has taken so far), as 1 min 5 s (so far)."""
    if run.started_at is None:
        return ""
    seconds = max(((run.finished_at or timezone.now()) - run.started_at).total_seconds(), 0)
    return format_seconds(seconds) + (" so far" if run.is_active else "")


def _actions_context(user, bucket_request, run=None) -> dict:
    """The buttons a page offers (runner.access decides), and whom to ask when the user may not retry."""
    can_retry_here = may_retry(user, bucket_request)
    return {
        "can_cancel": run is not None and may_cancel(user, run),
        "can_retry": can_retry_here,
        "can_plan_again": may_plan_again(user, bucket_request),
        "can_abandon": may_abandon(user, bucket_request),
        "abandon_reason_limit": abandonment.REASON_LIMIT,
        "retry_contacts": (
            who_can_retry() if bucket_request.status == RequestStatus.FAILED and not can_retry_here else []
        ),
    }


@require_POST
def cancel_run(http_request, pk: int):
    run = _visible_run(http_request, pk)
    if not can_cancel(http_request.user):  # the state (finished already?) is dispatch's to check
        raise PermissionDenied("Only platform approvers may cancel runs.")
    _act(
        http_request,
        lambda: dispatch.cancel_run(run, actor=http_request.user),
        f"Cancel requested for run #{run.pk}.",
    )
    return redirect("runner:run-detail", pk=run.pk)


@require_POST
def retry_request(http_request, request_id: str):
    bucket_request = _visible_bucket_request(http_request, request_id)
    if not can_retry(http_request.user):
        raise PermissionDenied("Only platform approvers may retry requests.")
    run = _act(
        http_request,
        lambda: dispatch.retry_request(bucket_request, actor=http_request.user),
        f"{bucket_request.request_id}: a new run is queued.",
    )
    if run is None:
        return redirect("requests:detail", request_id=request_id)
    return redirect("runner:run-detail", pk=run.pk)


@require_POST
def abandon_request(http_request, request_id: str):
    bucket_request = _visible_bucket_request(http_request, request_id)
    if not can_retry(http_request.user):
        raise PermissionDenied("Only platform approvers may abandon requests.")
    _act(
        http_request,
        lambda: abandonment.abandon_request(
            bucket_request, actor=http_request.user, reason=http_request.POST.get("reason", "")
        ),
        f"{bucket_request.request_id} abandoned: its bucket name is free again.",
    )
    return redirect("requests:detail", request_id=request_id)


@require_POST
def plan_again(http_request, request_id: str):
    bucket_request = _visible_bucket_request(http_request, request_id)
    if not can_retry(http_request.user):
        raise PermissionDenied("Only platform approvers may plan a request again.")
    _act(
        http_request,
        lambda: dispatch.plan_again(bucket_request, actor=http_request.user),
        f"{bucket_request.request_id}: Terraform is planning it again.",
    )
    return redirect("requests:detail", request_id=request_id)


def _visible_bucket_request(http_request, request_id: str):
    return get_object_or_404(visible_requests(http_request.user), request_id=request_id)


def _act(http_request, action, success: str):
    """Run ``action`` (a dispatch service); a state that no longer allows it is said, not raised."""
    try:
        result = action()
    except dispatch.RunnerError as error:
        messages.error(http_request, str(error))
        return None
    messages.success(http_request, success)
    return result


@require_safe
def run_status(http_request, pk: int):
    """What the run page polls while the run is active: status, step, duration, the steps table (the page's
    own fragment, so that it reads the same as on load) and the log so far."""
    run = _visible_run(http_request, pk)
    steps = step_rows(run.steps, run_active=run.is_active)
    return JsonResponse(
        {
            "id": run.pk,
            "status": run.status,
            "status_label": run.get_status_display(),
            "badge": STATUS_BADGE.get(run.status, "warn"),
            "step": run.step,
            "active": run.is_active,
            "error_summary": run.error_summary,
            "duration": _duration(run) or "not started",
            "steps_html": render_to_string("runner/_steps.html", {"steps": steps}),
            "log": run.log,
        }
    )


def runs_panel(bucket_request, http_request):
    """The request page's panel: every run of the request, newest first."""
    if not can_view_request_runs(http_request.user, bucket_request):
        return None
    runs = list(bucket_request.runs.all())
    return {
        "title": "Terraform runs",
        "template": "runner/panel_runs.html",
        "context": {
            "runs": [(run, STATUS_BADGE.get(run.status, "warn")) for run in runs],
            "bucket_request": bucket_request,
            **_actions_context(http_request.user, bucket_request),
        },
    }


def queue_plan_summaries(requests) -> dict:
    """The approval queue's plan column: what the plan votes bind to will do (one query for the page)."""
    hashes = {req.pk: req.plan_hash for req in requests if req.plan_hash}
    saved = SavedPlan.objects.filter(request_id__in=hashes, sha256__in=set(hashes.values())).only(
        "request_id", "sha256", "changes"
    )
    summaries = {}
    for plan in saved:
        if hashes.get(plan.request_id) == plan.sha256:
            counts = action_counts(plan.changes)
            summaries[plan.request_id] = (
                ", ".join(f"{count} {action}" for action, count in counts.items()) or "no changes"
            )
    return summaries


def plan_panel(bucket_request, http_request):
    """The plan approvers vote on (or the plan last applied): every address with its action, and
    the full plan. Shown on the request page and the admin's request page, before any vote."""
    if not can_view_request_runs(http_request.user, bucket_request):
        return None
    plan = latest_plan(bucket_request)
    # Why there is nothing to vote on yet matters only while votes are taken: a withdrawn or rejected
    # request keeps the plan status it ended with ("planning"), which no longer means anything.
    waits_for_votes = bucket_request.status == RequestStatus.PENDING_APPROVAL and bucket_request.plan_status
    if plan is None and not waits_for_votes:
        return None
    return {
        "title": "Terraform plan",
        "template": "runner/panel_plan.html",
        "context": {
            "bucket_request": bucket_request,
            "plan": plan,
            "changes": [(change, ACTION_BADGE.get(change["action"], "warn")) for change in plan.changes]
            if plan
            else [],
            "counts": action_counts(plan.changes) if plan else {},
            "votes_bind_here": plan is not None and plan.sha256 == bucket_request.plan_hash,
            "not_ready": plans.not_ready_reason(bucket_request) if waits_for_votes else None,
            "can_plan_again": may_plan_again(http_request.user, bucket_request),
        },
    }
