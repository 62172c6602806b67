"""The REST API: success and error shapes, idempotency, decisions, catalog, audit, schema."""

import csv
import io
import re

import pytest

from core.models import AuditEntry
from requests_app.models import BucketRequest, RequestStatus
from tests.support.requests import APPROVED_STATES, plan_made, prod_input, rita_input, token_client

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/s3-requests/"


def submit(client, body, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(REQUESTS, body, format="json", **headers, **extra)


def test_submission_answers_201_with_the_documented_fields(backstage):
    response = submit(backstage, prod_input())
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == "S3-0001"
    assert body["bucketName"] == "goldenpath-prod-payments-api-uploads"
    assert body["status"] == "pending_approval"
    assert body["approvalRequired"] is True
    assert body["approvalReasons"] == [
        {"code": "environment", "message": "prod buckets need platform approval."}
    ]
    assert body["warnings"] == []
    assert body["links"] == {
        "api": "http://testserver/api/v1/s3-requests/S3-0001/",
        "portal": "http://testserver/requests/S3-0001/",
    }
    stored = BucketRequest.objects.get(request_id="S3-0001")
    assert stored.submitted_by.username == "svc-backstage" and stored.requester == "rita"


def test_invalid_input_answers_400_with_problems_per_field(backstage):
    response = submit(backstage, rita_input(application="Bad_Name", costAlertGb=0, owner="nobody-team"))
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert {p["field"] for p in problems} >= {"application", "costAlertGb"}
    assert all(p["message"] and p["severity"] == "error" for p in problems)
    assert not BucketRequest.objects.exists()


def test_an_unknown_team_is_a_problem_on_the_owner_field(backstage):
    response = submit(backstage, rita_input(owner="nobody-team"))
    assert response.status_code == 400
    assert [p["field"] for p in response.json()["problems"]] == ["owner"]


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ("null", "application/json"),
        ('{"application": 42, "tags": "x", "unknownField": 1}', "application/json"),
    ],
)
def test_malformed_bodies_answer_400_never_500(backstage, body, content_type):
    response = backstage.post(REQUESTS, body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["problems"]


def test_same_key_and_body_return_the_same_request(backstage):
    first = submit(backstage, prod_input(), key="bs-123")
    again = submit(backstage, prod_input(), key="bs-123")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert BucketRequest.objects.count() == 1
    assert AuditEntry.objects.filter(action="request.submitted").count() == 1


def test_same_key_with_another_body_is_refused_with_409(backstage):
    submit(backstage, prod_input(), key="bs-123")
    response = submit(backstage, prod_input(costAlertGb=200), key="bs-123")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency-conflict"
    assert BucketRequest.objects.count() == 1


def test_keys_are_scoped_to_the_account(backstage, team_member, api):
    submit(backstage, prod_input(), key="shared")
    api.force_login(team_member)
    response = submit(api, prod_input(application="ledger", costAlertGb=300), key="shared")
    assert response.status_code == 201 and response.json()["id"] == "S3-0002"


def test_preview_derives_without_saving(backstage):
    response = backstage.post(f"{REQUESTS}preview/", prod_input(), format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] and body["bucketName"] == "goldenpath-prod-payments-api-uploads"
    assert body["approval"]["required"] is True
    assert any(entry["path"] == "spec.encryption.type" for entry in body["applied"])
    assert not BucketRequest.objects.exists()


def test_preview_reports_problems_with_200(backstage):
    body = backstage.post(f"{REQUESTS}preview/", rita_input(costAlertGb=-1), format="json").json()
    assert body["valid"] is False and body["problems"][0]["field"] == "costAlertGb"


def test_list_filters_and_paginates(backstage):
    submit(backstage, rita_input())
    submit(backstage, prod_input())
    body = backstage.get(REQUESTS, {"environment": "prod"}).json()
    assert body["count"] == 1 and body["results"][0]["environment"] == "prod"
    assert backstage.get(REQUESTS, {"status": "pending_approval"}).json()["count"] == 1
    assert backstage.get(REQUESTS, {"owner": "web-team"}).json()["count"] == 0


def test_a_person_signed_in_submits_as_themselves(team_member, api):
    api.force_login(team_member)
    response = submit(api, rita_input(requester="someone-else"))
    assert response.status_code == 201 and response.json()["requester"] == "rita"
    assert BucketRequest.objects.get().requester == "rita"


def test_requesters_see_their_own_and_their_teams_requests_only(backstage, team_member, api, teams):
    submit(backstage, prod_input())  # names rita: hers
    submit(backstage, prod_input(application="other-app", requester="someone", owner="web-team"))
    api.force_login(team_member)
    assert [r["id"] for r in api.get(REQUESTS).json()["results"]] == ["S3-0001"]
    assert api.get(f"{REQUESTS}S3-0002/").status_code == 404


def test_approve_through_the_api_follows_the_rules(backstage, approver, api):
    submit(backstage, prod_input())
    plan_made(BucketRequest.objects.get(request_id="S3-0001"))
    api.force_login(approver)
    missing_comment = api.post(f"{REQUESTS}S3-0001/approve/", {}, format="json")
    assert missing_comment.status_code == 400 and missing_comment.json()["code"] == "comment-required"
    request = BucketRequest.objects.get(request_id="S3-0001")
    response = api.post(
        f"{REQUESTS}S3-0001/approve/", {"comment": "reviewed", **seen(request)}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] in APPROVED_STATES
    assert response.json()["approvals"][0]["approver"] == "alex"
    again = api.post(f"{REQUESTS}S3-0001/reject/", {"comment": "oops"}, format="json")
    assert again.status_code == 409


def seen(request) -> dict:
    """What an approver's client sends: the contract and plan it showed the person."""
    return {"contractHash": request.contract_hash, "planHash": request.plan_hash}


def test_an_approval_through_the_api_names_the_contract_and_plan_it_approves(backstage, approver, api):
    """A client that never fetched the plan cannot approve it blind; rejecting needs no plan."""
    submit(backstage, prod_input())
    request = BucketRequest.objects.get(request_id="S3-0001")
    plan_made(request)
    api.force_login(approver)
    for partial in ({}, {"contractHash": request.contract_hash}, {"planHash": request.plan_hash}):
        blind = api.post(f"{REQUESTS}S3-0001/approve/", {"comment": "looks fine", **partial}, format="json")
        assert blind.status_code == 400 and blind.json()["code"] == "unseen", blind.json()
    assert not request.approvals.exists()
    reject = api.post(f"{REQUESTS}S3-0001/reject/", {"comment": "no"}, format="json")
    assert reject.status_code == 200


def test_a_nul_in_a_decision_comment_is_refused_with_400(backstage, approver, api):
    submit(backstage, prod_input())
    api.force_login(approver)
    response = api.post(f"{REQUESTS}S3-0001/approve/", {"comment": "ok\x00"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "comment-invalid"
    assert not BucketRequest.objects.get().approvals.exists()


def test_a_requester_cannot_approve_through_the_api(backstage, team_member, api):
    submit(backstage, prod_input())
    api.force_login(team_member)
    response = api.post(f"{REQUESTS}S3-0001/approve/", {"comment": "mine"}, format="json")
    assert response.status_code == 403
    assert BucketRequest.objects.get().status == RequestStatus.PENDING_APPROVAL


def test_catalog_list(backstage):
    from requests_app import catalog

    submit(backstage, rita_input())
    catalog.mark_active(
        BucketRequest.objects.get(),
        actor="runner",
        region="us-east-1",
        arn="arn:aws:s3:::goldenpath-dev-payments-api-uploads",
    )
    body = backstage.get("/api/v1/catalog/buckets/", {"status": "active"}).json()
    assert body["count"] == 1
    assert body["results"][0]["arn"] == "arn:aws:s3:::goldenpath-dev-payments-api-uploads"
    assert body["results"][0]["governance"]["encryption"] == "sse-s3"


def test_audit_json_and_streamed_csv(backstage, auditor, api):
    submit(backstage, rita_input())
    submit(backstage, prod_input())
    api.force_login(auditor)
    entries = api.get("/api/v1/audit/", {"environment": "prod"}).json()["results"]
    assert {entry["environment"] for entry in entries} == {"prod"}
    response = api.get("/api/v1/audit/", {"format": "csv", "environment": "prod"})
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:9] == [
        "timestamp_utc",
        "request_id",
        "bucket_name",
        "owner",
        "environment",
        "purpose",
        "action",
        "approver",
        "status",
    ]
    assert {row[4] for row in rows[1:]} == {"prod"}
    assert rows[1][1:7] == [
        "S3-0002",
        "goldenpath-prod-payments-api-uploads",
        "app-team",
        "prod",
        "uploads",
        "request.submitted",
    ]


def test_audit_needs_the_audit_permissions(backstage, team_member, api):
    api.force_login(team_member)
    assert api.get("/api/v1/audit/").status_code == 403
    refused = api.get("/api/v1/audit/", {"format": "csv"})
    assert refused.status_code == 403 and refused["Content-Type"] == "application/json"
    assert "core.export_auditentry" in refused.json()["detail"]


def test_csv_is_only_the_export_not_a_json_page_asked_for_as_csv(backstage, approver, auditor, api):
    """An approver may read the audit pages but not export them: Accept: text/csv must not turn a page
    into an unneutralised "CSV" (nor does it for the auditor: the export is ?format=csv)."""
    submit(backstage, rita_input())
    for person in (approver, auditor):
        api.force_login(person)
        response = api.get("/api/v1/audit/", HTTP_ACCEPT="text/csv")
        assert response.status_code == 406, response.content[:300]
        assert not response["Content-Type"].startswith("text/csv")
    api.force_login(approver)
    assert api.get("/api/v1/audit/", {"format": "csv"}, HTTP_ACCEPT="text/csv").status_code == 403


def test_the_csv_export_answers_get_only_so_a_head_records_no_export(backstage, auditor, api):
    """The export records its checkpoint before the first line: a HEAD would record an export that sent
    nothing. The JSON pages still answer HEAD."""
    from core.models import AuditCheckpoint

    submit(backstage, rita_input())
    api.force_login(auditor)
    checkpoints = AuditCheckpoint.objects.count()

    refused = api.head("/api/v1/audit/", {"format": "csv"})
    assert (refused.status_code, refused["Allow"], refused["Content-Type"]) == (
        405,
        "GET",
        "application/json",
    )
    assert AuditCheckpoint.objects.count() == checkpoints
    assert api.head("/api/v1/audit/").status_code == 200


def test_an_unknown_environment_for_the_csv_export_is_a_json_400(auditor, api):
    api.force_login(auditor)
    refused = api.get("/api/v1/audit/", {"format": "csv", "environment": "nowhere"})
    assert (refused.status_code, refused["Content-Type"]) == (400, "application/json")
    assert "Unknown environment 'nowhere'" in refused.json()["detail"]


def test_anonymous_callers_get_401_with_a_bearer_challenge(api):
    response = api.get(REQUESTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_openapi_schema_documents_the_submission(api):
    response = api.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    post = schema["paths"]["/api/v1/s3-requests/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert set(post["responses"]) >= {"201", "400", "409"}
    body_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][body_ref]["properties"]
    assert {"application", "purposeType", "costAlertGb", "corsAllowedOrigins", "tags"} <= set(properties)
    environment_ref = properties["environment"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][environment_ref]["enum"] == ["dev", "test", "staging", "prod"]
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_the_interactive_api_page_uses_local_assets(api, approver):
    api.force_login(approver)
    page = api.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    # Every script and stylesheet is this site's own (a bare "cdn" could occur inside a CSRF token).
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert "cdn." not in page.lower()


def test_a_token_without_the_submit_scope_cannot_submit(service_account, teams):
    reader = token_client(service_account, "read")
    assert submit(reader, rita_input()).status_code == 403
    assert reader.get(REQUESTS).status_code == 200
