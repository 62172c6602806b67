"""NUL characters (found by schemathesis on PostgreSQL, where they failed as 500s) get a clear 400."""

import pytest

from requests_app.models import BucketRequest
from tests.support.requests import rita_input

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/s3-requests/?owner=a%00b", "/api/v1/replication/health/?%00=x"])
def test_a_nul_in_an_api_query_is_refused_with_400(backstage, path):
    response = backstage.get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "null-character"


@pytest.mark.parametrize(
    "path", ["/api/v1/s3-requests/S3-00%0001/", "/api/v1/s3-requests/S3-00%0001/approve/"]
)
def test_a_nul_in_an_api_path_is_refused_with_400(backstage, path):
    response = backstage.get(path)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Paths may not contain NUL characters (%00).",
        "code": "null-character",
    }


def test_a_nul_in_a_page_path_is_refused_with_400(client, team_member):
    client.force_login(team_member)
    response = client.get("/catalog/bucket%00/")
    assert (response.status_code, response.content) == (400, b"Paths may not contain NUL characters (%00).")


def test_a_nul_in_a_page_query_is_refused_with_400(client, team_member):
    client.force_login(team_member)
    response = client.get("/requests/?q=%00")
    assert (response.status_code, response.content) == (
        400,
        b"Query parameters may not contain NUL characters (%00).",
    )


@pytest.mark.parametrize(
    "field, value",
    [("purposeDescription", "Receipts\x00 uploaded by users"), ("tags", {"team\x00": "payments"})],
)
def test_a_nul_in_a_submitted_field_is_a_problem_of_that_field_and_saves_nothing(backstage, field, value):
    response = backstage.post("/api/v1/s3-requests/", rita_input(**{field: value}), format="json")
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {
            "field": field,
            "path": field,
            "code": "null-character",
            "severity": "error",
            "message": "Text may not contain NUL characters.",
        }
    ]
    assert not BucketRequest.objects.exists()
