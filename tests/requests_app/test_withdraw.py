"""A requester withdraws their own pending request (requests_app.withdrawal): the service, the API edge and
the page, and the tries to break each rule: other people, look-alike spellings, service accounts, Backstage
proving someone else, the wrong state, bad reasons and bodies; the plan run is not applied, the name is free."""

import json

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import reverse

from core import roles
from core.backstage_identity import USER_TOKEN_HEADER
from core.models import AuditEntry, ServiceAccount
from requests_app import approvals, status_machine
from requests_app.models import BucketRequest, PlanStatus, RequestStatus
from requests_app.submission import submit_request
from requests_app.withdrawal import WithdrawRefused, may_withdraw, withdraw_request
from runner import execution, outcomes
from runner.models import Run, RunKind, RunStatus, SavedPlan
from tests.support.common import make_user, run_at_once
from tests.support.requests import APPROVED_STATES, plan_made, prod_input, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_throttle_counts_left(db):
    """Token ids repeat in the next test's database and the throttle counts them in the shared cache (a
    file that outlives this run): the many token calls here leave no count for the next tests."""
    yield
    from django.core.cache import cache

    from core.api.throttling import TokenRateThrottle
    from core.models import ApiToken

    throttle = TokenRateThrottle()
    cache.delete_many(
        [
            throttle.cache_format % {"scope": throttle.scope, "ident": pk}
            for pk in ApiToken.objects.values_list("pk", flat=True)
        ]
    )


def withdraw_url(request) -> str:
    return f"/api/v1/s3-requests/{request.request_id}/withdraw/"


def status_of(request) -> str:
    return BucketRequest.objects.get(pk=request.pk).status


def withdrawals(request):
    return AuditEntry.objects.filter(request_id=request.request_id, action="request.withdraw")


@pytest.fixture
def pending(team_member):
    """rita's prod request, waiting for approval, its plan run queued."""
    return submit_request(prod_input(), team_member).request


@pytest.fixture
def teammate(teams):
    """tom, a requester in rita's team: he sees her request, it is not his."""
    tom = make_user("tom", roles.REQUESTERS)
    teams["app-team"].members.add(tom)
    return tom


def session(user):
    client = Client()
    client.force_login(user)
    return client


def api_post(client, request, body=None, **kwargs):
    data = json.dumps(body) if body is not None and not isinstance(body, str | bytes) else body
    return client.post(withdraw_url(request), data=data, content_type="application/json", **kwargs)


# --- the service -----------------------------------------------------------------------------------------


def test_the_requester_withdraws_her_pending_request_with_a_reason(pending, team_member):
    returned = withdraw_request(pending, team_member, reason="  budget moved to next quarter \n")

    assert returned.status == pending.status == status_of(pending) == RequestStatus.CANCELLED
    [entry] = withdrawals(pending)
    assert entry.actor == "rita"
    assert entry.detail == {
        "from": RequestStatus.PENDING_APPROVAL,
        "to": RequestStatus.CANCELLED,
        "reason": "budget moved to next quarter",
        "withdrawn_by": "rita",
    }


def test_a_reason_is_optional(pending, team_member):
    withdraw_request(pending, team_member)
    assert status_of(pending) == RequestStatus.CANCELLED
    assert withdrawals(pending).get().detail["reason"] == ""


def refused(request, user, **kwargs) -> WithdrawRefused:
    with pytest.raises(WithdrawRefused) as raised:
        withdraw_request(request, user, **kwargs)
    assert status_of(request) == RequestStatus.PENDING_APPROVAL
    assert not withdrawals(request).exists()
    return raised.value


def test_another_requester_of_the_team_cannot_withdraw_it(pending, teammate):
    refusal = refused(pending, teammate)
    assert refusal.code == WithdrawRefused.NOT_REQUESTER
    assert refusal.message == f"Only the requester of {pending.request_id} (rita) can withdraw it."


def test_a_platform_approver_does_not_withdraw_others_requests(pending, approver):
    """Approvers reject; even one who may also file requests cannot take back someone else's."""
    approver.groups.add(Group.objects.get(name=roles.REQUESTERS))
    approver = type(approver).objects.get(pk=approver.pk)  # permissions read afresh
    assert refused(pending, approver).code == WithdrawRefused.NOT_REQUESTER


