"""Who may issue API tokens for whom, and for how long (issue 12: staff issued a superuser's token)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import ApiToken, AuditEntry, ServiceAccount
from core.tokens import TokenRefused, issue_token, set_revoked
from tests.support.common import make_user

pytestmark = pytest.mark.django_db
ADD_TOKEN = reverse("admin:core_apitoken_add")


@pytest.fixture
def token_clerk(db):
    """Staff holding only the permissions to add and change API tokens."""
    clerk = make_user("tess", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_apitoken", "change_apitoken", "view_apitoken"])
    )
    return clerk


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="pw-root")


@pytest.fixture
def marked_account(db):
    account = make_user("svc-ci", "requesters")
    ServiceAccount.objects.create(user=account, purpose="CI")
    return account


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_token(client: Client, account, expires: timezone.datetime):
    return client.post(
        ADD_TOKEN,
        {
            "user": account.pk,
            "name": "t",
            "scopes": ["read"],
            "expires_at_0": expires.date().isoformat(),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )


def test_staff_with_add_apitoken_cannot_issue_a_superusers_token_until_2099(token_clerk, superuser):
    response = add_token(browser(token_clerk), superuser, timezone.now().replace(year=2099))
    assert response.status_code == 200  # the form again, with its errors
    assert not ApiToken.objects.exists()
    with pytest.raises(TokenRefused, match="only a superuser"):
        issue_token(superuser, "t", ["read"], issued_by=token_clerk)
    assert not ApiToken.objects.exists()


def test_staff_issue_tokens_only_for_service_accounts(token_clerk, marked_account):
    person = make_user("pia", "requesters")
    staff_member = make_user("stan", is_staff=True)
    ServiceAccount.objects.create(user=staff_member, purpose="a staff service account is still staff")
    in_90_days = timezone.now() + timedelta(days=89)
    for account in (person, staff_member):
        assert add_token(browser(token_clerk), account, in_90_days).status_code == 200
    assert not ApiToken.objects.exists()

    response = add_token(browser(token_clerk), marked_account, in_90_days)
    assert response.status_code == 302
    token = ApiToken.objects.get()
    assert token.user == marked_account
    assert AuditEntry.objects.get(action="token.issued").actor == "tess"


def test_a_superuser_may_issue_a_staff_accounts_token(superuser):
    staff_member = make_user("stan", is_staff=True)
    assert add_token(browser(superuser), staff_member, timezone.now() + timedelta(days=30)).status_code == 302
    assert ApiToken.objects.get().user == staff_member


def test_the_form_offers_90_days_and_only_service_accounts_to_staff(token_clerk, marked_account):
    make_user("pia", "requesters")
    form = browser(token_clerk).get(ADD_TOKEN).context["adminform"].form
    assert list(form.fields["user"].queryset) == [marked_account]
    offered = form.fields["expires_at"].initial()
    assert abs(offered - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)


def test_the_lifetime_is_bounded_by_the_setting(superuser, marked_account, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    assert (
        add_token(browser(superuser), marked_account, timezone.now() + timedelta(days=31)).status_code == 200
    )
    assert (
        add_token(browser(superuser), marked_account, timezone.now() - timedelta(days=1)).status_code == 200
    )
    with pytest.raises(TokenRefused, match="at most 30 days"):
        issue_token(marked_account, "t", ["read"], expires_at=timezone.now() + timedelta(days=31))
    assert not ApiToken.objects.exists()
    assert issue_token(marked_account, "t", ["read"]).token.expires_at <= timezone.now() + timedelta(days=30)


def test_staff_cannot_reinstate_a_revoked_superuser_token(token_clerk, superuser):
    token = issue_token(superuser, "root-cli", ["approve"], issued_by=superuser).token
    set_revoked(token, True, actor=superuser)
    change = reverse("admin:core_apitoken_change", args=[token.pk])
    assert browser(token_clerk).post(change, {}).status_code == 200  # "revoked" unticked: refused
    token.refresh_from_db()
    assert token.revoked
    with pytest.raises(TokenRefused):
        set_revoked(token, False, actor=token_clerk)


def test_only_superusers_mark_service_accounts(superuser):
    clerk = make_user("tess", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(content_type__model="serviceaccount"))
    person = make_user("pia")
    add = reverse("admin:core_serviceaccount_add")
    assert browser(clerk).post(add, {"user": person.pk, "purpose": "x"}).status_code == 403
    assert not ServiceAccount.objects.exists()
    assert browser(superuser).post(add, {"user": person.pk, "purpose": "Backstage"}).status_code == 302
    assert ServiceAccount.objects.get().user == person
