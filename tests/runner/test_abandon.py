"""Abandoning a failed request (runner.abandonment): only once nothing of it exists, only by those who
may retry, always with a reason; the request ends cancelled and its bucket name is free again.

The Terraform state is written the way Terraform writes it (local file, or an object in a moto server
bucket for the S3 backend); whether the bucket exists is asked of the moto server.
"""

import json
import socket
import time
from uuid import uuid4

import boto3
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.checking import CheckResult, record_check
from compliance.comparison import Difference
from compliance.models import BucketCompliance, ComplianceState, Finding
from core.models import AuditEntry
from core.tokens import issue_token
from portal.json_input import MAX_JSON_DEPTH
from replication.models import BucketPair, Incident, Severity
from requests_app import catalog
from requests_app.bucket_names import name_holder
from requests_app.catalog import UnaccountedRows
from requests_app.contract import state_key
from requests_app.models import BucketRequest as BucketRequestModel
from requests_app.models import CatalogEntry, RequestStatus
from runner.abandonment import REASON_LIMIT
from runner.aws import CHECK_ATTEMPTS
from runner.models import Run, RunStatus
from tests.contract.cases import request_input
from tests.runner.factories import STATE_BUCKET, failed_request
from tests.support.common import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_state(local_aws, settings, tmp_path):
    """The embedded default: local state files under a fresh folder; AWS is the moto server."""
    settings.TERRAFORM_STATE_DIR = tmp_path
    settings.TERRAFORM_STATE_BUCKET = ""
    return tmp_path


@pytest.fixture
def failed(local_state):
    """A failed request whose catalog entry says failed, as a run that failed during apply leaves it."""
    request, _ = failed_request(raw=unique_input())
    catalog.mark_failed(request, actor="system", reason="BucketAlreadyExists")
    return request


def unique_input() -> dict:
    """A request input whose bucket name no other test uses: the moto server lives for the session."""
    return request_input(application=f"ab{uuid4().hex[:12]}")


def write_state(folder, request, resources: list) -> None:
    path = folder / state_key(request.environment, request.request_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 4, "serial": 3, "resources": resources}))


def resource(kind: str, name: str, *, mode="managed", module="module.bucket", instances=1) -> dict:
    return {
        "module": module,
        "mode": mode,
        "type": kind,
        "name": name,
        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
        "instances": [{"schema_version": 0, "attributes": {}}] * instances,
    }


def abandon(client, request, reason="The name belongs to another account; filed again as uploads2."):
    return client.post(
        f"/api/v1/s3-requests/{request.request_id}/abandon/", {"reason": reason}, format="json"
    )


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_failed_request_with_nothing_made_is_abandoned_and_its_name_freed(failed, approver):
    assert name_holder(failed.bucket_name) == failed

    response = abandon(api(approver), failed)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == RequestStatus.CANCELLED
    failed.refresh_from_db()
    assert failed.status == RequestStatus.CANCELLED
    assert not CatalogEntry.objects.filter(request=failed).exists()
    assert name_holder(failed.bucket_name) is None
    ended = AuditEntry.objects.get(request_id=failed.request_id, action="request.abandon")
    assert ended.actor == "alex"
    assert ended.detail == {
        "from": "failed",
        "to": "cancelled",
        "reason": "The name belongs to another account; filed again as uploads2.",
        "state_resources": 0,
        "bucket_in_account": False,
    }
    removed = AuditEntry.objects.get(request_id=failed.request_id, action="catalog.removed")
    assert removed.detail["bucket_name"] == failed.bucket_name and removed.detail["from"] == "failed"


def test_a_state_holding_resources_refuses_and_names_them(failed, approver, local_state):
    write_state(
        local_state,
        failed,
        [resource("aws_s3_bucket", "this"), resource("aws_s3_bucket_versioning", "this")]
        + [resource("aws_s3_bucket_policy", f"p{i}") for i in range(5)],
    )

    response = abandon(api(approver), failed)

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert (
        "holds 7 resources (module.bucket.aws_s3_bucket.this, module.bucket.aws_s3_bucket_versioning.this"
        in detail
    )
    assert detail.count("aws_s3_bucket_policy") == 3 and ", …)" in detail
    assert "Retry it" in detail
    failed.refresh_from_db()
    assert failed.status == RequestStatus.FAILED and CatalogEntry.objects.filter(request=failed).exists()
    assert not AuditEntry.objects.filter(request_id=failed.request_id, action="request.abandon").exists()


