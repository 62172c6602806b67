"""Who may file for whom, canonical requester names, one person one vote (issue 12 items 3; first list:
a team-A requester filed for team B and was auto-approved; "Carol" / "carol\\n" approved her own request)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from core import roles
from core.filing import filing_refusal
from core.models import ServiceAccount, Team
from core.tokens import issue_token
from requests_app.approvals import DecisionRefused, decide
from requests_app.models import BucketRequest, RequestStatus
from requests_app.submission import submit_request
from tests.contract.cases import request_input
from tests.support.common import make_user
from tests.support.requests import form_data, plan_made

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/s3-requests/"
# Team B's request as team A's rita would send it: team B as owner, team B's cost center; dev needs no approval.
TEAM_B_REQUEST = request_input(owner="data-team", costCenter="data-999", requester="rita", environment="dev")


@pytest.fixture
def teams(db):
    return {slug: Team.objects.create(slug=slug, name=slug) for slug in ("app-team", "data-team")}


@pytest.fixture
def rita(teams):
    person = make_user("rita", roles.REQUESTERS)
    teams["app-team"].members.add(person)
    return person


@pytest.fixture
def backstage(db):
    account = make_user("svc-backstage", roles.REQUESTERS)
    ServiceAccount.objects.create(user=account, purpose="Backstage")
    return account


def session(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def bearer(user, *scopes) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(user, 't', scopes).text}")
    return client


def problem_fields(response) -> set[str]:
    return {problem["field"] for problem in response.json()["problems"]}


def test_a_team_a_requester_cannot_file_for_team_b_by_any_door(client, rita):
    for caller in (session(rita), bearer(rita, "submit")):
        response = caller.post(REQUESTS, TEAM_B_REQUEST, format="json")
        assert response.status_code == 400 and problem_fields(response) == {"owner"}
    client.force_login(rita)
    page = client.post(reverse("requests:new"), form_data(owner="data-team", costCenter="data-999"))
    assert page.status_code == 200 and "not a member of team" in page.context["form"].errors["owner"][0]
    assert not BucketRequest.objects.exists()
    preview = session(rita).post(f"{REQUESTS}preview/", TEAM_B_REQUEST, format="json").json()
    assert not preview["valid"] and "owner" in {p["field"] for p in preview["problems"]}


def test_a_service_account_cannot_file_team_b_for_a_team_a_person(backstage, rita):
    response = bearer(backstage, "submit").post(REQUESTS, TEAM_B_REQUEST, format="json")
    assert response.status_code == 400 and problem_fields(response) == {"owner"}
    filed = bearer(backstage, "submit").post(REQUESTS, {**TEAM_B_REQUEST, "owner": "app-team"}, format="json")
    assert filed.status_code == 201 and filed.json()["requester"] == "rita"


def test_a_service_account_files_only_for_a_person_who_exists(backstage, teams):
    response = bearer(backstage, "submit").post(
        REQUESTS, request_input(requester="nobody-here"), format="json"
    )
    assert response.status_code == 400 and problem_fields(response) == {"requester"}


def test_a_service_account_never_files_for_another_service_account(backstage, teams):
    """The requester answers for the bucket: a person, never a service account (whatever its teams)."""
    deploy = make_user("svc-deploy", roles.REQUESTERS)
    ServiceAccount.objects.create(user=deploy, purpose="deployments")
    teams["app-team"].members.add(deploy)
    response = bearer(backstage, "submit").post(
        REQUESTS, request_input(requester="svc-deploy"), format="json"
    )
    assert response.status_code == 400 and problem_fields(response) == {"requester"}
    assert "never for another service account" in response.json()["problems"][0]["message"]
    assert not BucketRequest.objects.exists()


def test_file_for_any_team_skips_the_team_check_not_the_person(backstage, rita):
    backstage.user_permissions.add(Permission.objects.get(codename="file_for_any_team"))
    assert filing_refusal(backstage, "rita", "data-team") is None
    assert filing_refusal(backstage, "nobody-here", "data-team").field == "requester"


def test_a_person_files_only_as_themselves(rita, teams):
    response = bearer(rita, "submit").post(REQUESTS, request_input(requester="daniel-deans"), format="json")
    assert response.status_code == 400 and problem_fields(response) == {"requester"}


def test_carol_spelled_carol_cannot_approve_her_own_request(backstage, teams):
    carol = make_user("carol", roles.PLATFORM_APPROVERS, is_staff=True)
    teams["app-team"].members.add(carol)
    request = submit_request(request_input(requester="Carol", environment="prod"), backstage).request
    assert request.requester == "carol"
    with pytest.raises(DecisionRefused) as refused:
        decide(request, carol, "approve", "mine, but who checks")
    assert refused.value.code == DecisionRefused.OWN_REQUEST
    response = bearer(carol, "approve").post(
        f"{REQUESTS}{request.request_id}/approve/", {"comment": "ok"}, format="json"
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING_APPROVAL


def test_carol_with_a_trailing_newline_is_refused_and_never_approves_her_request(backstage, teams):
    carol = make_user("carol", roles.PLATFORM_APPROVERS, is_staff=True)
    teams["app-team"].members.add(carol)
    response = bearer(backstage, "submit").post(
        REQUESTS, request_input(requester="carol\n", environment="prod"), format="json"
    )
    assert response.status_code == 400 and problem_fields(response) == {"requester"}
    # A request stored before names were checked (an import) still counts as hers.
    request = submit_request(request_input(requester="carol", environment="prod"), backstage).request
    BucketRequest.objects.filter(pk=request.pk).update(requester="Carol\n")
    request.refresh_from_db()
    with pytest.raises(DecisionRefused) as refused:
        decide(request, carol, "approve", "looks fine")
    assert refused.value.code == DecisionRefused.OWN_REQUEST


def test_one_person_one_vote_across_session_tokens_and_spellings(backstage, rita, settings):
    settings.APPROVALS_REQUIRED = {**settings.APPROVALS_REQUIRED, "prod": 3}
    alex = make_user("alex", roles.PLATFORM_APPROVERS, is_staff=True)
    request = submit_request(request_input(requester="rita", environment="prod"), backstage).request
    plan_made(request)
    approve = f"{REQUESTS}{request.request_id}/approve/"
    request.refresh_from_db()
    seen = {"contractHash": request.contract_hash, "planHash": request.plan_hash}
    assert session(alex).post(approve, {"comment": "first", **seen}, format="json").status_code == 200
    assert (
        bearer(alex, "approve").post(approve, {"comment": "again", **seen}, format="json").status_code == 409
    )
    alex_again = make_user("Alex", roles.PLATFORM_APPROVERS, is_staff=True)  # a second account, same person
    assert (
        bearer(alex_again, "approve").post(approve, {"comment": "third", **seen}, format="json").status_code
        == 409
    )
    assert request.approvals.count() == 1


def test_a_person_whose_account_name_has_capitals_sees_the_requests_naming_them(backstage, teams):
    rhea = make_user("Rhea", roles.REQUESTERS)
    teams["app-team"].members.add(rhea)
    request = submit_request(request_input(requester="RHEA"), backstage).request
    teams["app-team"].members.remove(rhea)  # seen as the requester, not through the team
    assert request.requester == "rhea"
    assert session(rhea).get(f"{REQUESTS}{request.request_id}/").status_code == 200


def test_the_form_offers_only_the_persons_teams(client, rita):
    client.force_login(rita)
    assert list(client.get(reverse("requests:new")).context["teams"]) == ["app-team"]
    rita.user_permissions.add(Permission.objects.get(codename="file_for_any_team"))
    client.force_login(rita)
    assert list(client.get(reverse("requests:new")).context["teams"]) == ["app-team", "data-team"]