def test_the_account_that_submitted_it_for_her_cannot(team_member, service_account):
    """A service account filed it naming rita: it acts in its own name, which is nobody's."""
    request = submit_request(prod_input(), service_account).request
    assert refused(request, service_account).code == WithdrawRefused.NOT_REQUESTER
    # A service account named like the requester is still not the person.
    request.requester = "svc-backstage"
    request.save()
    assert refused(request, service_account).code == WithdrawRefused.NOT_REQUESTER


def test_a_requester_identity_is_only_taken_from_a_backstage_caller(pending, teammate, service_account):
    """Only the edge that proved a Backstage user passes it; from anyone else it names nobody."""
    assert refused(pending, teammate, requester_identity="rita").code == WithdrawRefused.NOT_REQUESTER
    assert refused(pending, service_account, requester_identity="rita").code == WithdrawRefused.NOT_REQUESTER


@pytest.mark.parametrize(
    "stored",
    ["Rita ", "RITA", "rita\n", "\uff52\uff49\uff54\uff41"],  # the last: fullwidth ｒｉｔａ, NFKC rita
)
def test_the_same_person_spelled_otherwise_on_the_request_withdraws_it(pending, team_member, stored):
    """An adopted import names its requester as its file spells it: still rita (core.identity)."""
    BucketRequest.objects.filter(pk=pending.pk).update(requester=stored)
    pending.refresh_from_db()
    assert may_withdraw(pending, team_member)
    withdraw_request(pending, team_member)
    assert status_of(pending) == RequestStatus.CANCELLED


def test_a_second_account_of_the_same_person_withdraws_it(pending, teams):
    """RITA is rita (one person, every account and credential); Django keeps fullwidth names NFKC, so
    "ｒｉｔａ" cannot be another account."""
    twin = make_user("RITA", roles.REQUESTERS)
    withdraw_request(pending, twin)
    assert withdrawals(pending).get().actor == "RITA"


def test_a_look_alike_in_another_script_is_another_person(pending, teams):
    lookalike = make_user("rit\u0430", roles.REQUESTERS)  # Cyrillic а
    teams["app-team"].members.add(lookalike)
    assert refused(pending, lookalike).code == WithdrawRefused.NOT_REQUESTER


def test_withdrawing_twice_is_a_conflict(pending, team_member):
    withdraw_request(pending, team_member)
    with pytest.raises(WithdrawRefused) as again:
        withdraw_request(pending, team_member)
    assert again.value.code == WithdrawRefused.NOT_PENDING
    assert again.value.message == (
        f"{pending.request_id} is cancelled; only a request waiting for approval can be withdrawn."
    )
    assert withdrawals(pending).count() == 1


def test_an_approved_request_is_not_withdrawn(pending, team_member, approver):
    plan_made(pending)
    pending.refresh_from_db()
    approvals.decide(pending, approver, "approve", "fine", contract_hash=pending.contract_hash)
    status = status_of(pending)
    assert status in APPROVED_STATES
    with pytest.raises(WithdrawRefused) as refusal:
        withdraw_request(pending, team_member)
    assert refusal.value.code == WithdrawRefused.NOT_PENDING
    assert refusal.value.message == (
        f"{pending.request_id} is {status}; only a request waiting for approval can be withdrawn."
    )
    assert status_of(pending) == status and not withdrawals(pending).exists()


def test_a_stranger_is_refused_as_not_the_requester_before_the_state_is_told(pending, team_member, teammate):
    """Who comes before what: someone else learns nothing about the request's state from the refusal."""
    withdraw_request(pending, team_member)
    with pytest.raises(WithdrawRefused) as refusal:
        withdraw_request(pending, teammate)
    assert refusal.value.code == WithdrawRefused.NOT_REQUESTER


@pytest.mark.parametrize("reason", ["x" * 1001, "no\x00nul", "lone \ud800 surrogate", 42, ["a"], {"a": 1}])
def test_a_bad_reason_is_refused_and_nothing_changes(pending, team_member, reason):
    assert refused(pending, team_member, reason=reason).code == WithdrawRefused.REASON_INVALID


def test_a_reason_of_1000_characters_is_kept_whole(pending, team_member):
    withdraw_request(pending, team_member, reason="y" * 1000 + "   ")
    assert withdrawals(pending).get().detail["reason"] == "y" * 1000


# --- what it releases and what the runner does -------------------------------------------------------------


