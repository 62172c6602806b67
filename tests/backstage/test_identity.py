"""Verifying a Backstage user's token: every way to forge, replay or stretch one is refused.

The keys are real ES256 keys and Backstage's key sets are served by a real HTTP server on 127.0.0.1
(tests/backstage/identity.py); tokens have the shape Backstage's auth plugin and scaffolder issue.
"""

import time

import pytest

from core.backstage_filing import portal_person
from core.backstage_identity import BackstageUser, IdentityRefused, IdentityUnavailable, verify_user_token
from core.models import ServiceAccount
from tests.backstage.identity import (
    AUTH_JWKS_PATH,
    SCAFFOLDER_JWKS_PATH,
    SigningKey,
    claims_of,
    hmac_signed,
    tampered,
    unsigned_token,
)
from tests.support.common import make_user


def refused(token: str, match: str, status: int = 401) -> IdentityRefused:
    with pytest.raises(IdentityRefused, match=match) as caught:
        verify_user_token(token)
    assert caught.value.status == status
    return caught.value


def test_a_genuine_user_token_proves_its_user(fake_backstage):
    assert verify_user_token(fake_backstage.user_token("user:default/rita")) == BackstageUser(
        entity_ref="user:default/rita", name="rita"
    )


def test_an_expired_token_is_refused(fake_backstage):
    two_hours_ago = int(time.time()) - 7200
    refused(fake_backstage.user_token(iat=two_hours_ago, lifetime=3600), "expired")


def test_a_token_from_another_issuer_is_refused(fake_backstage):
    refused(fake_backstage.user_token(iss="https://other-backstage.example.com/api/auth"), "not issued by")


def test_a_token_for_another_audience_is_refused(fake_backstage):
    refused(fake_backstage.user_token(aud="catalog"), "audience")


@pytest.mark.parametrize("claim", ["exp", "iss", "aud", "sub"])
def test_a_token_missing_a_required_claim_is_refused(fake_backstage, claim):
    refused(fake_backstage.user_token(**{claim: None}), "invalid|not issued|audience")


def test_a_tampered_token_naming_another_user_is_refused(fake_backstage):
    token = tampered(fake_backstage.user_token("user:default/rita"), sub="user:default/alex")
    assert claims_of(token)["sub"] == "user:default/alex"
    refused(token, "invalid")


def test_alg_none_is_refused_before_any_key_is_fetched(fake_backstage):
    claims = claims_of(fake_backstage.user_token("user:default/alex"))
    refused(unsigned_token(claims), "algorithm 'none' is not accepted")
    assert fake_backstage.hits == []


@pytest.mark.parametrize("secret", ["pem", "jwk"])
def test_hmac_signed_with_the_published_public_key_is_refused(fake_backstage, secret):
    """The classic key-confusion forgery: anyone can download the public key and HMAC with it."""
    import json

    public = (
        fake_backstage.auth_key.public_pem()
        if secret == "pem"
        else json.dumps(fake_backstage.auth_key.public_jwk()).encode()
    )
    claims = claims_of(fake_backstage.user_token("user:default/alex"))
    refused(hmac_signed(claims, public), "algorithm 'HS256' is not accepted")


def test_a_token_signed_by_a_key_backstage_does_not_publish_is_refused(fake_backstage):
    """An attacker's own ES256 key, even under the published key's ID."""
    attacker = SigningKey(fake_backstage.auth_key.kid)
    refused(fake_backstage.user_token("user:default/alex", key=attacker), "invalid")
    refused(
        fake_backstage.user_token("user:default/alex", key=SigningKey("attacker-key")), "not signed by a key"
    )


def test_a_token_of_another_type_is_refused(fake_backstage):
    now = int(time.time())
    limited = fake_backstage.limited_user_token("user:default/rita", iat=now, exp=now + 600)
    refused(limited, "not a Backstage user token")  # the cookie token alone is not enough
    refused("not-a-jwt", "not a JWT")
    refused("", "missing")


