"""The requester is proven, not claimed: Backstage's token files only for the user its user token proves.

The attacker is a signed-in Backstage user calling the proxy endpoint directly (the proxy adds the portal's
Backstage-caller token to whatever they send). Keys and key sets are real (a loopback HTTP server).
"""

import json
import time

import pytest
from django.contrib.auth.models import User

from core import roles
from core.api.permissions import BACKSTAGE_REFUSAL
from core.backstage_identity import USER_TOKEN_HEADER
from core.models import ServiceAccount
from requests_app.models import BucketRequest
from requests_app.visibility import visible_requests
from tests.backstage.identity import tampered
from tests.contract.cases import request_input
from tests.support.backstage import bearer_client
from tests.support.common import make_user

SUBMIT = "/api/v1/s3-requests/"


@pytest.fixture
def proxy(teams, backstage_account):
    """What the Backstage proxy sends for anyone signed in to Backstage: the Backstage-caller token."""
    return bearer_client(backstage_account, "submit")


def submit(client, user_token: str | None, *, key: str | None = None, url: str = SUBMIT, **fields):
    headers = {USER_TOKEN_HEADER: user_token} if user_token is not None else {}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        url, data=json.dumps(request_input(**fields)), content_type="application/json", headers=headers
    )


def assert_backstage_refused(response, url: str):
    assert (response.status_code, response.json()["detail"]) == (403, BACKSTAGE_REFUSAL), url


def assert_refused(response, status: int, detail: str):
    assert response.status_code == status, response.content
    assert detail in response.json()["detail"]
    assert BucketRequest.objects.count() == 0


def test_a_genuine_token_files_as_its_user(proxy, fake_backstage, rita):
    response = submit(proxy, fake_backstage.user_token("user:default/rita"), requester="rita")
    assert response.status_code == 201, response.content
    filed = BucketRequest.objects.get()
    assert (filed.requester, filed.submitted_by.username) == ("rita", "svc-backstage")


def test_signed_in_as_rita_naming_alex_is_refused(proxy, fake_backstage, rita):
    """The impersonation of issue 21: the proxy answered 201 to rita naming alex."""
    make_user("alex")
    response = submit(proxy, fake_backstage.user_token("user:default/rita"), requester="alex")
    assert_refused(response, 403, "names requester 'alex', but the signed-in Backstage user is 'rita'")


def test_another_users_token_cannot_file_for_rita(proxy, fake_backstage, rita):
    make_user("alex")
    response = submit(proxy, fake_backstage.user_token("user:default/alex"), requester="rita")
    assert_refused(response, 403, "signed-in Backstage user is 'alex'")


def test_without_the_user_token_nothing_is_filed(proxy, fake_backstage, rita):
    response = submit(proxy, None, requester="rita")
    assert_refused(response, 401, "token is missing")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "forge, detail",
    [
        (lambda backstage: backstage.user_token(iat=int(time.time()) - 7200), "expired"),
        (
            lambda backstage: tampered(backstage.user_token("user:default/alex"), sub="user:default/rita"),
            "invalid",
        ),
        (lambda backstage: backstage.user_token(iss="https://evil.example.com/api/auth"), "not issued by"),
        (lambda backstage: backstage.user_token(aud="catalog"), "audience"),
    ],
)
def test_an_expired_tampered_or_foreign_token_is_refused(proxy, fake_backstage, rita, forge, detail):
    assert_refused(submit(proxy, forge(fake_backstage), requester="rita"), 401, detail)


def test_the_requester_may_be_left_out_and_is_the_proven_user(proxy, fake_backstage, rita):
    body = {name: value for name, value in request_input().items() if name != "requester"}
    response = proxy.post(
        SUBMIT,
        data=json.dumps(body),
        content_type="application/json",
        headers={USER_TOKEN_HEADER: fake_backstage.user_token("user:default/Rita")},
    )
    assert response.status_code == 201, response.content
    assert BucketRequest.objects.get().requester == "rita"


def test_a_backstage_user_without_a_portal_account_is_refused(proxy, fake_backstage, rita):
    response = submit(proxy, fake_backstage.user_token("user:default/new-hire"), requester="new-hire")
    assert_refused(response, 403, "has no active portal account")


def test_a_form_post_cannot_sidestep_the_proof(proxy, fake_backstage, rita):
    """Form fields name the token's own account as requester: not the proven user, so refused."""
    form = {name: value for name, value in request_input(requester="rita").items() if name != "versioning"}
    response = proxy.post(
        SUBMIT, data=form, headers={USER_TOKEN_HEADER: fake_backstage.user_token("user:default/rita")}
    )
    assert_refused(response, 403, "Backstage files only for the person signed in")


def test_preview_is_held_to_the_same_proof(proxy, fake_backstage, rita):
    response = submit(proxy, None, url=f"{SUBMIT}preview/")
    assert response.status_code == 401


def test_the_proof_comes_before_the_inputs_problems(proxy, fake_backstage, rita):
    response = proxy.post(SUBMIT, data="[1, 2]", content_type="application/json")
    assert_refused(response, 401, "token is missing")


