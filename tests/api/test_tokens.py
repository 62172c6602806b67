"""Service-account tokens: hashed storage, scopes, expiry, revocation, rate limit."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken
from core.tokens import issue_token
from tests.support.requests import rita_input

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/s3-requests/"


def client_for(text: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def test_only_a_hash_of_the_token_is_stored(service_account):
    issued = issue_token(service_account, "backstage", ["read"])
    stored = ApiToken.objects.get()
    assert issued.text.startswith(f"bw_{stored.prefix}_")
    assert issued.text not in str(list(ApiToken.objects.values_list()))
    assert client_for(issued.text).get(REQUESTS).status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize("text", ["bw_nope_nope", "bw_", "bw_abc", "Bearer"])
def test_a_wrong_token_answers_401(service_account, text):
    issued = issue_token(service_account, "backstage", ["read"])
    assert client_for(text).get(REQUESTS).status_code == 401
    tampered = issued.text[:-2] + ("AA" if not issued.text.endswith("AA") else "BB")
    assert client_for(tampered).get(REQUESTS).status_code == 401


def test_an_expired_or_revoked_token_answers_401(service_account):
    expired = issue_token(service_account, "old", ["read"], expires_at=timezone.now() - timedelta(seconds=1))
    response = client_for(expired.text).get(REQUESTS)
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    revoked = issue_token(service_account, "gone", ["read"])
    ApiToken.objects.filter(pk=revoked.token.pk).update(revoked=True)
    assert client_for(revoked.text).get(REQUESTS).status_code == 401


def test_scopes_limit_what_a_token_may_do(service_account, team_member):
    submit_only = client_for(issue_token(service_account, "submit", ["submit"]).text)
    assert submit_only.post(REQUESTS, rita_input(), format="json").status_code == 201
    assert submit_only.get(REQUESTS).status_code == 403
    no_approve = submit_only.post(f"{REQUESTS}S3-0001/approve/", {"comment": "x"}, format="json")
    assert no_approve.status_code == 403


def test_a_token_cannot_do_more_than_its_account(teams, auditor):
    """An auditor's account holds no submit permission: a submit-scoped token does not add it."""
    client = client_for(issue_token(auditor, "t", ["read", "submit"]).text)
    assert client.post(REQUESTS, rita_input(), format="json").status_code == 403


def test_unknown_scopes_are_refused(service_account):
    with pytest.raises(ValueError):
        issue_token(service_account, "bad", ["admin"])


def test_token_clients_are_rate_limited(service_account, settings):
    settings.API_TOKEN_THROTTLE_RATE = "3/min"
    cache.clear()
    client = client_for(issue_token(service_account, "busy", ["read"]).text)
    codes = [client.get(REQUESTS).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(REQUESTS).has_header("Retry-After")
    other = client_for(issue_token(service_account, "calm", ["read"]).text)
    assert other.get(REQUESTS).status_code == 200  # counted per token


def test_a_new_token_on_an_old_tokens_row_id_starts_its_own_count(service_account, settings):
    """Row ids come back (a database restored from a backup, a rolled-back transaction): the count is
    the token's own, not the id's."""
    settings.API_TOKEN_THROTTLE_RATE = "2/min"
    cache.clear()
    old = issue_token(service_account, "old", ["read"])
    old_client = client_for(old.text)
    assert [old_client.get(REQUESTS).status_code for _ in range(3)] == [200, 200, 429]
    row_id = old.token.pk
    old.token.delete()
    new = issue_token(service_account, "new", ["read"])
    ApiToken.objects.filter(pk=new.token.pk).update(id=row_id)
    assert client_for(new.text).get(REQUESTS).status_code == 200


def test_browser_sessions_are_not_token_throttled(requester, settings):
    settings.API_TOKEN_THROTTLE_RATE = "1/min"
    cache.clear()
    client = APIClient()
    client.force_login(requester)
    assert [client.get(REQUESTS).status_code for _ in range(3)] == [200, 200, 200]