def test_data_sources_and_resources_without_instances_are_nothing_made(failed, approver, local_state):
    write_state(
        local_state,
        failed,
        [
            resource("aws_caller_identity", "current", mode="data"),
            resource("aws_s3_bucket", "this", instances=0),
        ],
    )
    assert abandon(api(approver), failed).status_code == 200


def test_a_state_that_is_not_a_state_document_refuses(failed, approver, local_state):
    path = local_state / state_key(failed.environment, failed.request_id)
    path.parent.mkdir(parents=True)
    for text in (
        "{not json",
        "[1, 2]",
        '{"resources": "all"}',
        '{"resources": [{"mode": "managed", "instances": [{}]}]}',
        "\udcff",
    ):
        path.write_text(text, errors="surrogateescape")
        response = abandon(api(approver), failed)
        assert response.status_code == 409, text
        assert (
            "could not be read" in response.json()["detail"]
            or "not a state document" in response.json()["detail"]
        )
    failed.refresh_from_db()
    assert failed.status == RequestStatus.FAILED


def test_a_bucket_in_the_account_with_an_empty_state_refuses(failed, approver, local_aws, settings):
    """A worker killed after AWS made the bucket and before Terraform wrote its state."""
    boto3.client("s3", endpoint_url=local_aws, region_name=settings.AWS_REGION).create_bucket(
        Bucket=failed.bucket_name
    )

    response = abandon(api(approver), failed)

    assert response.status_code == 409
    assert f"the bucket {failed.bucket_name} exists in the dev account" in response.json()["detail"]
    failed.refresh_from_db()
    assert failed.status == RequestStatus.FAILED


def test_a_bucket_of_another_account_does_not_hold_the_request(failed, approver, local_aws, settings):
    """The usual reason such a request failed: another AWS account owns the name (BucketAlreadyExists)."""
    sts = boto3.client("sts", endpoint_url=local_aws, region_name=settings.AWS_REGION)
    credentials = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/other", RoleSessionName="other")[
        "Credentials"
    ]
    boto3.client(
        "s3",
        endpoint_url=local_aws,
        region_name=settings.AWS_REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    ).create_bucket(Bucket=failed.bucket_name)

    assert abandon(api(approver), failed).status_code == 200


