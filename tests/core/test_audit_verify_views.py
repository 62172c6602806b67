"""The verification as the API (GET /api/v1/audit/verify/) and the audit page's status box show it."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from core import audit, audit_checkpoints
from core.audit_verify import PAGE_CACHE_KEY
from core.tokens import issue_token
from tests.core.audit_tampering import edit_actor

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit/verify/"


@pytest.fixture
def entries(checkpoint_bucket):
    written = [
        audit.record("test.step", actor="system", detail={"n": n}, environment="dev") for n in range(4)
    ]
    audit_checkpoints.checkpoint_now()
    return written


def token_client(user, *scopes) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(user, 'verify', scopes).text}")
    return api


def test_the_api_reports_an_intact_trail_and_names_an_edited_entry(entries, auditor):
    api = APIClient()
    api.force_authenticate(auditor)
    body = api.get(URL).json()
    assert body["ok"] is True and body["entries"] == 4 and body["checkpoints"] == 1
    assert body["lastCheckpoint"]["entryCount"] == 4 and body["checkpointWrites"]["ok"] is True
    edit_actor(entries[1].id, "mallory")
    body = api.get(URL).json()
    assert body["ok"] is False
    assert [(f["kind"], f["entryId"]) for f in body["findings"]] == [("edited", entries[1].id)]


def test_the_api_needs_the_audit_permission_and_a_read_token(entries, auditor, requester):
    api = APIClient()
    api.force_authenticate(requester)
    assert api.get(URL).status_code == 403
    assert token_client(auditor, "read").get(URL).status_code == 200
    assert token_client(auditor, "submit").get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


def test_the_audit_page_shows_the_verification_box_at_most_a_minute_old(entries, client, auditor, settings):
    settings.AUDIT_PAGE_VERIFY_SECONDS = 60  # tests verify on every view by default (pytest.ini)
    cache.delete(PAGE_CACHE_KEY)
    client.force_login(auditor)
    page = client.get(reverse("requests:audit")).content.decode()
    assert "intact</span>" in page and "against 1 checkpoint in the Object Lock bucket" in page
    edit_actor(entries[2].id, "mallory")
    assert "not intact" not in client.get(reverse("requests:audit")).content.decode()  # the cached result
    cache.delete(PAGE_CACHE_KEY)  # what AUDIT_PAGE_VERIFY_SECONDS later brings
    page = client.get(reverse("requests:audit")).content.decode()
    assert "not intact" in page and f"entry #{entries[2].id} was edited" in page
    cache.delete(PAGE_CACHE_KEY)
