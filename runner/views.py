"""Portal pages of the runner: a run's page with its live log, and the runs panel of a request."""

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from requests_app.models import RequestStatus
from runner.access import can_cancel, can_retry, can_view_request_runs, visible_run
from runner.logbound import OMISSION_MARKER
from runner.models import Run

STATUS_BADGE = {"succeeded": "ok", "queued": "warn", "running": "warn", "failed": "bad",
                "cancelled": "bad", "timed_out": "bad"}


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