def closed_port() -> int:
    """A loopback port nothing listens on (bound for a moment to find a free one, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_endpoint():
    """A loopback endpoint that accepts connections (the kernel's backlog) and never answers a byte: the
    AWS endpoint that hangs (a proxy that stalls, a firewall that lets the handshake through)."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def warm_boto3() -> None:
    """Load the S3 and STS models once (a second or more on a busy machine), so the time measured is AWS's."""
    boto3.client("s3", region_name="us-east-1")
    boto3.client("sts", region_name="us-east-1")


def assert_refused_unchanged(response, request, words: str) -> None:
    assert response.status_code == 409, response.content
    assert words in response.json()["detail"]
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED and CatalogEntry.objects.filter(request=request).exists()
    assert not AuditEntry.objects.filter(request_id=request.request_id, action="request.abandon").exists()


def test_an_unreachable_aws_refuses_at_once_and_changes_nothing(failed, approver, settings):
    """A closed port refuses the connection: one retry, then the 409, within 2 seconds."""
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{closed_port()}"
    warm_boto3()

    started = time.monotonic()
    response = abandon(api(approver), failed)

    assert time.monotonic() - started < 2
    assert_refused_unchanged(response, failed, "Could not check whether the bucket")


@pytest.mark.parametrize("backend", ["local state: ListBuckets hangs", "S3 state: reading it hangs"])
def test_an_aws_endpoint_that_never_answers_refuses_within_the_bound(
    failed, approver, settings, silent_endpoint, backend
):
    """botocore's defaults would wait 60 s per try, three tries, per call; the page waits at most
    CHECK_ATTEMPTS tries of ABANDON_AWS_TIMEOUT_SECONDS (connect) + the same (read), plus a backoff."""
    settings.AWS_ENDPOINT_URL = silent_endpoint
    settings.ABANDON_AWS_TIMEOUT_SECONDS = 0.5
    if backend.startswith("S3"):
        settings.TERRAFORM_STATE_BUCKET = STATE_BUCKET
    warm_boto3()
    bound = CHECK_ATTEMPTS * 2 * settings.ABANDON_AWS_TIMEOUT_SECONDS + 1 + 1.5  # backoff ≤ 1 s; slack

    started = time.monotonic()
    response = abandon(api(approver), failed)

    assert time.monotonic() - started < bound
    words = "state at s3://" if backend.startswith("S3") else "Could not check whether the bucket"
    assert_refused_unchanged(response, failed, words)


def test_the_s3_backends_state_is_read_the_same_way(local_aws, s3_state, approver):
    request, _ = failed_request(raw=unique_input())
    key = state_key(request.environment, request.request_id)
    s3_state.put_object(
        Bucket=STATE_BUCKET, Key=key, Body=json.dumps({"resources": [resource("aws_s3_bucket", "this")]})
    )
    assert abandon(api(approver), request).status_code == 409

    s3_state.delete_object(Bucket=STATE_BUCKET, Key=key)  # no state yet: nothing made
    assert abandon(api(approver), request).status_code == 200


@pytest.mark.parametrize(
    "reason, problem",
    [
        ("", "Say why"),
        ("   \n ", "Say why"),
        ("x" * (REASON_LIMIT + 1), "the most allowed is 1,000"),
        ("null\x00byte", "NUL"),
    ],
)
def test_a_reason_is_required_and_checked(failed, approver, reason, problem):
    response = abandon(api(approver), failed, reason)

    assert response.status_code == 400
    assert problem in response.json()["detail"] and response.json()["code"] == "reason-invalid"
    failed.refresh_from_db()
    assert failed.status == RequestStatus.FAILED


@pytest.mark.parametrize("body", [[1, 2], "text", 7, {"reason": ["a list"]}, {"reason": {"deep": [[[]]]}}])
def test_a_body_that_is_not_a_reason_is_a_clear_400(failed, approver, body):
    response = api(approver).post(
        f"/api/v1/s3-requests/{failed.request_id}/abandon/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    failed.refresh_from_db()
    assert failed.status == RequestStatus.FAILED


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000, '{"reason": "Not needed."}' + " " * (30 * 1024 * 1024)],
    ids=["100,000 brackets", "a good reason and 30 MiB of whitespace"],
)
def test_a_body_too_deep_or_too_large_is_refused_and_changes_nothing(failed, approver, body, settings):
    """Too deep: portal.json_input's guard (a JSON 400). Too large: Django refuses a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE from its Content-Length, before reading it (DRF reads JSON through
    ``request.body``), and the API answers it as a JSON 413 (core.api.exceptions). Read whole, that body
    would abandon."""
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE or body.startswith("[[[")
    audited = AuditEntry.objects.count()

    response = api(approver).post(
        f"/api/v1/s3-requests/{failed.request_id}/abandon/", body, content_type="application/json"
    )

    if body.startswith("["):
        assert response.status_code == 400
        assert f"more than {MAX_JSON_DEPTH} levels" in response.json()["detail"]
    else:
        assert response.status_code == 413 and response.json()["code"] == "body-too-large"
    failed.refresh_from_db()
    assert failed.status == RequestStatus.FAILED and CatalogEntry.objects.filter(request=failed).exists()
    assert AuditEntry.objects.count() == audited


