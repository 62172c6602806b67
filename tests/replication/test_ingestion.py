"""The webhook end to end inside Django: verification answers, storage, de-duplication, incidents."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from core.models import AuditEntry
from lambdas.shared.verdicts import Reason, Verdict
from replication.models import BucketPair, Incident, RefusalCount, ReplicationEvent, SnsMessage
from tests.replication.signing import OTHER_TOPIC_ARN, body
from tests.support.replication import failure_document, https_message, make_catalog_entry

pytestmark = pytest.mark.django_db


def refusals() -> dict:
    return dict(RefusalCount.objects.values_list("reason", "count"))


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_notifier_failure_becomes_an_event_of_a_linked_pair_and_opens_an_incident(hook, authority, version):
    entry = make_catalog_entry("orders-prod")
    document = failure_document()
    response = hook(authority.notification(https_message(document), version=version))
    assert response.status_code == 200, response.content
    event = ReplicationEvent.objects.get()
    assert (event.kind, event.reason, event.key, event.version_id) == (
        "MISMATCH",
        "CONTENT_MISMATCH",
        "a/b.csv",
        "v1",
    )
    assert event.dedupe_key == "failure:" + document["failure_id"]
    assert (event.pair.primary_bucket, event.pair.replica_bucket) == ("orders-prod", "orders-prod-replica")
    assert event.pair.catalog_entry == entry
    assert event.sns_message.raw["Message"] == https_message(document)
    incident = Incident.objects.get()
    assert (incident.state, incident.reason, incident.event_count) == ("open", "CONTENT_MISMATCH", 1)
    audit = AuditEntry.objects.get(action="replication.incident_opened")
    assert (audit.bucket_name, audit.environment, audit.actor) == ("orders-prod", "prod", "sns")


def test_a_bucket_that_is_not_ours_is_stored_without_a_catalog_link(hook, authority):
    assert (
        hook(authority.notification(https_message(failure_document(primary="elsewhere")))).status_code == 200
    )
    assert BucketPair.objects.get().catalog_entry is None


def test_a_redelivered_message_id_is_acknowledged_and_stored_once(hook, authority):
    envelope = authority.notification(https_message(failure_document()))
    assert hook(envelope).json()["status"] == "accepted"
    again = hook(envelope)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert SnsMessage.objects.count() == 1 and ReplicationEvent.objects.count() == 1
    assert Incident.objects.get().event_count == 1


def test_the_same_failure_published_again_counts_as_a_repeated_report_not_a_new_event(hook, authority):
    message = https_message(failure_document())
    hook(authority.notification(message))
    second = authority.notification(message)  # a new MessageId, the same failure_id
    assert hook(second).json()["status"] == "accepted"
    assert SnsMessage.objects.get(message_id=second["MessageId"]).outcome == "repeated"
    event = ReplicationEvent.objects.get()
    assert event.report_count == 2
    assert Incident.objects.get().event_count == 1


def test_further_failures_of_the_pair_and_reason_join_the_open_incident(hook, authority):
    for key in ("one", "two", "three"):
        hook(authority.notification(https_message(failure_document(key=key))))
    hook(
        authority.notification(
            https_message(failure_document(key="four", verdict=Verdict.MISMATCH, reason=Reason.SIZE_MISMATCH))
        )
    )
    incidents = dict(Incident.objects.values_list("reason", "event_count"))
    assert incidents == {"CONTENT_MISMATCH": 3, "SIZE_MISMATCH": 1}


def test_an_earlier_failure_arriving_late_does_not_move_the_pair_times_back(hook, authority):
    later, earlier = failure_document(key="later"), failure_document(key="earlier")
    later["first_seen"], earlier["first_seen"] = "2026-11-02T11:00:00Z", "2026-11-02T09:00:00Z"
    for document in (later, earlier):
        hook(authority.notification(https_message(document)))
    pair = BucketPair.objects.get()
    moment = datetime(2026, 11, 2, 11, tzinfo=UTC)
    assert (pair.last_event_at, pair.last_failure_at) == (moment, moment)


S3_RECORD = {
    "eventVersion": "2.2",
    "eventSource": "aws:s3",
    "awsRegion": "eu-west-1",
    "eventTime": "2026-11-02T10:00:00.000Z",
    "eventName": "Replication:OperationFailedReplication",
    "s3": {
        "bucket": {"name": "orders-prod", "arn": "arn:aws:s3:::orders-prod"},
        "object": {"key": "reports/2026+Q3.csv", "size": 10, "versionId": "v9"},
    },
    "replicationEventData": {
        "replicationRuleId": "crr",
        "destinationBucket": "arn:aws:s3:::orders-prod-replica",
        "s3Operation": "OBJECT_PUT",
        "requestTime": "2026-11-02T09:59:00Z",
        "failureReason": "AssumeRoleNotPermitted",
    },
}


@pytest.mark.parametrize(
    "event_name, severity, opens_incident",
    [
        ("OperationFailedReplication", "failure", True),
        ("OperationMissedThreshold", "warning", True),
        ("OperationReplicatedAfterThreshold", "warning", True),
        ("OperationNotTracked", "info", False),
    ],
)
def test_s3_replication_events_are_understood(hook, authority, event_name, severity, opens_incident):
    record = {**S3_RECORD, "eventName": f"Replication:{event_name}"}
    if event_name != "OperationFailedReplication":
        record["replicationEventData"] = {**S3_RECORD["replicationEventData"], "failureReason": None}
    assert hook(authority.notification(json.dumps({"Records": [record]}))).status_code == 200
    event = ReplicationEvent.objects.get()
    assert (event.kind, event.severity, event.key) == (event_name, severity, "reports/2026 Q3.csv")
    assert event.pair.replica_bucket == "orders-prod-replica"
    assert (event.incident is not None) == opens_incident
    if event_name == "OperationFailedReplication":
        assert event.reason == "AssumeRoleNotPermitted"


def test_an_overlong_reason_is_shortened_and_an_overlong_bucket_name_is_unreadable(hook, authority):
    record = {
        **S3_RECORD,
        "eventName": "Replication:OperationFailedReplication",
        "replicationEventData": {**S3_RECORD["replicationEventData"], "failureReason": "R" * 500},
    }
    assert hook(authority.notification(json.dumps({"Records": [record]}))).status_code == 200
    assert ReplicationEvent.objects.get().reason == "R" * 100

    named_too_long = {**record, "s3": {**record["s3"], "bucket": {"name": "b" * 300}}}
    response = hook(authority.notification(json.dumps({"Records": [named_too_long]})))
    assert response.status_code == 400 and response.json()["reason"] == "unreadable_message"


def test_an_s3_test_event_is_accepted_without_events(hook, authority):
    response = hook(authority.notification(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})))
    assert response.status_code == 200 and ReplicationEvent.objects.count() == 0


def test_a_signed_message_we_do_not_understand_is_kept_and_answered_400(hook, authority):
    response = hook(authority.notification('{"something": "else"}'))
    assert response.status_code == 400 and response.json()["reason"] == "unreadable_message"
    assert SnsMessage.objects.get().outcome == "unreadable"
    assert refusals() == {"unreadable_message": 1}


@pytest.mark.parametrize(
    "make_body, status, reason",
    [
        (lambda a: b"{not json", 400, "malformed_json"),
        (lambda a: body({**a.notification("x"), "Message": "tampered"}), 403, "bad_signature"),
        (lambda a: body(a.notification("x", topic_arn=OTHER_TOPIC_ARN)), 403, "topic_not_allowed"),
        (
            lambda a: body(a.notification("x", cert_url="https://evil.example/cert.pem")),
            403,
            "certificate_url",
        ),
        (
            lambda a: body(a.notification("x", cert_url="http://sns.eu-west-1.amazonaws.com/c.pem")),
            403,
            "certificate_url",
        ),
        (
            lambda a: body(a.notification("x", timestamp=datetime.now(UTC) - timedelta(days=1))),
            403,
            "stale_timestamp",
        ),
        (lambda a: body(a.notification("x" * 400_000)), 413, "body_too_large"),
    ],
)
def test_every_refusal_is_answered_logged_counted_and_stores_nothing(
    hook, authority, caplog, make_body, status, reason
):
    response = hook(make_body(authority))
    assert response.status_code == status
    assert response.json() == {"status": "refused", "reason": reason}
    assert SnsMessage.objects.count() == 0
    assert refusals() == {reason: 1}
    assert any(getattr(r, "reason", None) == reason for r in caplog.records)


def test_the_hook_needs_no_session_and_no_csrf_token_but_only_accepts_post(hook, client):
    assert client.get("/hooks/sns/replication/").status_code == 405


def test_the_webhook_fetches_certificates_through_the_settings_aware_fetcher():
    """Production behaviour (flag off) is covered in test_dev_certificates.py."""
    from replication import webhook
    from replication.dev_certificates import fetch_certificate

    assert webhook.CERTIFICATES._fetch is fetch_certificate
