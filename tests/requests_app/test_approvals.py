"""Every approval rule, through requests_app.approvals (the admin and the API both call it)."""

import pytest

from core import audit, roles
from core.audit_verify import verify_chain
from core.models import AuditEntry, ServiceAccount
from requests_app.approvals import DecisionRefused, decide, guardrails_applied
from requests_app.models import Approval, BucketRequest, RequestStatus
from requests_app.request_rows import canonical_hash
from requests_app.submission import submit_request
from tests.support.common import make_user
from tests.support.requests import APPROVED_STATES, plan_made, prod_input, rita_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(team_member):
    request = submit_request(prod_input(), team_member).request
    plan_made(request)
    return request


def planned(raw, submitted_by):
    request = submit_request(raw, submitted_by).request
    plan_made(request)
    return request


def refused_code(request, user, decision="approve", **kwargs) -> str:
    with pytest.raises(DecisionRefused) as caught:
        decide(request, user, decision, "looks fine", **kwargs)
    return caught.value.code


def test_an_approval_meeting_the_quorum_approves_and_is_audited(pending, approver):
    result = decide(pending, approver, "approve", "Prod bucket reviewed")
    pending.refresh_from_db()
    assert pending.status in APPROVED_STATES and result.status_changed
    assert result.approval.contract_hash == pending.contract_hash
    actions = list(AuditEntry.objects.filter(request_id=pending.request_id).values_list("action", flat=True))
    assert actions.index("approval.approve") < actions.index("request.approve")
    assert verify_chain([]).ok


def test_a_non_approver_is_refused(pending, auditor):
    assert refused_code(pending, auditor) == DecisionRefused.NOT_APPROVER
    assert not Approval.objects.exists()


def test_the_named_requester_cannot_approve_even_as_an_approver(teams):
    rita = make_user("rita", roles.REQUESTERS, roles.PLATFORM_APPROVERS, is_staff=True)
    teams["app-team"].members.add(rita)
    request = submit_request(prod_input(), rita).request
    assert refused_code(request, rita) == DecisionRefused.OWN_REQUEST


def test_the_named_requester_cannot_approve_a_request_a_service_account_submitted(teams, service_account):
    daniel = make_user("daniel-deans", roles.PLATFORM_APPROVERS, is_staff=True)
    teams["app-team"].members.add(daniel)
    request = submit_request(prod_input(requester="daniel-deans"), service_account).request
    assert refused_code(request, daniel) == DecisionRefused.OWN_REQUEST


def test_the_submitting_account_cannot_approve_what_it_submitted(team_member):
    robot = make_user("robot", roles.REQUESTERS, roles.PLATFORM_APPROVERS)
    ServiceAccount.objects.create(user=robot, purpose="a service account that may also vote")
    request = submit_request(prod_input(), robot).request  # names rita, submitted by robot
    assert refused_code(request, robot) == DecisionRefused.OWN_REQUEST


def test_one_vote_per_person(pending, approver, settings):
    settings.APPROVALS_REQUIRED = {**settings.APPROVALS_REQUIRED, "prod": 2}
    request = planned(prod_input(application="ledger"), pending.submitted_by)
    decide(request, approver, "approve", "first look")
    assert refused_code(request, approver) == DecisionRefused.ALREADY_VOTED
    assert request.approvals.count() == 1


def test_quorum_of_two_needs_two_different_approvers(team_member, approver, second_approver, settings):
    settings.APPROVALS_REQUIRED = {**settings.APPROVALS_REQUIRED, "prod": 2}
    request = planned(prod_input(), team_member)
    assert request.approvals_needed == 2
    first = decide(request, approver, "approve", "ok by me")
    request.refresh_from_db()
    assert not first.status_changed and request.status == RequestStatus.PENDING_APPROVAL
    second = decide(request, second_approver, "approve", "ok by me too")
    request.refresh_from_db()
    assert second.status_changed and second.approvals_counted == 2 and request.status in APPROVED_STATES


