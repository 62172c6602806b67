"""Content-Security-Policy (django-csp), HSTS. Login lockout: test_login_lockout.py."""

import pytest

from tests.support.common import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return make_user("carol", "requesters")


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
