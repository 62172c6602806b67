"""The admin: pending first, approve/reject actions that ask for a comment, read-only audit, tokens."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import ApiToken, AuditEntry
from core.tokens import issue_token
from requests_app.models import BucketRequest, RequestStatus
from requests_app.submission import submit_request
from tests.support.query_counts import assert_pinned, queries_for
from tests.support.requests import APPROVED_STATES, plan_made, prod_input, rita_input

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:requests_app_bucketrequest_changelist")


@pytest.fixture
def two_requests(team_member):
    submit_request(prod_input(), team_member)  # S3-0001, pending
    submit_request(rita_input(), team_member)  # S3-0002, approved by the system
    return BucketRequest.objects.order_by("number")


def test_pending_requests_are_listed_first(client, approver, two_requests):
    client.force_login(approver)
    response = client.get(CHANGELIST)
    ids = [row.request_id for row in response.context["cl"].result_list]
    assert ids == ["S3-0001", "S3-0002"]


def test_the_approve_action_asks_for_a_comment_then_votes(client, approver, two_requests):
    client.force_login(approver)
    pending = two_requests[0]
    plan_made(pending)
    pending.refresh_from_db()
    ask = client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [pending.pk]})
    assert ask.status_code == 200 and b"comment" in ask.content
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING_APPROVAL
    client.post(
        CHANGELIST,
        {
            "action": "approve_selected",
            "_selected_action": [pending.pk],
            "apply": "1",
            f"hash-{pending.pk}": pending.contract_hash,
            f"plan-{pending.pk}": pending.plan_hash,
            "comment": "Reviewed in the admin",
        },
    )
    pending.refresh_from_db()
    assert pending.status in APPROVED_STATES
    assert pending.approvals.get().comment == "Reviewed in the admin"


def test_the_admin_action_refuses_what_the_rules_refuse(client, approver, two_requests):
    client.force_login(approver)
    approved = two_requests[1]
    response = client.post(
        CHANGELIST,
        {"action": "reject_selected", "_selected_action": [approved.pk], "apply": "1", "comment": "too late"},
        follow=True,
    )
    assert "not pending approval" in response.content.decode()
    assert not approved.approvals.exists()


def test_the_change_page_shows_contract_reasons_and_guardrails(client, approver, two_requests):
    client.force_login(approver)
    page = client.get(
        reverse("admin:requests_app_bucketrequest_change", args=[two_requests[0].pk])
    ).content.decode()
    assert "apiVersion: goldenpath.io/v1" in page
    assert "prod buckets need platform approval." in page
    assert "spec.encryption.type" in page


def test_audit_entries_are_read_only_in_the_admin(admin_client, two_requests):
    entry = AuditEntry.objects.first()
    assert admin_client.get(reverse("admin:core_auditentry_change", args=[entry.pk])).status_code == 200
    admin_client.post(reverse("admin:core_auditentry_change", args=[entry.pk]), {"actor": "mallory"})
    assert AuditEntry.objects.get(pk=entry.pk).actor == entry.actor
    assert admin_client.get(reverse("admin:core_auditentry_delete", args=[entry.pk])).status_code == 403
    assert admin_client.get(reverse("admin:core_auditentry_add")).status_code == 403


def test_a_token_created_in_the_admin_is_shown_once_and_stored_hashed(admin_client, service_account):
    response = admin_client.post(
        reverse("admin:core_apitoken_add"),
        {
            "user": service_account.pk,
            "name": "backstage",
            "scopes": ["read", "submit"],
            "expires_at_0": (timezone.now() + timedelta(days=30)).date().isoformat(),
            "expires_at_1": "00:00:00",
        },
        follow=True,
    )
    token = ApiToken.objects.get()
    message = [str(m) for m in response.context["messages"]][0]
    text = message.split("<code>")[1].split("</code>")[0]
    assert text.startswith(f"bw_{token.prefix}_") and token.scopes == ["read", "submit"]
    assert text not in token.secret_hash
    listing = admin_client.get(reverse("admin:core_apitoken_change", args=[token.pk])).content.decode()
    assert text not in listing
    issued = AuditEntry.objects.get(action="token.issued")
    assert (
        issued.actor == "admin" and issued.detail["prefix"] == token.prefix and text not in str(issued.detail)
    )


def test_revoking_a_token_in_the_admin_is_audited_once(admin_client, service_account):
    token = issue_token(service_account, "ci", ["read"]).token
    change_url = reverse("admin:core_apitoken_change", args=[token.pk])
    admin_client.post(change_url, {"revoked": "on"})
    admin_client.post(change_url, {"revoked": "on"})  # saved again, nothing changed
    token.refresh_from_db()
    assert token.revoked
    assert list(AuditEntry.objects.filter(action__startswith="token.").values_list("action", flat=True)) == [
        "token.issued",
        "token.revoked",
    ]


def test_a_request_cannot_be_saved_from_the_admin_even_by_a_superuser(
    client, two_requests, django_user_model
):
    superuser = django_user_model.objects.create_superuser("root", password="pw-root")
    client.force_login(superuser)
    pending = two_requests[0]
    change_url = reverse("admin:requests_app_bucketrequest_change", args=[pending.pk])
    assert b'name="_save"' not in client.get(change_url).content
    assert client.post(change_url, {"status": RequestStatus.APPROVED}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING_APPROVAL


# --- pinned query counts of the changelists ---------------------------------------------


def fill(submitted_by, count: int, start: int = 0):
    from requests_app import catalog

    for number in range(start, start + count):
        request = submit_request(prod_input(application=f"app-{number:03d}"), submitted_by).request
        catalog.mark_provisioning(request, actor="runner")


@pytest.mark.parametrize(
    "model", ["requests_app_bucketrequest", "requests_app_catalogentry", "core_auditentry"]
)
def test_admin_changelists_make_their_pinned_number_of_queries_with_5_and_50_rows(
    client, approver, team_member, settings, model
):
    url = reverse(f"admin:{model}_changelist")
    client.force_login(approver)
    fill(team_member, 5)
    few = queries_for(client, url)
    fill(team_member, 45, start=5)
    assert_pinned(__file__, f"admin {model}", {5: few, 50: queries_for(client, url)})
