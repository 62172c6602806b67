"""The runner's API, pages, panel and admin actions (no Terraform: runs stay queued or are set up)."""

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from requests_app.panels import render_context
from runner import dispatch
from runner.models import Run, RunStatus
from tests.runner.factories import approved_request, failed_request, saved_request
from tests.support.common import make_user

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_approver_cancels_a_queued_run_at_once(approver):
    run = Run.objects.get(request=approved_request())

    response = api(approver).post(f"/api/v1/runs/{run.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    run.request.refresh_from_db()
    assert run.request.status == "failed"


def test_cancelling_a_running_run_asks_its_worker(approver):
    run = Run.objects.get(request=approved_request())
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)

    response = api(approver).post(f"/api/v1/runs/{run.pk}/cancel/")

    assert response.status_code == 202
    assert response.json()["cancel_requested"] is True
    assert response.json()["status"] == "running"


def test_cancelling_a_finished_run_is_a_conflict(approver):
    _, run = failed_request()
    response = api(approver).post(f"/api/v1/runs/{run.pk}/cancel/")
    assert response.status_code == 409
    assert "already finished" in response.json()["detail"]


def test_requesters_may_not_cancel_or_retry_and_strangers_see_nothing(requester, approver):
    request, run = failed_request()
    request.submitted_by = requester
    request.save()
    stranger = make_user("sam", "requesters")

    assert api(requester).get(f"/api/v1/runs/{run.pk}/").status_code == 200
    assert api(requester).post(f"/api/v1/runs/{run.pk}/cancel/").status_code == 403
    assert api(requester).post(f"/api/v1/s3-requests/{request.request_id}/retry/").status_code == 403
    assert api(stranger).get(f"/api/v1/runs/{run.pk}/").status_code == 404
    assert APIClient().get(f"/api/v1/runs/{run.pk}/").status_code in (401, 403)


def test_retry_starts_attempt_two_and_only_for_a_failed_request(approver):
    request, _ = failed_request()

    response = api(approver).post(f"/api/v1/s3-requests/{request.request_id}/retry/")

    assert response.status_code == 201
    assert (response.json()["attempt"], response.json()["status"]) == (2, "queued")
    request.refresh_from_db()
    assert request.status == "queued"
    again = api(approver).post(f"/api/v1/s3-requests/{request.request_id}/retry/")
    assert again.status_code == 409
    assert api(approver).post("/api/v1/s3-requests/S3-9999/retry/").status_code == 404


def test_run_page_and_status_show_the_run(client, approver):
    run = Run.objects.get(request=approved_request())
    Run.objects.filter(pk=run.pk).update(
        log="$ terraform init\nInitializing…\n", step="init", status=RunStatus.RUNNING
    )
    client.force_login(approver)

    page = client.get(reverse("runner:run-detail", args=[run.pk]))
    status = client.get(reverse("runner:run-status", args=[run.pk])).json()

    assert page.status_code == 200
    assert b"Initializing" in page.content and b'data-active="true"' in page.content
    assert (status["status"], status["step"], status["active"]) == ("running", "init", True)


def test_the_request_page_panel_lists_the_runs(rf, approver):
    request = approved_request()
    http_request = rf.get("/")
    http_request.user = approver

    panels = render_context("request", request, http_request)

    runs_panel = next(panel for panel in panels if panel["title"] == "Terraform runs")
    assert [run.attempt for run, badge in runs_panel["context"]["runs"]] == [1]


def test_the_admin_retry_action_queues_a_new_run(client, approver):
    request, run = failed_request()
    client.force_login(approver)

    response = client.post(
        reverse("admin:runner_run_changelist"),
        {"action": "retry_requests", "_selected_action": [run.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert list(request.runs.values_list("attempt", "status")) == [(2, "queued"), (1, "failed")]


def test_the_admin_plans_a_request_again_after_its_plan_failed_and_only_then(client, approver):
    request = saved_request()
    with transaction.atomic():
        plan_run = dispatch.queue_plan(request, actor="system")
    dispatch.cancel_run(plan_run, actor=approver)  # the plan run ends without a plan
    client.force_login(approver)
    again = {"action": "plan_requests_again", "_selected_action": [plan_run.pk]}

    client.post(reverse("admin:runner_run_changelist"), again, follow=True)
    response = client.post(reverse("admin:runner_run_changelist"), again, follow=True)

    assert list(request.runs.values_list("kind", "status")) == [("plan", "queued"), ("plan", "cancelled")]
    assert "is pending approval with its plan planning" in response.content.decode()
    request.refresh_from_db()
    assert request.plan_status == "planning"


def test_the_run_page_and_api_show_providers_role_and_state_lock(client, approver):
    run = Run.objects.get(request=approved_request())
    Run.objects.filter(pk=run.pk).update(
        provider_versions={"registry.terraform.io/hashicorp/aws": "5.100.0"},
        aws_role_arn="arn:aws:iam::111111111111:role/bucketwise-dev",
        state_lock_id="5e3d0d4c-0000-4000-8000-000000000001",
        state_lock_path="s3://state/envs/k.tflock",
    )
    client.force_login(approver)

    page = client.get(reverse("runner:run-detail", args=[run.pk])).content.decode()
    body = api(approver).get(f"/api/v1/runs/{run.pk}/").json()

    assert "registry.terraform.io/hashicorp/aws 5.100.0" in page
    assert "arn:aws:iam::111111111111:role/bucketwise-dev" in page and "s3://state/envs/k.tflock" in page
    assert body["provider_versions"] == {"registry.terraform.io/hashicorp/aws": "5.100.0"}
    assert (body["aws_role_arn"], body["state_lock_id"]) == (
        "arn:aws:iam::111111111111:role/bucketwise-dev",
        "5e3d0d4c-0000-4000-8000-000000000001",
    )
