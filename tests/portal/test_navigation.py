"""Role-aware navigation (every link a role sees opens for it: no 403) and the styled error pages."""

import pytest
from django.test import Client
from django.urls import reverse

from core import roles
from tests.support.common import make_user

pytestmark = pytest.mark.django_db

ROLES = {
    "requester": ((roles.REQUESTERS,), False),
    "approver": ((roles.PLATFORM_APPROVERS,), True),
    "auditor": ((roles.AUDITORS,), False),
    "nobody": ((), False),
}


def nav_links(client) -> dict[str, str]:
    return {entry["label"]: entry["url"] for entry in client.get(reverse("home")).context["navigation"]}


@pytest.mark.parametrize("role", ROLES)
def test_every_navigation_link_opens_for_its_role(client, role):
    groups, staff = ROLES[role]
    client.force_login(make_user(f"user-{role}", *groups, is_staff=staff))
    links = nav_links(client)
    assert links or not groups, "every person with a role has a navigation"
    for label, url in links.items():
        assert client.get(url).status_code == 200, f"{role}: {label} ({url})"


def test_each_role_sees_its_own_entries(client):
    expected = {
        "requester": ["New request", "My requests", "Catalog", "Replication health"],
        "approver": ["Waiting for you", "All requests", "Catalog", "Replication health", "Audit", "Admin"],
        "auditor": ["All requests", "Catalog", "Replication health", "Audit"],
        "nobody": [],  # no role, nothing to read (portal-visibility): the home page says whom to ask
    }
    for role, (groups, staff) in ROLES.items():
        person = Client()
        person.force_login(make_user(f"who-{role}", *groups, is_staff=staff))
        assert list(nav_links(person)) == expected[role], role


def test_a_forbidden_page_is_styled_and_says_what_to_do(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("requests:new"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "You cannot open this page" in page and "ask a platform administrator" in page
    assert 'class="topbar"' in page  # the portal's own layout, with its navigation


def test_a_missing_page_is_styled_and_links_onwards(client, requester):
    client.force_login(requester)
    response = client.get("/requests/S3-9999/")
    page = response.content.decode()
    assert response.status_code == 404 and "Nothing here" in page and reverse("requests:catalog") in page


def test_a_server_error_page_is_styled():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Something went wrong on our side" in page and "portal.css" in page


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url.endswith("portal/favicon.svg")


def test_the_footer_links_the_api_docs(client, requester):
    client.force_login(requester)
    assert reverse("api-docs") in client.get(reverse("home")).content.decode()
    assert client.get(reverse("api-docs")).status_code == 200


def test_an_account_without_a_role_is_told_whom_to_ask(client):
    client.force_login(make_user("newcomer"))
    page = client.get(reverse("home")).content.decode()
    assert 'id="no-role"' in page and "Ask a platform administrator" in page
    assert client.get(reverse("requests:list")).status_code == 403


def test_an_account_with_a_role_is_not_told_it_has_none(client, requester):
    client.force_login(requester)
    assert 'id="no-role"' not in client.get(reverse("home")).content.decode()
