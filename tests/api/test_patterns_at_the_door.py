"""Values that only a lax pattern accepted are refused where they come in: the API and the import."""

import pytest

from requests_app.imports import FAILED, import_contract_file
from requests_app.models import BucketRequest
from tests.contract.cases import SEED_CONTRACT
from tests.support.requests import rita_input

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/s3-requests/"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requester", "rita\n"),
        ("application", "payments-api\n"),
        ("costCenter", "payments-١٢٣"),
        ("owner", "app-team\n"),
    ],
)
def test_the_api_refuses_a_trailing_newline_or_non_ascii_digits(backstage, field, value):
    response = backstage.post(REQUESTS, rita_input(**{field: value}), format="json")

    assert response.status_code == 400
    assert field in {problem["field"] for problem in response.json()["problems"]}
    assert not BucketRequest.objects.exists()


def test_an_import_with_a_non_ascii_request_id_is_refused(tmp_path, teams):
    path = tmp_path / "contract.yaml"
    path.write_text(SEED_CONTRACT.replace("id: S3-0001", "id: S3-٠١٠٠"))

    outcome = import_contract_file(str(path), actor="import")

    assert outcome.status == FAILED and "id" in outcome.message
    assert not BucketRequest.objects.exists()


def test_a_request_id_header_with_a_newline_is_not_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123\n")

    assert response["X-Request-ID"] != "abc-123\n" and "\n" not in response["X-Request-ID"]