def test_user_token_header_type_is_part_of_what_is_signed(fake_backstage):
    """A limited token relabelled as a full user token fails: the header is covered by the signature."""
    now = int(time.time())
    limited = fake_backstage.limited_user_token("user:default/rita", iat=now, exp=now + 600)
    header, payload, signature = limited.split(".")
    import json

    from tests.backstage.identity import b64

    relabelled = b64(json.dumps({"typ": "vnd.backstage.user", "alg": "ES256", "kid": "auth-key-1"}).encode())
    refused(f"{relabelled}.{payload}.{signature}", "invalid|not issued|audience")


def test_a_retried_tasks_scaffolder_token_proves_the_user_it_acts_for(fake_backstage):
    assert verify_user_token(fake_backstage.retry_token("user:default/rita")).name == "rita"
    assert SCAFFOLDER_JWKS_PATH in fake_backstage.hits and AUTH_JWKS_PATH in fake_backstage.hits


def test_a_plugin_token_from_another_plugin_or_for_another_audience_is_refused(fake_backstage):
    refused(fake_backstage.retry_token(plugin="catalog"), "Only the scaffolder")
    refused(fake_backstage.retry_token(audience="bucketwise"), "audience")


def test_a_scaffolder_token_with_a_forged_on_behalf_of_user_is_refused(fake_backstage):
    now = int(time.time())
    forged = SigningKey("auth-key-1").sign(
        {"sub": "user:default/alex", "iat": now, "exp": now + 600}, "vnd.backstage.limited-user"
    )
    refused(fake_backstage.retry_token(obo=forged), "invalid")
    refused(fake_backstage.retry_token(obo=""), "does not act on behalf")


@pytest.mark.parametrize(
    "sub, match", [("group:default/app-team", "not a user"), ("user:guests/rita", "outside the namespace")]
)
def test_only_users_of_the_mapped_namespace_are_accepted(fake_backstage, sub, match):
    refused(fake_backstage.user_token(sub), match, status=403)


def test_keys_are_fetched_once_and_cached(fake_backstage):
    for name in ("rita", "alex", "rita"):
        verify_user_token(fake_backstage.user_token(f"user:default/{name}"))
    assert fake_backstage.hits == [AUTH_JWKS_PATH]


def test_unreachable_keys_are_unavailable_not_a_verdict(fake_backstage):
    token = fake_backstage.user_token()
    fake_backstage.stop()
    with pytest.raises(IdentityUnavailable, match="could not be fetched"):
        verify_user_token(token)


def test_without_a_backstage_base_url_nobody_is_proven(fake_backstage, settings):
    settings.BACKSTAGE_BASE_URL = ""
    refused(fake_backstage.user_token(), "BACKSTAGE_BASE_URL is not set", status=403)


def test_settings_refuse_symmetric_or_empty_algorithm_lists():
    from django.core.exceptions import ImproperlyConfigured

    from core.backstage_identity import checked_algorithms

    assert checked_algorithms(["ES256", " RS256 "]) == ["ES256", "RS256"]
    for unsafe in (["HS256"], ["ES256", "none"], [], [""]):
        with pytest.raises(ImproperlyConfigured):
            checked_algorithms(unsafe)


@pytest.mark.django_db
def test_the_subject_maps_to_the_active_portal_user_of_that_name_as_a_canonical_identity():
    rita = make_user("Rita")
    assert portal_person(BackstageUser("user:default/rita", "rita")) == rita
    with pytest.raises(IdentityRefused, match="no active portal account") as caught:
        portal_person(BackstageUser("user:default/alex", "alex"))
    assert caught.value.status == 403
    rita.is_active = False
    rita.save()
    with pytest.raises(IdentityRefused, match="no active portal account"):
        portal_person(BackstageUser("user:default/rita", "rita"))


@pytest.mark.django_db
def test_a_backstage_user_named_like_a_service_account_does_not_become_it():
    """Backstage users are people: one called ``svc-deploy`` must not act as the portal's service account."""
    account = make_user("svc-deploy")
    ServiceAccount.objects.create(user=account, purpose="deployments")
    with pytest.raises(IdentityRefused, match="service accounts are never filed for") as caught:
        portal_person(BackstageUser("user:default/svc-deploy", "svc-deploy"))
    assert caught.value.status == 403
