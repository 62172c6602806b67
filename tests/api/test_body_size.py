"""A body the API will not read (over DATA_UPLOAD_MAX_MEMORY_SIZE, or a form with too many fields) is the
API's own JSON refusal, on every endpoint that reads one, and nothing is saved."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditEntry
from requests_app.models import BucketRequest
from tests.support.requests import rita_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def rita_client(team_member):
    client = APIClient()
    client.force_login(team_member)
    return client


def oversized_json(settings) -> str:
    """A valid request whose padding takes it past the limit: read whole, it would be filed."""
    return json.dumps(rita_input()) + " " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)


@pytest.mark.parametrize("route", ["requests-api:request-list", "requests-api:request-preview"])
def test_an_oversized_json_body_is_a_json_413_and_nothing_is_filed(rita_client, settings, route, caplog):
    response = rita_client.post(reverse(route), oversized_json(settings), content_type="application/json")

    assert response.status_code == 413, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "body-too-large"
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in response.json()["detail"]
    assert not BucketRequest.objects.exists() and not AuditEntry.objects.exists()
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_a_body_just_under_the_limit_is_read(rita_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    body = json.dumps(rita_input())
    body += " " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - len(body))
    response = rita_client.post(reverse("requests-api:request-list"), body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]


def test_a_form_with_too_many_fields_is_a_json_400(rita_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    form = {f"field{number}": "x" for number in range(11)}
    response = rita_client.post(reverse("requests-api:request-preview"), form)

    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "too-many-fields"