def test_only_a_failed_request_without_an_active_run_is_abandoned(failed, approver):
    run = Run.objects.get(request=failed)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    assert "has an active run" in abandon(api(approver), failed).json()["detail"]

    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    assert abandon(api(approver), failed).status_code == 200
    again = abandon(api(approver), failed)
    assert again.status_code == 409 and "only a failed request can be abandoned" in again.json()["detail"]
    assert AuditEntry.objects.filter(request_id=failed.request_id, action="request.abandon").count() == 1


def test_who_may_abandon(failed, approver, requester, auditor):
    """The people who may retry: staff platform approvers; a token needs the approve scope."""
    not_staff = make_user("zed", "platform-approvers")
    for user in (requester, auditor, not_staff):
        assert abandon(api(user), failed).status_code == 403, user
    for scopes in (["read"], ["submit"], ["read", "submit"]):
        token = APIClient()
        token.credentials(HTTP_AUTHORIZATION="Bearer " + issue_token(approver, "t", scopes).text)
        assert abandon(token, failed).status_code == 403, scopes
    failed.refresh_from_db()
    assert failed.status == RequestStatus.FAILED

    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION="Bearer " + issue_token(approver, "t", ["approve"]).text)
    assert abandon(token, failed).status_code == 200


def test_the_request_page_offers_abandon_to_approvers_only(client, failed, approver, requester):
    page_url = reverse("requests:detail", args=[failed.request_id])
    abandon_url = reverse("runner:request-abandon", args=[failed.request_id])
    failed.submitted_by = requester
    failed.save()
    client.force_login(requester)
    page = client.get(page_url)
    assert page.status_code == 200 and abandon_url not in page.content.decode()
    assert client.post(abandon_url, {"reason": "mine"}).status_code == 403

    client.force_login(approver)
    assert abandon_url in client.get(page_url).content.decode()
    refused = client.post(abandon_url, {"reason": ""}, follow=True).content.decode()
    assert "Say why the request is abandoned" in refused

    done = client.post(abandon_url, {"reason": "The team moved to another account."}, follow=True)

    assert f"{failed.request_id} abandoned: its bucket name is free again." in done.content.decode()
    assert abandon_url not in done.content.decode()
    failed.refresh_from_db()
    assert failed.status == RequestStatus.CANCELLED


def abandon_and_retry_at_once(request, approver) -> list:
    from runner import abandonment, dispatch
    from tests.support.common import run_at_once

    actions = [
        lambda: abandonment.abandon_request(request, actor=approver, reason="not wanted"),
        lambda: dispatch.retry_request(request, actor=approver),
    ]
    return run_at_once(lambda i: actions[i](), 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_abandon_and_a_retry_at_once_end_one_way(local_state, approver):
    """Both lock the request row: one wins, the other is refused by the state it finds."""
    from runner.dispatch import RunnerError

    for _ in range(3):
        request, _ = failed_request(raw=unique_input())

        results = abandon_and_retry_at_once(request, approver)

        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1 and isinstance(refused[0], RunnerError), results
        request.refresh_from_db()
        abandoned = request.status == RequestStatus.CANCELLED
        assert abandoned or request.status == RequestStatus.QUEUED
        assert request.runs.count() == (1 if abandoned else 2)


def test_a_state_a_run_recorded_elsewhere_counts_too(failed, approver, local_state):
    """Runs record their state key; a key other than today's (an older layout) is read as well."""
    Run.objects.filter(request=failed).update(state_key="legacy/S3-old/terraform.tfstate")
    path = local_state / "legacy/S3-old/terraform.tfstate"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"resources": [resource("aws_s3_bucket", "this")]}))

    response = abandon(api(approver), failed)

    assert response.status_code == 409 and "holds 1 resource (" in response.json()["detail"]