def test_one_rejection_rejects_even_after_an_approval(team_member, approver, second_approver, settings):
    settings.APPROVALS_REQUIRED = {**settings.APPROVALS_REQUIRED, "prod": 2}
    request = planned(prod_input(), team_member)
    decide(request, approver, "approve", "fine")
    decide(request, second_approver, "reject", "No cost center owner agreed")
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert refused_code(request, make_user("carol", roles.PLATFORM_APPROVERS)) == DecisionRefused.NOT_PENDING


def test_approvals_of_an_older_contract_do_not_count(team_member, approver, second_approver, settings):
    settings.APPROVALS_REQUIRED = {**settings.APPROVALS_REQUIRED, "prod": 2}
    request = planned(prod_input(), team_member)
    seen_hash = request.contract_hash
    decide(request, approver, "approve", "fine", contract_hash=seen_hash)
    # The contract changes after the first approval (e.g. corrected by the platform team).
    request.contract = {**request.contract, "spec": {**request.contract["spec"], "costAlertGb": 5000}}
    request.contract_hash = canonical_hash(request.contract)
    request.save()
    assert refused_code(request, second_approver, contract_hash=seen_hash) == DecisionRefused.STALE_CONTRACT
    result = decide(request, second_approver, "approve", "fine", contract_hash=request.contract_hash)
    request.refresh_from_db()
    assert result.approvals_counted == 1 and request.status == RequestStatus.PENDING_APPROVAL


def test_a_comment_is_required(pending, approver):
    with pytest.raises(DecisionRefused) as caught:
        decide(pending, approver, "approve", "   ")
    assert caught.value.code == DecisionRefused.COMMENT_REQUIRED


@pytest.mark.parametrize("comment", ["nul\x00byte", "lone \ud800 surrogate"])
def test_a_comment_that_cannot_be_stored_is_refused_before_anything_is_written(pending, approver, comment):
    with pytest.raises(DecisionRefused) as caught:
        decide(pending, approver, "reject", comment)
    assert caught.value.code == DecisionRefused.COMMENT_INVALID
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING_APPROVAL


def test_requests_without_approval_rules_are_approved_by_the_system(team_member):
    request = submit_request(rita_input(), team_member).request
    assert request.status in APPROVED_STATES and not request.approval_required
    entry = AuditEntry.objects.get(request_id=request.request_id, action="request.approve")
    assert entry.actor == "system"


def test_one_entry_records_the_submission_and_what_the_guardrails_did(team_member):
    request = submit_request(prod_input(), team_member).request
    entries = AuditEntry.objects.filter(request_id=request.request_id).order_by("id")
    assert [e.action for e in entries] == ["request.submitted", "run.queued", "plan.queued"]
    entry = entries[0]
    assert entry.actor == team_member.get_username()
    assert entry.detail["contract_hash"] == request.contract_hash
    assert entry.detail["guardrails"]["approval"]["required"] is True
    assert guardrails_applied(request) == entry.detail["guardrails"]["applied"] != []


def test_guardrails_of_a_trail_written_with_a_separate_guardrails_entry_still_show(team_member):
    submitted = submit_request(prod_input(), team_member).request
    # A request of an older trail: its submission's entry carries no guardrails, a separate entry follows.
    BucketRequest.objects.filter(pk=submitted.pk).update(request_id="S3-0099")
    older = BucketRequest.objects.get(pk=submitted.pk)
    applied = [{"path": "spec.encryption", "value": "aws:kms", "source": "platform", "reason": "older trail"}]
    audit.record("request.submitted", actor=team_member, request=older, detail={"owner": "app-team"})
    audit.record(
        "request.guardrails_evaluated",
        actor="system",
        request=older,
        detail={"applied": applied, "warnings": []},
    )
    assert guardrails_applied(older) == applied
