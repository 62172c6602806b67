"""Portal pages of the runner: a run's page with its live log, and the runs panel of a request."""

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from requests_app import plans
from requests_app.models import RequestStatus
from runner.access import can_cancel, can_retry, can_view_request_runs, visible_run
from runner.logbound import OMISSION_MARKER
from runner.models import Run, SavedPlan
from runner.plan_changes import action_counts
from runner.saved_plans import latest_plan

STATUS_BADGE = {"succeeded": "ok", "queued": "warn", "running": "warn", "failed": "bad",
                "cancelled": "bad", "timed_out": "bad", "returned": "warn"}
ACTION_BADGE = {"create": "ok", "import": "ok", "no-op": "ok", "read": "ok", "update": "warn",
                "import-update": "warn", "delete": "bad", "replace": "bad"}


def _visible_run(http_request, pk: int) -> Run:
    run = visible_run(http_request.user, pk)
    if run is None:
        raise Http404("No such run.")
    return run


def run_detail(http_request, pk: int):
    run = _visible_run(http_request, pk)
    return render(http_request, "runner/run_detail.html", {
        "run": run,
        "badge": STATUS_BADGE.get(run.status, "warn"),
        "log_truncated": OMISSION_MARKER in run.log,
        "status_url": reverse("runner:run-status", args=[run.pk]),
        "can_cancel": run.is_active and can_cancel(http_request.user),
    })


def run_status(http_request, pk: int):
    """What the run page polls while the run is active: status, step and the log so far."""
    run = _visible_run(http_request, pk)
    return JsonResponse({
        "id": run.pk, "status": run.status, "step": run.step, "active": run.is_active,
        "error_summary": run.error_summary, "log": run.log,
    })


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
            "can_retry": bucket_request.status == RequestStatus.FAILED and can_retry(http_request.user),
            "bucket_request": bucket_request,
        },
    }


def queue_plan_summaries(requests) -> dict:
    """The approval queue's plan column: what the plan votes bind to will do (one query for the page)."""
    hashes = {req.pk: req.plan_hash for req in requests if req.plan_hash}
    saved = SavedPlan.objects.filter(request_id__in=hashes, sha256__in=set(hashes.values())).only(
        "request_id", "sha256", "changes")
    summaries = {}
    for plan in saved:
        if hashes.get(plan.request_id) == plan.sha256:
            counts = action_counts(plan.changes)
            summaries[plan.request_id] = (", ".join(f"{count} {action}" for action, count in counts.items())
                                          or "no changes")
    return summaries


def plan_panel(bucket_request, http_request):
    """The plan approvers vote on (or the plan last applied): every address with its action, and
    the full plan. Shown on the request page and the admin's request page, before any vote."""
    if not can_view_request_runs(http_request.user, bucket_request):
        return None
    plan = latest_plan(bucket_request)
    if plan is None and not bucket_request.plan_status:
        return None
    return {
        "title": "Terraform plan",
        "template": "runner/panel_plan.html",
        "context": {
            "bucket_request": bucket_request,
            "plan": plan,
            "changes": [(change, ACTION_BADGE.get(change["action"], "warn")) for change in plan.changes] if plan else [],
            "counts": action_counts(plan.changes) if plan else {},
            "votes_bind_here": plan is not None and plan.sha256 == bucket_request.plan_hash,
            "not_ready": plans.not_ready_reason(bucket_request) if bucket_request.plan_status else None,
            "can_plan_again": plans.can_plan_again(bucket_request) and can_retry(http_request.user),
        },
    }
