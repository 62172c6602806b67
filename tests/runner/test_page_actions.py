"""Retry, cancel and plan again as buttons on the run and request pages: offered to those the API allows
(runner.access), refused to everyone else, and a requester of a failed run told whom to ask."""

import pytest
from django.urls import reverse

from requests_app import plans
from requests_app.models import RequestStatus
from runner.models import Run, RunKind, RunStatus
from tests.runner.factories import approved_request, failed_request, saved_request
from tests.support.common import make_user

pytestmark = pytest.mark.django_db


def test_an_approver_retries_a_failed_request_from_its_run_page(client, approver):
    request, run = failed_request()
    client.force_login(approver)
    page = client.get(reverse("runner:run-detail", args=[run.pk])).content.decode()
    assert f"Retry {request.request_id} with a new run" in page and "Cancel run" not in page

    response = client.post(reverse("runner:request-retry", args=[request.request_id]), follow=True)

    new_run = request.runs.get(attempt=2)
    assert response.redirect_chain[-1][0] == reverse("runner:run-detail", args=[new_run.pk])
    assert f"{request.request_id}: a new run is queued." in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.QUEUED
    # A second click (the page was open in two tabs) says why, and queues nothing more.
    again = client.post(reverse("runner:request-retry", args=[request.request_id]), follow=True)
    assert "only a failed request can be retried" in again.content.decode()
    assert request.runs.count() == 2


def test_an_approver_cancels_a_queued_run_from_its_page(client, approver):
    run = Run.objects.get(request=approved_request())
    client.force_login(approver)
    assert f"Cancel run #{run.pk}" in client.get(reverse("runner:run-detail", args=[run.pk])).content.decode()

    response = client.post(reverse("runner:run-cancel", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert f"Cancel requested for run #{run.pk}." in response.content.decode()
    assert "Cancel run" not in response.content.decode()


def test_the_request_page_offers_retry_to_approvers(client, approver):
    request, _ = failed_request()
    client.force_login(approver)
    page = client.get(reverse("requests:detail", args=[request.request_id])).content.decode()
    assert reverse("runner:request-retry", args=[request.request_id]) in page


def test_the_requester_of_a_failed_run_sees_why_and_whom_to_ask_but_no_button(client, requester, approver):
    request, run = failed_request()
    Run.objects.filter(pk=run.pk).update(error_summary="terraform apply failed: AccessDenied")
    request.submitted_by = requester
    request.save()
    make_user("zoe-not-staff", "platform-approvers")  # cannot retry (not staff): not named
    client.force_login(requester)
    run_page, request_page = (
        reverse("runner:run-detail", args=[run.pk]),
        reverse("requests:detail", args=[request.request_id]),
    )
    for url in (run_page, request_page):
        page = client.get(url).content.decode()
        # The full name: a short one could occur by chance inside the CSRF token.
        assert "AccessDenied" in page and "ask alex." in page and "zoe-not-staff" not in page
        assert "Retry " not in page and "/retry/" not in page
    assert client.post(reverse("runner:request-retry", args=[request.request_id])).status_code == 403
    assert client.post(reverse("runner:run-cancel", args=[run.pk])).status_code == 403
    assert request.runs.count() == 1


def test_someone_who_cannot_see_the_request_cannot_act_on_it(client, approver):
    request, run = failed_request()
    stranger = make_user("sam", "requesters")
    client.force_login(stranger)
    assert client.post(reverse("runner:request-retry", args=[request.request_id])).status_code == 404
    assert client.post(reverse("runner:run-cancel", args=[run.pk])).status_code == 404


def test_actions_need_post(client, approver):
    request, run = failed_request()
    client.force_login(approver)
    assert client.get(reverse("runner:request-retry", args=[request.request_id])).status_code == 405
    assert client.get(reverse("runner:run-cancel", args=[run.pk])).status_code == 405
    assert request.runs.count() == 1


def test_an_approver_plans_again_after_a_failed_plan(client, approver):
    request = saved_request()
    plan_run = Run.objects.create(request=request, kind=RunKind.PLAN, attempt=1, status=RunStatus.FAILED)
    plans.plan_failed(request, actor="runner", run_id=plan_run.pk, reason="registry unreachable.")
    client.force_login(approver)
    page = client.get(reverse("requests:detail", args=[request.request_id])).content.decode()
    assert "Plan again</button>" in page
    client.post(reverse("runner:request-plan", args=[request.request_id]))
    request.refresh_from_db()
    assert request.plan_status == "planning" and request.runs.filter(kind=RunKind.PLAN).count() == 2


def test_the_live_status_gives_the_display_label(client, approver):
    run = Run.objects.get(request=approved_request())
    client.force_login(approver)
    status = client.get(reverse("runner:run-status", args=[run.pk])).json()
    assert (status["status"], status["status_label"], status["badge"]) == ("queued", "Queued", "warn")


def test_the_plan_panel_holds_no_form_since_the_admin_shows_it_inside_its_own(rf, approver):
    """A <form> inside the admin's decide form would end that form early (its Approve button then
    submits nothing): the panel's actions live with the runs panel, which no form encloses."""
    from requests_app.panels import PLAN, rendered

    request = saved_request()
    plan_run = Run.objects.create(request=request, kind=RunKind.PLAN, attempt=1, status=RunStatus.FAILED)
    plans.plan_failed(request, actor="runner", run_id=plan_run.pk, reason="registry unreachable.")
    http_request = rf.get("/")
    http_request.user = approver
    html = "".join(panel["html"] for panel in rendered(PLAN, request, http_request))
    assert "Plan again" in html and "<form" not in html
