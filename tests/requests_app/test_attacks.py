"""An attacker's tries at today's guarantees through the paths the rule tests do not take: the request
page's vote form, the admin's bulk action, look-alike accounts of one person, and bad input on the
new POST edges. Each test tries to break one guarantee and asserts it held."""

import pytest
from django.test import Client
from django.urls import reverse

from core import roles
from requests_app.models import Approval, RequestStatus
from requests_app.submission import submit_request
from runner.models import Run, RunKind
from tests.support.common import make_user
from tests.support.requests import plan_made, prod_input

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:requests_app_bucketrequest_changelist")


@pytest.fixture
def pending(team_member):
    request = submit_request(prod_input(), team_member).request
    plan_made(request)
    request.refresh_from_db()
    return request


def _vote(client, request, decision="approve", **overrides):
    return client.post(
        reverse("requests:decide", args=[request.request_id]),
        {
            "decision": decision,
            "comment": "looks fine",
            "contract_hash": request.contract_hash,
            "plan_hash": request.plan_hash,
            **overrides,
        },
    )


@pytest.mark.parametrize("spelling", ["RITA", "Rita"])
def test_an_approver_account_spelling_the_requester_otherwise_cannot_approve_on_the_page(
    client, pending, spelling
):
    """rita's second account in another case is rita: no self-approval on the page (Django stores user
    names NFKC-normalised, so fullwidth letters cannot make a second account)."""
    twin = make_user(spelling, roles.PLATFORM_APPROVERS, is_staff=True)
    client.force_login(twin)
    response = _vote(client, pending)
    assert response.status_code == 400
    assert "cannot decide on their own request" in response.content.decode()
    assert not Approval.objects.exists()


def test_one_person_with_two_approver_accounts_votes_once_across_page_and_admin(
    client, team_member, settings
):
    """alex approves on the page, then as ALEX in the admin's bulk action: one vote, quorum of 2 not met."""
    settings.APPROVALS_REQUIRED = {**settings.APPROVALS_REQUIRED, "prod": 2}
    request = submit_request(prod_input(), team_member).request
    plan_made(request)
    request.refresh_from_db()
    alex = make_user("alex", roles.PLATFORM_APPROVERS, is_staff=True)
    upper = make_user("ALEX", roles.PLATFORM_APPROVERS, is_staff=True)
    client.force_login(alex)
    assert _vote(client, request).status_code == 302
    client.force_login(upper)
    response = client.post(
        CHANGELIST,
        {
            "action": "approve_selected",
            "_selected_action": [request.pk],
            "apply": "1",
            f"hash-{request.pk}": request.contract_hash,
            f"plan-{request.pk}": request.plan_hash,
            "comment": "again",
        },
        follow=True,
    )
    assert "already voted" in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING_APPROVAL
    assert request.approvals.count() == 1


def test_the_page_vote_on_a_plan_replaced_since_the_page_was_opened_is_refused(client, pending, approver):
    """The approver saw plan 1; another approver planned again (plan 2): the form's vote does not count."""
    seen_plan = pending.plan_hash
    client.force_login(approver)
    assert client.post(reverse("runner:request-plan", args=[pending.request_id])).status_code == 302
    plan_made(pending, "second")
    response = _vote(client, pending, plan_hash=seen_plan)
    assert response.status_code == 400 and "plan of" in response.content.decode()
    assert not Approval.objects.exists()


def test_a_vote_while_the_plan_is_being_made_again_is_refused_on_the_page(client, pending, approver):
    client.force_login(approver)
    client.post(reverse("runner:request-plan", args=[pending.request_id]))
    assert Run.objects.filter(request=pending, kind=RunKind.PLAN).count() == 2
    response = _vote(client, pending, plan_hash="")
    assert response.status_code == 400 and "still planning" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING_APPROVAL


@pytest.mark.parametrize("who", ["requester", "staff_without_permission", "auditor"])
def test_who_may_not_decide_cannot_vote_retry_or_plan_on_the_pages(
    client, pending, who, auditor, team_member
):
    user = {
        "requester": team_member,
        "auditor": auditor,
        "staff_without_permission": make_user("stan", roles.REQUESTERS, is_staff=True),
    }[who]
    client.force_login(user)
    assert _vote(client, pending).status_code in (403, 404)
    assert client.post(reverse("runner:request-plan", args=[pending.request_id])).status_code in (403, 404)
    assert client.post(reverse("runner:request-retry", args=[pending.request_id])).status_code in (403, 404)
    assert not Approval.objects.exists()
    assert Run.objects.filter(request=pending).count() == 1