def test_the_bucket_name_can_be_filed_again(pending, team_member):
    withdraw_request(pending, team_member)
    again = submit_request(prod_input(), team_member).request
    assert again.request_id != pending.request_id and again.bucket_name == pending.bucket_name
    assert again.status == RequestStatus.PENDING_APPROVAL


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_queued_plan_run_ends_cancelled_when_claimed_and_nothing_is_applied(team_member):
    """execute_run in this process, as a worker would (it ends before Terraform: no stack needed)."""
    request = submit_request(prod_input(), team_member).request
    plan_run = Run.objects.get(request=request, kind=RunKind.PLAN)
    withdraw_request(request, team_member, reason="not needed")

    assert execution.execute_run(plan_run.pk) == RunStatus.CANCELLED

    plan_run.refresh_from_db()
    assert plan_run.error_summary == (
        f"Not run: {request.request_id} is cancelled and no longer waits for a plan."
    )
    assert plan_run.started_at is None
    assert status_of(request) == RequestStatus.CANCELLED
    assert not Run.objects.filter(request=request, kind=RunKind.APPLY).exists()
    assert not AuditEntry.objects.filter(request_id=request.request_id, action="run.started").exists()


def test_a_running_plan_runs_result_is_ignored(pending, team_member):
    """The plan run was running when she withdrew: its plan is kept, the request stays cancelled and
    waits for no vote; no apply run is created."""
    plan_run = Run.objects.get(request=pending, kind=RunKind.PLAN)
    Run.objects.filter(pk=plan_run.pk).update(status=RunStatus.RUNNING)
    withdraw_request(pending, team_member)

    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("request").get(pk=plan_run.pk)
        plan = SavedPlan.objects.create(
            run=run,
            request=pending,
            sha256="a" * 64,
            contract_hash=pending.contract_hash,
            plan_file=b"plan",
            show_json={},
            changes=[],
            rendered="",
        )
        outcomes.planned(run, plan, actor="runner", log="")

    pending.refresh_from_db()
    assert pending.status == RequestStatus.CANCELLED
    assert pending.plan_hash != "a" * 64 and pending.plan_status != PlanStatus.READY
    assert not Run.objects.filter(request=pending, kind=RunKind.APPLY).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_withdrawal_and_an_approval_at_once_settle_the_request_once(team_member, approver):
    """Both lock the request row: one wins, the other finds it no longer pending."""
    request = submit_request(prod_input(), team_member).request
    plan_made(request)
    request.refresh_from_db()
    attempts = [
        lambda: withdraw_request(request, team_member),
        lambda: approvals.decide(request, approver, "approve", "ok", contract_hash=request.contract_hash),
    ]
    results = run_at_once(lambda i: attempts[i](), 2)

    losers = [r for r in results if isinstance(r, Exception)]
    assert len(losers) == 1 and losers[0].code == "not-pending", results
    settled = AuditEntry.objects.filter(
        request_id=request.request_id, action__in=["request.withdraw", "request.approve"]
    )
    assert settled.count() == 1
    withdrawn = settled.get().action == "request.withdraw"
    assert (status_of(request) == RequestStatus.CANCELLED) == withdrawn
    assert Run.objects.filter(request=request, kind=RunKind.APPLY).exists() != withdrawn


# --- the API -------------------------------------------------------------------------------------------------


