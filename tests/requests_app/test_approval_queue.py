"""The approval queue ("Waiting for you"), its navigation count, and deciding on the request page
and the admin's request page: the same rules as requests_app.approvals, one selector for the quorum."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core import roles
from core.identity import identity_digest
from requests_app import approvals
from requests_app.models import Approval, BucketRequest, RequestStatus
from requests_app.submission import submit_request
from tests.support.common import make_user
from tests.support.query_counts import assert_pinned, queries_for
from tests.support.requests import APPROVED_STATES, plan_made, prod_input, rita_input

pytestmark = pytest.mark.django_db


def planned(raw, submitted_by):
    request = submit_request(raw, submitted_by).request
    plan_made(request)
    return request


def saved_plan(request, changes):
    """The plan file record the runner keeps for the plan votes bind to (no Terraform: the queue reads
    only its changes; tests/runner/test_plan_approval.py makes real plans)."""
    from runner.models import SavedPlan

    run = request.runs.get(plan_sha256=request.plan_hash)
    return SavedPlan.objects.create(
        run=run,
        request=request,
        sha256=request.plan_hash,
        contract_hash=request.contract_hash,
        plan_file=b"plan",
        show_json={},
        changes=changes,
        rendered="",
    )


@pytest.fixture
def two_pending(team_member):
    """Two prod requests of rita's waiting for approval, the first submitted first."""
    return [planned(prod_input(application=f"billing{n}"), team_member) for n in (1, 2)]


def queue_ids(client) -> list[str]:
    return [req.request_id for req, _ in client.get(reverse("requests:queue")).context["rows"]]


def test_the_queue_lists_what_the_approver_may_decide_oldest_first_with_the_plan(
    client, approver, two_pending
):
    saved_plan(
        two_pending[0],
        [
            {"address": "a", "type": "aws_s3_bucket", "action": "create"},
            {"address": "b", "type": "aws_s3_bucket_policy", "action": "create"},
        ],
    )
    client.force_login(approver)
    response = client.get(reverse("requests:queue"))
    assert [req.request_id for req, _ in response.context["rows"]] == [r.request_id for r in two_pending]
    assert [summary for _, summary in response.context["rows"]] == ["2 create", ""]
    page = response.content.decode()
    assert "Needs 1 platform approval." in page and "approval(s)" not in page
    assert 'Waiting for you <span class="count" aria-label="2 waiting">2</span>' in page


def test_the_queue_leaves_out_requests_voted_on_own_and_not_pending(
    client, approver, second_approver, two_pending, teams
):
    first, second = two_pending
    approvals.decide(first, second_approver, "reject", "no")  # no longer pending
    teams["app-team"].members.add(approver)
    own = planned(prod_input(application="mine", requester="alex"), approver)
    client.force_login(second_approver)
    assert queue_ids(client) == [second.request_id, own.request_id]
    client.force_login(approver)
    assert queue_ids(client) == [second.request_id]  # not its own request, filed by alex
    # A vote on the current contract and plan takes it off; a newer plan puts it back.
    two = make_user("casey", roles.PLATFORM_APPROVERS, is_staff=True)
    second.approvals_needed = 2
    second.save(update_fields=["approvals_needed"])
    approvals.decide(second, two, "approve", "fine")
    client.force_login(two)
    assert second.request_id not in queue_ids(client)
    from runner.models import Run, RunKind

    Run.objects.create(request=second, kind=RunKind.PLAN, attempt=9)
    plan_made(second, label="second")
    assert second.request_id in queue_ids(client)


def test_the_queue_matches_the_voting_rule_for_each_request(approver, second_approver, two_pending, teams):
    """Whatever the queue lists, decide() accepts from that approver, and the other way round."""
    teams["app-team"].members.add(approver)
    planned(prod_input(application="mine", requester="alex"), approver)
    approvals.decide(two_pending[0], second_approver, "approve", "fine")
    from requests_app.models import BucketRequest

    for user in (approver, second_approver):
        listed = set(approvals.awaiting_decision(user).values_list("pk", flat=True))
        allowed = {r.pk for r in BucketRequest.objects.all() if approvals.refusal_for(r, user) is None}
        assert listed == allowed