def test_the_page_edges_need_the_csrf_token(pending, approver):
    client = Client(enforce_csrf_checks=True)
    client.force_login(approver)
    assert _vote(client, pending).status_code == 403
    assert client.post(reverse("runner:request-plan", args=[pending.request_id])).status_code == 403
    run = Run.objects.get(request=pending)
    assert client.post(reverse("runner:run-cancel", args=[run.pk])).status_code == 403
    assert not Approval.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"decision": "approve\n"},
        {"decision": "APPROVE"},
        {"decision": ""},
        {"comment": "x" * 200_000},
        {"comment": "\u00e9\u4e2d\U0001f600 fine"},
        {"comment": "   "},
        {"plan_hash": "a" * 100_000},
        {"contract_hash": "\u0661" * 64},
        {"next": "//evil.example/"},
        {"next": "https://evil.example/"},
    ],
)
def test_odd_vote_forms_get_an_answer_not_a_500(client, pending, approver, fields):
    client.force_login(approver)
    response = _vote(client, pending, **fields)
    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        assert not response["Location"].startswith(("//", "http"))


@pytest.mark.parametrize("pk", ["9" * 30, "0", "2147483648"])
def test_run_pages_answer_404_for_any_number(client, approver, pk):
    client.force_login(approver)
    for url in (f"/runs/{pk}/", f"/runs/{pk}/status/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/runs/{pk}/cancel/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '"approve"',
        '{"comment": {"a": [1]}}',
        '{"comment": 5}',
        '{"comment": "ok", "planHash": ["x"]}',
        "[" * 50_000,
    ],
)
def test_the_decision_api_answers_odd_bodies_without_a_500(pending, approver, body):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(approver)
    response = api.post(
        f"/api/v1/s3-requests/{pending.request_id}/approve/", body, content_type="application/json"
    )
    assert response.status_code in (200, 400, 409), response.content[:300]


@pytest.mark.parametrize(
    "query",
    [
        "?page=99999999999999999999999",
        "?page=-1",
        "?q=" + "x" * 20_000,
        "?status=%F0%9F%98%80",
        "?owner=%E2%80%AE",
        "?environment=prod%0A",
        "?action=..%2F&request_id=S3-%D9%A0%D9%A1",
        "?q=%25%5C_%27%22",
    ],
)
def test_list_pages_and_apis_answer_odd_filters_without_a_500(client, pending, approver, auditor, query):
    client.force_login(approver)
    for path in (
        "/requests/",
        "/catalog/",
        "/requests/waiting/",
        "/api/v1/s3-requests/",
        "/api/v1/catalog/buckets/",
    ):
        assert client.get(path + query).status_code in (200, 404), path + query
    client.force_login(auditor)
    for path in ("/audit/", "/api/v1/audit/"):
        assert client.get(path + query).status_code in (200, 404), path + query


@pytest.mark.parametrize(
    "blind", [{"plan_hash": ""}, {"contract_hash": ""}, {"contract_hash": "", "plan_hash": ""}]
)
def test_a_page_vote_that_names_no_plan_approves_nothing(client, pending, approver, blind):
    """A tampered form without the hidden hashes would approve whatever plan is current, seen or not."""
    client.force_login(approver)
    response = _vote(client, pending, **blind)
    assert response.status_code == 400 and "the plan you reviewed" in response.content.decode()
    assert not Approval.objects.exists()


def test_an_admin_bulk_approval_without_the_shown_hashes_approves_nothing(client, pending, approver):
    client.force_login(approver)
    response = client.post(
        CHANGELIST,
        {
            "action": "approve_selected",
            "_selected_action": [pending.pk],
            "apply": "1",
            "comment": "bulk, unseen",
        },
        follow=True,
    )
    assert "the plan you reviewed" in response.content.decode()
    assert not Approval.objects.exists()