def test_the_requester_withdraws_through_the_api_with_her_session(pending, team_member, api):
    api.force_authenticate(team_member)
    response = api.post(withdraw_url(pending), {"reason": "duplicate"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == pending.request_id and body["status"] == "cancelled"
    assert withdrawals(pending).get().detail["reason"] == "duplicate"


def test_the_requester_withdraws_with_her_submit_token_and_no_body(pending, team_member):
    response = token_client(team_member, "submit").post(withdraw_url(pending))
    assert response.status_code == 200, response.content
    assert status_of(pending) == RequestStatus.CANCELLED


def test_her_read_token_cannot_withdraw(pending, team_member):
    response = token_client(team_member, "read").post(withdraw_url(pending))
    assert response.status_code == 403
    assert status_of(pending) == RequestStatus.PENDING_APPROVAL


def test_api_refusals_carry_their_code_and_status(pending, team_member, teammate):
    tom = token_client(teammate, "submit")
    assert_api_refused(api_post(tom, pending, {}), 403, "not-requester", pending)
    rita = token_client(team_member, "submit")
    assert_api_refused(api_post(rita, pending, {"reason": "x" * 1001}), 400, "reason-invalid", pending)
    assert_api_refused(api_post(rita, pending, {"reason": "a\x00b"}), 400, "reason-invalid", pending)
    assert api_post(rita, pending, {}).status_code == 200
    response = api_post(rita, pending, {})
    assert response.status_code == 409 and response.json()["code"] == "not-pending"
    assert "only a request waiting for approval can be withdrawn" in response.json()["detail"]


def assert_api_refused(response, status: int, code: str, request):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert status_of(request) == RequestStatus.PENDING_APPROVAL and not withdrawals(request).exists()


def test_a_request_she_cannot_see_is_not_found(pending):
    stranger = make_user("sam", roles.REQUESTERS)
    response = token_client(stranger, "submit").post(withdraw_url(pending))
    assert response.status_code == 404
    assert token_client(stranger, "submit").post("/api/v1/s3-requests/S3-9999/withdraw/").status_code == 404


def test_a_platform_approver_is_refused_by_the_api(pending, approver):
    for client in (token_client(approver, "approve"), token_client(approver, "submit")):
        assert client.post(withdraw_url(pending)).status_code == 403
    client = Client()
    client.force_login(approver)
    assert api_post(client, pending, {}).status_code == 403
    assert status_of(pending) == RequestStatus.PENDING_APPROVAL


def test_a_service_account_token_naming_nobody_is_refused(team_member, service_account):
    request = submit_request(prod_input(), service_account).request  # it sees what it filed
    response = api_post(token_client(service_account, "read", "submit"), request, {"reason": "for rita"})
    assert_api_refused(response, 403, "not-requester", request)


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '["reason"]',
        "42",
        '"a reason"',
        "null",
        "{not json",
        '{"reason": ' + "[" * 5000 + "]" * 5000 + "}",
        "[" * 5000 + "]" * 5000,
        '{"reason": {"a": 1}}',
        '{"reason": 3.5}',
    ],
)
def test_a_body_that_is_not_an_object_with_text_is_a_400_not_a_500(pending, team_member, body):
    response = api_post(token_client(team_member, "submit"), pending, body)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert status_of(pending) == RequestStatus.PENDING_APPROVAL and not withdrawals(pending).exists()


def test_a_not_an_object_body_says_what_to_send(pending, team_member):
    response = api_post(token_client(team_member, "submit"), pending, "[]")
    assert response.json() == {
        "detail": 'The body must be a JSON object, {"reason": "..."} or {}.',
        "code": "not-an-object",
    }


class TestBackstage:
    """The Backstage proxy's token acts for the person its user token proves, no one else."""

    @pytest.fixture
    def backstage_caller(self, service_account):
        ServiceAccount.objects.filter(user=service_account).update(backstage_caller=True)
        return token_client(service_account, "submit")

    @pytest.fixture
    def filed_through_backstage(self, team_member, service_account):
        return submit_request(prod_input(), service_account).request  # names rita, submitted by Backstage

    def post(self, client, request, user_token=None):
        headers = {USER_TOKEN_HEADER: user_token} if user_token else {}
        return api_post(client, request, {"reason": "via Backstage"}, headers=headers)

    def test_the_proven_requester_withdraws(self, backstage_caller, fake_backstage, filed_through_backstage):
        response = self.post(backstage_caller, filed_through_backstage, fake_backstage.user_token())
        assert response.status_code == 200, response.content
        entry = withdrawals(filed_through_backstage).get()
        assert (entry.actor, entry.detail["withdrawn_by"]) == ("svc-backstage", "rita")

    def test_a_backstage_user_proving_a_teammate_is_refused(
        self, backstage_caller, fake_backstage, filed_through_backstage, teams
    ):
        teams["app-team"].members.add(make_user("alex", roles.REQUESTERS))
        token = fake_backstage.user_token("user:default/alex")
        response = self.post(backstage_caller, filed_through_backstage, token)
        assert_api_refused(response, 403, "not-requester", filed_through_backstage)

    def test_a_backstage_user_who_cannot_see_it_is_not_told_it_exists(
        self, backstage_caller, fake_backstage, filed_through_backstage
    ):
        """The lookup is the proven person's view (requests_app.visibility), not every request Backstage filed."""
        make_user("mallory", roles.REQUESTERS)
        response = self.post(
            backstage_caller, filed_through_backstage, fake_backstage.user_token("user:default/mallory")
        )
        assert response.status_code == 404
        assert status_of(filed_through_backstage) == RequestStatus.PENDING_APPROVAL

    def test_without_a_user_token_it_is_unauthenticated(
        self, backstage_caller, fake_backstage, filed_through_backstage
    ):
        response = self.post(backstage_caller, filed_through_backstage)
        assert response.status_code == 401
        assert status_of(filed_through_backstage) == RequestStatus.PENDING_APPROVAL

    def test_a_bad_body_from_an_unproven_caller_is_still_unauthenticated(
        self, backstage_caller, fake_backstage, filed_through_backstage
    ):
        assert api_post(backstage_caller, filed_through_backstage, "[]").status_code == 401


