"""Login lockout (django-axes, kept on here, with core.login_lockout): per user name and address, per
address over all user names (password spraying), per user name over all addresses."""

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.support.common import make_user
from tests.support.requests import token_client

pytestmark = pytest.mark.django_db
PASSWORD = "right-horse-battery-staple"
SPRAYED = "Spring2026!"
SPRAYER = "203.0.113.7"
LOGINS = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def person(db):
    user = make_user("carol", "requesters")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def accounts(db):
    """Twenty user names to spray (make_user's password is "pw-" + the name)."""
    return [make_user(f"user{number:02}").username for number in range(20)]


def sign_in(client: Client, path: str, password: str, username: str = "carol", **headers):
    return client.post(path, {"username": username, "password": password}, **headers)


def spray(client: Client, path: str, names: list[str]) -> list[int]:
    return [sign_in(client, path, SPRAYED, name).status_code for name in names]


def assert_locked(response, client: Client):
    page = response.content.decode()
    assert response.status_code == 429 and "Sign-in locked" in page
    assert "locked for up to 15 minutes" in " ".join(page.split())  # not axes' ISO 8601 "PT15M"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", LOGINS)
def test_the_fifth_wrong_password_locks_the_pair_and_then_the_right_one_too(person, path, settings):
    assert settings.AXES_ENABLED and settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    answers = [sign_in(client, path, "wrong").status_code for _ in range(5)]
    assert answers == [200] * 4 + [429]  # the form again with its error; the fifth failure locks

    assert sign_in(client, path, "wrong").status_code == 429
    assert_locked(sign_in(client, path, PASSWORD), client)


def test_a_user_name_locked_at_one_address_still_signs_in_from_another(person):
    for _ in range(5):
        sign_in(Client(), "/accounts/login/", "wrong")

    assert sign_in(Client(REMOTE_ADDR="198.51.100.2"), "/accounts/login/", PASSWORD).status_code == 302


@pytest.mark.parametrize(("sprayed_at", "then_at"), [LOGINS, LOGINS[::-1]])
def test_one_address_spraying_one_password_over_many_accounts_is_locked_at_the_address_limit(
    person, accounts, sprayed_at, then_at, settings
):
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 20
    sprayer = Client(REMOTE_ADDR=SPRAYER)

    assert spray(sprayer, sprayed_at, accounts) == [200] * 19 + [429]  # one try each: no pair locks

    assert_locked(sign_in(sprayer, then_at, PASSWORD), sprayer)  # a right password, on either login
    assert_locked(sign_in(sprayer, sprayed_at, PASSWORD), sprayer)


def test_a_sprayers_own_right_password_does_not_forget_its_failures_on_other_accounts(person, accounts):
    sprayer = Client(REMOTE_ADDR=SPRAYER)
    spray(sprayer, "/accounts/login/", accounts[:19])
    assert sign_in(sprayer, "/accounts/login/", "pw-user19", "user19").status_code == 302
    sprayer.logout()

    assert_locked(sign_in(sprayer, "/accounts/login/", SPRAYED), sprayer)  # the twentieth


def test_another_address_is_not_affected_by_a_sprayers_lock(person, accounts):
    spray(Client(REMOTE_ADDR=SPRAYER), "/accounts/login/", accounts)
    neighbour = Client(REMOTE_ADDR="203.0.113.8")

    assert sign_in(neighbour, "/accounts/login/", "wrong", "user00").status_code == 200
    assert sign_in(neighbour, "/accounts/login/", PASSWORD).status_code == 302


def test_an_office_behind_one_address_is_not_locked_by_typos_followed_by_the_right_password(accounts):
    """A right password forgets that person's failures from that address, so only abandoned failures
    (an attacker's) add up to the address limit: 8 people with 3 typos each (24) all get in."""
    office = Client(REMOTE_ADDR="192.0.2.10")
    for name in accounts[:8]:
        assert spray(office, "/accounts/login/", [name] * 3) == [200] * 3
        assert sign_in(office, "/accounts/login/", f"pw-{name}", name).status_code == 302
        office.logout()


def test_many_addresses_guessing_one_account_lock_it_at_the_account_limit(person, accounts, settings):
    assert settings.LOGIN_ACCOUNT_FAILURE_LIMIT == 50
    guessers = [Client(REMOTE_ADDR=f"198.51.100.{number}") for number in range(10)]
    for guesser in guessers[:9]:
        assert [sign_in(guesser, "/accounts/login/", "wrong").status_code for _ in range(5)][-1] == 429
    for _ in range(4):
        sign_in(guessers[9], "/accounts/login/", "wrong")
    carol = Client(REMOTE_ADDR="192.0.2.44")
    assert sign_in(carol, "/accounts/login/", PASSWORD).status_code == 302  # 49 failures: not yet
    carol.logout()

    assert sign_in(guessers[9], "/accounts/login/", "wrong").status_code == 429  # the 50th

    assert_locked(sign_in(carol, "/admin/login/", PASSWORD), carol)
    assert sign_in(carol, "/accounts/login/", "pw-user00", "user00").status_code == 302  # the address is free