def test_a_retry_between_the_checks_and_the_end_makes_the_abandon_refuse(failed, approver, monkeypatch):
    """The checks run outside the transaction: what they saw must still hold when the request is locked."""
    from runner import abandonment, dispatch

    def retried_meanwhile(request):
        dispatch.retry_request(request, actor="blake")
        run = request.runs.order_by("-pk").first()
        Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
        BucketRequestModel.objects.filter(pk=request.pk).update(status=RequestStatus.FAILED)
        return False

    monkeypatch.setattr(abandonment, "_bucket_in_account", retried_meanwhile)

    response = abandon(api(approver), failed)

    assert response.status_code == 409 and "has a new run since it was checked" in response.json()["detail"]
    failed.refresh_from_db()
    assert failed.status == RequestStatus.FAILED and CatalogEntry.objects.filter(request=failed).exists()


@pytest.mark.parametrize("path", ["abandon", "withdraw"])
def test_a_lone_surrogate_in_a_reason_is_a_400_not_a_500(failed, approver, path):
    response = api(approver).post(
        f"/api/v1/s3-requests/{failed.request_id}/{path}/",
        '{"reason": "bad \\ud800 text"}',
        content_type="application/json",
    )
    assert response.status_code in (400, 403), response.content  # withdraw: not the requester, refused first
    if path == "abandon":
        assert "unpaired surrogate" in response.json()["detail"]


# What abandoning takes from the record, and how the audit trail accounts for it.


def checked(request, *fields) -> None:
    """A compliance check of the request's bucket that found ``fields`` different, recorded as a real one is."""
    entry = CatalogEntry.objects.get(request=request)
    state = ComplianceState.DRIFTED if fields else ComplianceState.COMPLIANT
    differences = [Difference(field, True, False) for field in fields]
    assert record_check(entry, CheckResult(entry.bucket_name, state, differences=differences))


def once_drifted(local_state) -> BucketRequestModel:
    """A failed request whose bucket was active and drifted once (a remediation failed; a person then deleted
    the bucket and emptied its state): its catalog entry has a last check, one open and one cleared finding."""
    request, _ = failed_request(raw=unique_input())
    catalog.mark_active(
        request, actor="runner", region="us-east-1", arn=f"arn:aws:s3:::{request.bucket_name}"
    )
    checked(request, "versioning", "publicAccessBlock.blockPublicAcls")
    checked(request, "versioning")
    catalog.mark_failed(request, actor="runner", reason="The remediation run failed.")
    return request


def trail(request, action: str) -> list[dict]:
    return [entry.detail for entry in AuditEntry.objects.filter(request_id=request.request_id, action=action)]


def test_abandoning_names_every_compliance_row_it_removes_in_the_audit_trail(local_state, approver):
    request = once_drifted(local_state)
    entry = CatalogEntry.objects.get(request=request)

    assert abandon(api(approver), request).status_code == 200

    assert not BucketCompliance.objects.filter(entry_id=entry.pk).exists()
    assert not Finding.objects.filter(entry_id=entry.pk).exists()
    [removed] = trail(request, "catalog.removed")
    went = removed["removed_with_it"]
    assert went["compliance.BucketCompliance"]["count"] == 1
    [last_check] = went["compliance.BucketCompliance"]["rows"]
    assert (last_check["state"], last_check["open_findings"]) == ("drifted", 1) and last_check["checked_at"]
    assert went["compliance.Finding"]["count"] == 2
    assert {(row["field"], row["status"]) for row in went["compliance.Finding"]["rows"]} == {
        ("versioning", "open"),
        ("publicAccessBlock.blockPublicAcls", "cleared"),
    }
    # An auditor's reconciliation: every finding the trail opened was cleared, or removed while open.
    opened = {detail["field"] for detail in trail(request, "compliance.finding_opened")}
    cleared = {detail["field"] for detail in trail(request, "compliance.finding_cleared")}
    open_removed = {row["field"] for row in went["compliance.Finding"]["rows"] if row["status"] == "open"}
    assert opened - cleared == open_removed == {"versioning"}


@pytest.fixture
def compliance_not_answering():
    """compliance's answer to catalog_entry_removing withdrawn: as if a new app hung rows on the entry
    (CASCADE) and never described them."""
    from compliance.removal import rows_removed_with
    from requests_app.signals import catalog_entry_removing

    assert catalog_entry_removing.disconnect(dispatch_uid="compliance.rows_removed_with")
    yield
    catalog_entry_removing.connect(rows_removed_with, dispatch_uid="compliance.rows_removed_with")