def test_a_differently_cased_account_of_the_same_approver_sees_its_vote(client, approver, two_pending):
    approvals.decide(two_pending[0], approver, "approve", "fine")
    other_account = make_user("ALEX", roles.PLATFORM_APPROVERS, is_staff=True)
    assert two_pending[0] not in approvals.awaiting_decision(other_account)


@pytest.mark.parametrize(
    "spelling",
    [
        "\uff52\uff49\uff54\uff41",  # fullwidth ｒｉｔａ: NFKC makes it rita, the same person
        "Rita ",
        "rit\u0430",  # Cyrillic а: NFKC keeps it, so another person, for decide() and the queue alike
    ],
)
def test_the_queue_lists_exactly_what_decide_accepts_when_the_requester_is_spelled_otherwise(
    spelling, team_member, two_pending
):
    """An adopted import names its requester as its contract file spells it (any text): the queue
    compares people as decide() does, so rita's queue has no request she may not decide."""
    request = two_pending[0]
    request.requester, request.submitted_by = spelling, None
    request.save()
    team_member.groups.add(*Group.objects.filter(name=roles.PLATFORM_APPROVERS))
    rita = type(team_member).objects.get(pk=team_member.pk)  # permissions read afresh
    listed = set(approvals.awaiting_decision(rita))
    assert listed == {r for r in two_pending if approvals.refusal_for(r, rita) is None}
    assert (request in listed) == (spelling == "rit\u0430")


def test_requesters_and_auditors_have_no_queue_and_no_link(client, team_member, auditor, two_pending):
    for user in (team_member, auditor):
        client.force_login(user)
        assert client.get(reverse("requests:queue")).status_code == 403
        assert "Waiting for you" not in client.get(reverse("home")).content.decode()


def test_the_queue_and_its_count_make_their_pinned_number_of_queries_with_5_and_50_rows(
    client, approver, team_member, settings
):
    settings.PORTAL_PAGE_SIZE = 100  # every row on one page
    for n in range(5):
        saved_plan(planned(prod_input(application=f"bulk{n}"), team_member), [])
    client.force_login(approver)
    client.get(reverse("requests:queue"))  # warm the session
    # session, user, two for permissions, the nav's count, the paginator's count, the page (owners joined),
    # the saved plans
    few = queries_for(client, reverse("requests:queue"))
    for n in range(5, 50):
        saved_plan(planned(prod_input(application=f"bulk{n}"), team_member), [])
    response = client.get(reverse("requests:queue"))
    assert len(response.context["rows"]) == 50
    assert {summary for _, summary in response.context["rows"]} == {"no changes"}
    assert_pinned(
        __file__, "page requests:queue", {5: few, 50: queries_for(client, reverse("requests:queue"))}
    )


def test_an_approver_approves_on_the_request_page(client, approver, two_pending):
    request = two_pending[0]
    client.force_login(approver)
    page = client.get(reverse("requests:detail", args=[request.request_id])).content.decode()
    assert 'id="decide"' in page and "What the platform's guardrails set" in page
    response = client.post(
        reverse("requests:decide", args=[request.request_id]),
        {
            "decision": "approve",
            "comment": "Reviewed on the page",
            "contract_hash": request.contract_hash,
            "plan_hash": request.plan_hash,
        },
        follow=True,
    )
    request.refresh_from_db()
    assert request.status in APPROVED_STATES
    assert f"{request.request_id}: vote recorded, now approved." in response.content.decode()
    assert 'id="decide"' not in response.content.decode()  # nothing left to decide


def test_a_vote_without_a_comment_keeps_the_page_and_says_why(client, approver, two_pending):
    request = two_pending[0]
    client.force_login(approver)
    response = client.post(
        reverse("requests:decide", args=[request.request_id]), {"decision": "approve", "comment": "  "}
    )
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not Approval.objects.exists()


