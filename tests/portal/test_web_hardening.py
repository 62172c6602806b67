"""Login throttling (django-axes, kept on here), Content-Security-Policy (django-csp), HSTS."""

import pytest
from django.test import Client

from tests.support.common import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "right-horse-battery-staple"


@pytest.fixture
def person(db):
    user = make_user("carol", "requesters")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client: Client, path: str, password: str):
    return client.post(path, {"username": "carol", "password": password})


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_the_sixth_wrong_password_is_locked_out_and_then_the_right_one_too(person, path, settings):
    assert settings.AXES_ENABLED and settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    answers = [sign_in(client, path, "wrong").status_code for _ in range(5)]
    assert answers == [200] * 4 + [429]  # the form again with its error; the fifth failure locks

    assert sign_in(client, path, "wrong").status_code == 429
    locked = sign_in(client, path, PASSWORD)

    assert locked.status_code == 429 and "Sign-in locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_after_the_cool_off_the_right_password_works_again(person, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    client = Client()
    for _ in range(6):
        sign_in(client, "/accounts/login/", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME * 2 * _an_hour())

    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 302


def _an_hour():
    from datetime import timedelta

    return timedelta(hours=1)


def test_a_right_password_before_the_limit_resets_the_count(person):
    client = Client()
    for _ in range(4):
        sign_in(client, "/accounts/login/", "wrong")
    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "/accounts/login/", "wrong")
    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 302


@pytest.mark.parametrize("path", ["/accounts/login/", "/requests/new/", "/api/v1/docs/", "/admin/login/"])
def test_pages_carry_a_strict_content_security_policy(path, client, person):
    client.force_login(person)
    policy = client.get(path)["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_portal_pages_have_no_inline_script_or_style(client, person):
    """What the policy would block: inline <script> bodies, <style> blocks, style="" attributes."""
    import re

    client.force_login(person)
    for path in ["/accounts/login/", "/requests/new/", "/requests/", "/catalog/", "/api/v1/docs/"]:
        page = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page), path
        assert "<style" not in page and " style=" not in page, path


def test_hsts_is_sent_over_https_behind_the_tls_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000

    response = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")

    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_the_api_docs_page_loads_its_start_up_script_as_a_file(client):
    page = client.get("/api/v1/docs/").content.decode()
    script = client.get("/api/v1/docs/?script=")

    assert "/api/v1/docs/?script=" in page
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