def test_a_replay_with_another_users_token_does_not_return_the_filed_request(proxy, fake_backstage, rita):
    first = submit(proxy, fake_backstage.user_token("user:default/rita"), key="task-1", requester="rita")
    assert first.status_code == 201
    make_user("alex")
    again = submit(proxy, fake_backstage.user_token("user:default/alex"), key="task-1", requester="rita")
    assert again.status_code == 403 and BucketRequest.objects.count() == 1


def test_another_users_key_collision_does_not_tell_them_the_request_it_filed(proxy, fake_backstage, rita):
    """Every Backstage user files through one account, so keys are that account's: a reused key is a 409,
    which must not name another person's request (it answers them 404 everywhere else)."""
    first = submit(proxy, fake_backstage.user_token("user:default/rita"), key="task-1", requester="rita")
    make_user("alex", roles.REQUESTERS)
    again = submit(proxy, fake_backstage.user_token("user:default/alex"), key="task-1", requester="alex")
    assert again.status_code == 409 and again.json()["code"] == "idempotency-conflict"
    assert first.json()["id"] not in again.json()["detail"]
    assert "already used for another request" in again.json()["detail"]
    assert BucketRequest.objects.count() == 1


def test_keys_unreachable_is_a_503_and_nothing_is_filed(proxy, fake_backstage, rita):
    token = fake_backstage.user_token("user:default/rita")
    fake_backstage.stop()
    assert_refused(submit(proxy, token, requester="rita"), 503, "signing keys could not be fetched")


def test_every_credential_of_a_backstage_caller_needs_the_proof(
    proxy, backstage_account, fake_backstage, rita
):
    """The mark is on the account: a second token of it (or one issued later) is held to the same rule."""
    another = bearer_client(backstage_account, "submit")
    assert_refused(submit(another, None, requester="rita"), 401, "token is missing")


def test_a_service_account_that_is_not_a_backstage_caller_is_not_asked_for_a_user_token(teams, rita):
    """Scripts keep core's who-may-file-for-whom rules; only Backstage callers need the proof."""
    script = make_user("svc-script", roles.REQUESTERS)
    ServiceAccount.objects.create(user=script, purpose="a script")
    response = submit(bearer_client(script, "submit"), None, requester="rita")
    assert response.status_code == 201, response.content
    assert BucketRequest.objects.get().requester == "rita"


def test_the_marker_is_checked_by_the_service_account_of_the_caller(backstage_account):
    from core.backstage_filing import is_backstage_caller

    assert is_backstage_caller(backstage_account)
    ServiceAccount.objects.filter(user=backstage_account).update(backstage_caller=False)
    assert not is_backstage_caller(backstage_account)


def test_the_proxy_token_reads_nothing_even_if_its_account_is_given_the_auditors_role(
    teams, backstage_account, fake_backstage, rita
):
    """The docs suggest the auditors role for a script that must read everything; given to the Backstage
    caller, it would hand every request to everyone signed in to Backstage."""
    from django.contrib.auth.models import Group

    proxy = bearer_client(backstage_account, "read", "submit")
    filed = submit(proxy, fake_backstage.user_token("user:default/rita"), requester="rita")
    assert filed.status_code == 201, filed.content
    backstage_account.groups.add(Group.objects.get(name=roles.AUDITORS))

    for url in (SUBMIT, f"{SUBMIT}{filed.json()['id']}/", "/api/v1/audit/"):
        assert_backstage_refused(proxy.get(url), url)
    # Behind the API's refusal, the data rule too (a session of that account, the withdraw's lookup).
    assert not visible_requests(User.objects.get(pk=backstage_account.pk)).exists()


@pytest.mark.parametrize("with_user_token", [False, True])
def test_the_proxy_token_reads_no_request_runs_or_plans_of_anyone(
    teams, backstage_account, fake_backstage, rita, with_user_token
):
    """The documented proxy token may hold ``read`` (for the entities). Any signed-in Backstage user reaching the
    proxy read, in the Backstage caller's own name, every request filed through Backstage, of every team, with
    its contract, plan and runs: the caller acts only for a proven person, and in its own name sees nothing."""
    proxy = bearer_client(backstage_account, "read", "submit")
    filed = submit(
        proxy, fake_backstage.user_token("user:default/rita"), requester="rita", environment="prod"
    )
    assert filed.status_code == 201, filed.content
    request_id = filed.json()["id"]
    run = BucketRequest.objects.get(request_id=request_id).runs.get()
    make_user("mallory", roles.REQUESTERS)  # in no team
    headers = (
        {USER_TOKEN_HEADER: fake_backstage.user_token("user:default/mallory")} if with_user_token else {}
    )

    for url in (
        SUBMIT,
        f"{SUBMIT}{request_id}/",
        f"{SUBMIT}{request_id}/plan/",
        f"/api/v1/runs/{run.pk}/",
        "/api/v1/replication/health/",
    ):
        assert_backstage_refused(proxy.get(url, headers=headers), url)
    assert (
        proxy.get("/api/v1/catalog/buckets/", headers=headers).status_code == 200
    )  # the inventory stays readable