# --- the page ------------------------------------------------------------------------------------------------


def detail_page(client, request) -> str:
    return client.get(reverse("requests:detail", args=[request.request_id])).content.decode()


def page_withdraw_url(request) -> str:
    return reverse("requests:withdraw", args=[request.request_id])


def test_the_page_offers_the_form_only_to_the_requester_while_pending(
    pending, team_member, teammate, approver, auditor
):
    assert page_withdraw_url(pending) in detail_page(session(team_member), pending)
    for other in (teammate, approver, auditor):
        page = detail_page(session(other), pending)
        assert "Withdraw this request" not in page and page_withdraw_url(pending) not in page
    BucketRequest.objects.filter(pk=pending.pk).update(status=RequestStatus.REJECTED)
    assert page_withdraw_url(pending) not in detail_page(session(team_member), pending)


def test_a_service_account_signed_in_is_never_offered_the_form(team_member, service_account):
    request = submit_request(prod_input(), service_account).request
    assert page_withdraw_url(request) not in detail_page(session(service_account), request)
    request.requester = "svc-backstage"  # as an adopted file could name it
    request.save()
    assert page_withdraw_url(request) not in detail_page(session(service_account), request)


def test_the_requester_withdraws_from_the_page(pending, team_member):
    client = session(team_member)
    response = client.post(page_withdraw_url(pending), {"reason": "wrong region"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("requests:detail", args=[pending.request_id])
    page = response.content.decode()
    assert f"{pending.request_id} withdrawn." in page
    assert "request.withdraw" in page and "“wrong region”" in page  # the timeline
    assert "Withdraw this request" not in page
    assert status_of(pending) == RequestStatus.CANCELLED

    again = client.post(page_withdraw_url(pending), follow=True).content.decode()
    assert (
        f"{pending.request_id} is cancelled; only a request waiting for approval can be withdrawn." in again
    )
    assert withdrawals(pending).count() == 1


def test_the_page_of_a_request_withdrawn_while_planning_does_not_say_it_is_planning(pending, team_member):
    """The request keeps its plan status ("planning"); the plan panel speaks only while votes are taken."""
    withdraw_request(pending, team_member, reason="")
    assert BucketRequest.objects.get(pk=pending.pk).plan_status == PlanStatus.PLANNING
    page = detail_page(session(team_member), pending)
    assert "Terraform is still planning" not in page
    assert f"plan-not-ready-{pending.request_id}" not in page


def test_a_bad_reason_on_the_page_is_said_and_nothing_changes(pending, team_member):
    response = session(team_member).post(page_withdraw_url(pending), {"reason": "z" * 1001}, follow=True)
    assert "The reason may be at most 1,000 characters" in response.content.decode()
    assert status_of(pending) == RequestStatus.PENDING_APPROVAL


def test_someone_else_posting_is_refused(pending, teammate, approver):
    assert session(teammate).post(page_withdraw_url(pending)).status_code == 403
    assert session(approver).post(page_withdraw_url(pending)).status_code == 403
    stranger = make_user("sam", roles.REQUESTERS)
    assert session(stranger).post(page_withdraw_url(pending)).status_code == 404
    assert status_of(pending) == RequestStatus.PENDING_APPROVAL


def test_the_page_edge_needs_post_and_the_csrf_token(pending, team_member):
    assert session(team_member).get(page_withdraw_url(pending)).status_code == 405
    client = Client(enforce_csrf_checks=True)
    client.force_login(team_member)
    assert client.post(page_withdraw_url(pending)).status_code == 403
    assert status_of(pending) == RequestStatus.PENDING_APPROVAL


def test_the_transition_is_only_from_pending_approval():
    sources, target = status_machine.TRANSITIONS["withdraw"]
    assert (sources, target) == (frozenset({RequestStatus.PENDING_APPROVAL}), RequestStatus.CANCELLED)