def test_one_address_cannot_lock_a_person_out_for_everyone(person, settings):
    """Refused attempts are not counted: hammering from one address adds only the pair limit."""
    hammer = Client(REMOTE_ADDR=SPRAYER)
    answers = [
        sign_in(hammer, "/accounts/login/", "wrong").status_code
        for _ in range(settings.LOGIN_ACCOUNT_FAILURE_LIMIT)
    ]
    assert answers[4:] == [429] * (len(answers) - 4)

    assert sign_in(Client(REMOTE_ADDR="192.0.2.44"), "/accounts/login/", PASSWORD).status_code == 302


def test_api_tokens_work_from_a_locked_address(service_account, accounts):
    spray(Client(), "/accounts/login/", [service_account.username, *accounts])
    assert sign_in(Client(), "/accounts/login/", "pw-svc-backstage", "svc-backstage").status_code == 429

    assert token_client(service_account, "read").get("/api/v1/s3-requests/").status_code == 200


def _lock_the_pair(person, accounts):
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR=SPRAYER), "/accounts/login/", "wrong")


def _lock_the_address(person, accounts):
    spray(Client(REMOTE_ADDR=SPRAYER), "/accounts/login/", accounts)


def _lock_the_account(person, accounts):
    """Fifty failures for carol from ten other addresses (the sprayer's address stays clean)."""
    for number in range(10):
        guesser = Client(REMOTE_ADDR=f"198.51.100.{number}")
        for _ in range(5):
            sign_in(guesser, "/accounts/login/", "wrong")


@pytest.mark.parametrize("lock", [_lock_the_pair, _lock_the_address, _lock_the_account])
def test_after_the_cool_off_the_right_password_works_again(person, accounts, lock, settings):
    lock(person, accounts)
    assert sign_in(Client(REMOTE_ADDR=SPRAYER), "/accounts/login/", PASSWORD).status_code == 429

    AccessAttempt.objects.update(
        attempt_time=timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME * 2)
    )

    assert sign_in(Client(REMOTE_ADDR=SPRAYER), "/accounts/login/", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("lock", "command"),
    [
        (_lock_the_pair, ["axes_reset_ip_username", SPRAYER, "carol"]),
        (_lock_the_address, ["axes_reset_ip", SPRAYER]),
        (_lock_the_account, ["axes_reset_username", "carol"]),
    ],
)
def test_an_operator_unlocks_with_axes_reset_commands(person, accounts, lock, command):
    lock(person, accounts)
    call_command(*command, stdout=StringIO())

    assert sign_in(Client(REMOTE_ADDR=SPRAYER), "/accounts/login/", PASSWORD).status_code == 302


def test_a_right_password_before_the_limit_resets_the_count(person):
    client = Client()
    for _ in range(4):
        sign_in(client, "/accounts/login/", "wrong")
    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "/accounts/login/", "wrong")
    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 302


def test_behind_the_proxy_the_sprayer_is_locked_by_its_own_address_and_its_neighbours_are_not(
    person, accounts, settings
):
    """Every client arrives from the proxy's address; the proxy appends the client's to X-Forwarded-For.
    A sprayer that forges other entries on the left is still counted at its own address."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 20
    sprayer = Client(REMOTE_ADDR="10.0.0.2")
    answers = [
        sign_in(
            sprayer, "/accounts/login/", SPRAYED, name, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, {SPRAYER}"
        ).status_code
        for n, name in enumerate(accounts)
    ]
    assert answers == [200] * 19 + [429]
    assert AccessAttempt.objects.filter(ip_address=SPRAYER).count() == 20

    neighbour = Client(REMOTE_ADDR="10.0.0.2")
    assert (
        sign_in(neighbour, "/accounts/login/", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.10").status_code == 302
    )
    assert_locked(sign_in(sprayer, "/accounts/login/", PASSWORD, HTTP_X_FORWARDED_FOR=SPRAYER), sprayer)


def test_a_sprayer_taking_a_new_ipv6_address_for_every_try_is_locked_at_its_64(person, accounts):
    answers = [
        sign_in(
            Client(REMOTE_ADDR=f"2001:db8:7:7::{number + 1:x}"), "/accounts/login/", SPRAYED, name
        ).status_code
        for number, name in enumerate(accounts)
    ]
    assert answers == [200] * 19 + [429]
    assert sign_in(Client(REMOTE_ADDR="2001:db8:7:8::1"), "/accounts/login/", PASSWORD).status_code == 302