def test_rows_no_app_accounts_for_stop_the_removal_and_the_abandon(
    local_state, approver, compliance_not_answering
):
    from runner.abandonment import abandon_request

    request = once_drifted(local_state)

    with pytest.raises(UnaccountedRows, match="compliance.Finding"):
        abandon_request(request, actor=approver, reason="Not needed.")

    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    entry = CatalogEntry.objects.get(request=request)
    assert BucketCompliance.objects.filter(entry=entry).exists() and entry.findings.count() == 2
    assert not trail(request, "catalog.removed") and not trail(request, "request.abandon")


def failed_backups_request():
    """A failed request whose purpose needs a replica: its catalog entry registered a pair ("no data yet")."""
    raw = request_input(
        application=f"ab{uuid4().hex[:12]}", purposeType="backups", storageClass=None, versioning=None
    )
    request, _ = failed_request(raw=raw)
    entry = catalog.mark_failed(request, actor="system", reason="BucketAlreadyExists")
    return request, BucketPair.objects.get(catalog_entry=entry)


def test_abandoning_removes_the_replication_pair_its_catalog_entry_registered(local_state, approver, client):
    request, pair = failed_backups_request()
    client.force_login(approver)
    assert request.bucket_name in client.get("/replication/").content.decode()

    assert abandon(api(approver), request).status_code == 200

    assert not BucketPair.objects.filter(pk=pair.pk).exists()
    assert request.bucket_name not in client.get("/replication/").content.decode()
    [removed] = trail(request, "catalog.removed")
    assert removed["removed_with_it"]["replication.BucketPair"] == {
        "count": 1,
        "rows": [{"primary_bucket": request.bucket_name, "replica_bucket": f"{request.bucket_name}-replica"}],
    }


@pytest.mark.django_db(transaction=True)
def test_evidence_recorded_on_the_pair_while_it_is_removed_refuses_the_abandon(
    local_state, approver, monkeypatch
):
    """A replication worker records an incident on the pair between the removal's look and its commit: the
    database refuses the commit (the pair is referenced again). Stand-in for that worker: the incident is
    written in the abandon's own transaction, after the removal (a second connection cannot be interleaved
    there on SQLite, where one writer holds the whole database)."""
    request, pair = failed_backups_request()
    remove_entry = catalog.remove_entry

    def removal_then_a_workers_incident(*args, **kwargs):
        remove_entry(*args, **kwargs)
        Incident.objects.create(
            pair_id=pair.pk,
            reason="MISMATCH",
            kind="MISMATCH",
            severity=Severity.FAILURE,
            last_event_at=timezone.now(),
        )

    monkeypatch.setattr(catalog, "remove_entry", removal_then_a_workers_incident)
    audited = AuditEntry.objects.count()

    response = abandon(api(approver), request)

    assert response.status_code == 409, response.content
    assert "changed while it was being abandoned" in response.json()["detail"]
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED and CatalogEntry.objects.filter(request=request).exists()
    assert BucketPair.objects.filter(pk=pair.pk).exists() and AuditEntry.objects.count() == audited


def test_a_pair_holding_replication_evidence_stays_detached_and_audited(local_state, approver):
    request, pair = failed_backups_request()
    Incident.objects.create(
        pair=pair, reason="MISMATCH", kind="MISMATCH", severity=Severity.FAILURE, last_event_at=timezone.now()
    )

    assert abandon(api(approver), request).status_code == 200

    pair.refresh_from_db()
    assert pair.catalog_entry is None and pair.incidents.count() == 1
    assert trail(request, "replication.pair_detached") == [
        {
            "primary_bucket": request.bucket_name,
            "replica_bucket": pair.replica_bucket,
            "events": 0,
            "verification_summaries": 0,
            "incidents": 1,
        }
    ]
    [removed] = trail(request, "catalog.removed")
    assert removed["removed_with_it"]["replication.BucketPair"] == {"count": 0, "rows": []}