def test_a_vote_on_a_changed_plan_is_refused_and_the_comment_kept(client, approver, two_pending):
    request = two_pending[0]
    client.force_login(approver)
    response = client.post(
        reverse("requests:decide", args=[request.request_id]),
        {
            "decision": "approve",
            "comment": "my long reasoning",
            "contract_hash": request.contract_hash,
            "plan_hash": "0" * 64,
        },
    )
    page = response.content.decode()
    assert response.status_code == 400 and "changed since you opened it" in page
    assert "my long reasoning</textarea>" in page
    assert not Approval.objects.exists()


@pytest.mark.parametrize("who", ["requester", "auditor"])
def test_non_approvers_cannot_vote_through_the_page(client, who, team_member, auditor, two_pending):
    client.force_login({"requester": team_member, "auditor": auditor}[who])
    response = client.post(
        reverse("requests:decide", args=[two_pending[0].request_id]),
        {"decision": "approve", "comment": "sneaky"},
    )
    assert response.status_code == 403 and not Approval.objects.exists()


def test_the_page_refuses_a_self_approval_and_says_so(client, teams):
    rita = make_user("rita", roles.REQUESTERS, roles.PLATFORM_APPROVERS, is_staff=True)
    teams["app-team"].members.add(rita)
    request = planned(prod_input(), rita)
    client.force_login(rita)
    page = client.get(reverse("requests:detail", args=[request.request_id])).content.decode()
    assert 'id="decide"' not in page and "cannot decide on their own request" in page
    response = client.post(
        reverse("requests:decide", args=[request.request_id]), {"decision": "approve", "comment": "mine"}
    )
    assert response.status_code == 400 and not Approval.objects.exists()


def test_the_decision_view_sends_back_only_to_this_site(client, approver, two_pending):
    request = two_pending[0]
    client.force_login(approver)
    response = client.post(
        reverse("requests:decide", args=[request.request_id]),
        {"decision": "reject", "comment": "no", "next": "https://evil.example/"},
    )
    assert response.url == reverse("requests:detail", args=[request.request_id])


def test_the_admin_request_page_has_decision_buttons_that_vote(client, approver, two_pending):
    request = two_pending[0]
    client.force_login(approver)
    change_url = reverse("admin:requests_app_bucketrequest_change", args=[request.pk])
    page = client.get(change_url).content.decode()
    assert 'id="decide-form"' in page and 'value="approve"' in page and 'value="reject"' in page
    response = client.post(
        reverse("requests:decide", args=[request.request_id]),
        {
            "decision": "reject",
            "comment": "not like this",
            "contract_hash": request.contract_hash,
            "plan_hash": request.plan_hash,
            "next": change_url,
        },
    )
    assert response.url == change_url
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert 'id="decide-form"' not in client.get(change_url).content.decode()


def test_the_admin_refusal_goes_back_with_the_reason(client, approver, two_pending):
    request = two_pending[0]
    client.force_login(approver)
    change_url = reverse("admin:requests_app_bucketrequest_change", args=[request.pk])
    response = client.post(
        reverse("requests:decide", args=[request.request_id]),
        {"decision": "approve", "comment": "ok", "plan_hash": "f" * 64, "next": change_url},
        follow=True,
    )
    assert "changed since you opened it" in response.content.decode()


def test_decide_returns_the_request_with_its_fresh_status(approver, two_pending):
    result = approvals.decide(two_pending[0], approver, "approve", "fine")
    assert result.request.status in APPROVED_STATES
    assert approvals.approvals_on_current_contract(result.request) == [result.approval]


def test_rita_input_is_dev_and_needs_no_queue(client, approver, team_member):
    request = submit_request(rita_input(), team_member).request
    client.force_login(approver)
    assert request.request_id not in queue_ids(client)


def test_a_requester_name_whose_identity_key_is_many_times_longer_still_saves_and_compares(
    team_member, two_pending
):
    """NFKC turns U+FDFA into 18 characters: rows keep a fixed-length digest, so even a 150-character
    name of such characters saves (a column sized for the name would overflow on PostgreSQL)."""
    request = two_pending[0]
    request.requester = "\ufdfa" * 150
    request.save()
    request.refresh_from_db()
    assert len(request.requester_key) == 64
    assert BucketRequest.objects.filter(requester_key=identity_digest("\ufdfa" * 150)).get() == request
