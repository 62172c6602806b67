"""checksum-validator end to end on moto: S3 -> EventBridge -> SQS -> handler -> failure queue / retry.

moto does not replicate, so each test plays S3 replication itself with ``pipeline.replicate``.
"""

import json
from urllib.parse import quote_plus

import pytest

from lambdas.checksum_validator.handler import handler

pytestmark = pytest.mark.db_independent

MIB = 1024 * 1024


def validator_lines(caplog) -> list[dict]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "bucketwise.replication" and record.getMessage().startswith("{")
    ]


def run_validator(pipeline, messages, queue_arn=None) -> dict:
    response = handler(pipeline.sqs_event(messages, queue_arn or pipeline.validation_queue_arn), None)
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    pipeline.delete(pipeline.validation_queue_url, messages, failed)
    return response


@pytest.fixture(autouse=True)
def info_logs(caplog):
    caplog.set_level("INFO", logger="bucketwise.replication")


def test_identical_single_part_object_is_verified(pipeline, caplog):
    version = pipeline.put_primary("reports/q1.csv", b"a,b\n1,2\n")
    pipeline.replicate("reports/q1.csv", version)

    response = run_validator(pipeline, pipeline.receive(pipeline.validation_queue_url))

    assert response == {"batchItemFailures": []}
    [line] = validator_lines(caplog)
    assert (line["verdict"], line["version"], line["bytes_read"]) == ("VERIFIED", version, 0)
    assert line["method"].startswith("checksum-") or line["method"] == "etag-md5"
    assert pipeline.receive(pipeline.failure_queue_url, expected=0, attempts=1) == []


def test_multipart_replica_with_other_part_size_is_verified_by_content(pipeline, caplog):
    body = bytes(range(256)) * (11 * MIB // 256)
    version = pipeline.put_primary("media/film.bin", body, ChecksumAlgorithm="SHA256")
    pipeline.replicate("media/film.bin", version, part_size=5 * MIB)

    response = run_validator(pipeline, pipeline.receive(pipeline.validation_queue_url))

    assert response == {"batchItemFailures": []}
    [line] = validator_lines(caplog)
    assert (line["verdict"], line["method"], line["bytes_read"]) == (
        "VERIFIED",
        "stream-sha256",
        2 * len(body),
    )


def test_one_flipped_byte_is_a_mismatch_reported_without_retry(pipeline, caplog):
    body = b"x" * 4096
    version = pipeline.put_primary("db/dump.sql", body)
    pipeline.replicate("db/dump.sql", version, body=body[:100] + b"y" + body[101:])

    response = run_validator(pipeline, pipeline.receive(pipeline.validation_queue_url))

    assert response == {"batchItemFailures": []}
    [line] = validator_lines(caplog)
    assert (line["verdict"], line["reason"]) == ("MISMATCH", "CONTENT_MISMATCH")
    [reported] = pipeline.receive(pipeline.failure_queue_url)
    document = json.loads(reported["Body"])
    assert (document["verdict"], document["key"], document["version_id"]) == (
        "MISMATCH",
        "db/dump.sql",
        version,
    )
    assert document["replica"] == {"bucket": pipeline.replica, "region": "us-east-1"}
    assert pipeline.receive(pipeline.validation_queue_url, expected=0, attempts=1) == []


def test_a_failure_for_an_event_without_version_id_names_the_version_compared(pipeline):
    body = b"x" * 4096
    version = pipeline.put_primary("db/latest.sql", body)
    pipeline.replicate("db/latest.sql", version, body=b"y" + body[1:])
    event = json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "eventTime": "2026-01-01T00:00:00Z",
                    "s3": {"bucket": {"name": pipeline.primary}, "object": {"key": "db/latest.sql"}},
                }
            ]
        }
    )

    response = handler(
        pipeline.sqs_event(
            [{"MessageId": "m-1", "ReceiptHandle": "r", "Body": event}], pipeline.validation_queue_arn
        ),
        None,
    )

    assert response == {"batchItemFailures": []}
    [reported] = pipeline.receive(pipeline.failure_queue_url)
    document = json.loads(reported["Body"])
    assert (document["verdict"], document["version_id"]) == ("MISMATCH", version)


def test_sse_kms_objects_are_verified(pipeline, caplog):
    primary_key = pipeline.kms_key("eu-west-1")
    replica_key = pipeline.kms_key("us-east-1")
    version = pipeline.put_primary(
        "secret/plan.pdf", b"%PDF-1.7 plans", ServerSideEncryption="aws:kms", SSEKMSKeyId=primary_key
    )
    pipeline.replicate("secret/plan.pdf", version, ServerSideEncryption="aws:kms", SSEKMSKeyId=replica_key)

    response = run_validator(pipeline, pipeline.receive(pipeline.validation_queue_url))

    assert response == {"batchItemFailures": []}
    [line] = validator_lines(caplog)
    assert line["verdict"] == "VERIFIED"
    assert line["method"] != "etag-md5", "an SSE-KMS ETag is not an MD5 and proves nothing"


@pytest.mark.parametrize("key", ["quarterly reports/Q1 summary.txt", "données/résumé-été ☀.txt"])
def test_keys_with_spaces_and_non_ascii_through_eventbridge(pipeline, caplog, key):
    version = pipeline.put_primary(key, b"content")
    pipeline.replicate(key, version)

    response = run_validator(pipeline, pipeline.receive(pipeline.validation_queue_url))

    assert response == {"batchItemFailures": []}
    [line] = validator_lines(caplog)
    assert (line["key"], line["verdict"]) == (key, "VERIFIED")


def test_direct_s3_notification_with_url_encoded_key(pipeline, caplog):
    key = "c++ notes/ünïcode 50%+more.txt"
    direct_queue_url, direct_queue_arn = pipeline.queue(f"direct-{pipeline.suffix}")
    pipeline.s3.put_bucket_notification_configuration(
        Bucket=pipeline.primary,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": direct_queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    version = pipeline.put_primary(key, b"plus and percent")
    pipeline.replicate(key, version)
    messages = pipeline.receive(direct_queue_url, expected=2)
    bodies = [json.loads(message["Body"]) for message in messages]
    assert [body.get("Event") for body in bodies] == ["s3:TestEvent", None], "S3 sends a test event first"
    assert bodies[1]["Records"][0]["s3"]["object"]["key"] == quote_plus(key)

    response = handler(pipeline.sqs_event(messages, direct_queue_arn), None)

    assert response == {"batchItemFailures": []}
    [line] = validator_lines(caplog)
    assert (line["key"], line["verdict"]) == (key, "VERIFIED")


def test_tag_events_and_delete_markers_are_skipped(pipeline, caplog):
    all_events_url, all_events_arn = pipeline.queue(f"all-s3-events-{pipeline.suffix}")
    pipeline.rule_to(
        all_events_arn,
        {
            "source": ["aws.s3"],
            "detail-type": [{"anything-but": "Object Created"}],
            "detail": {"bucket": {"name": [pipeline.primary]}},
        },
    )
    pipeline.put_primary("tmp/file.txt", b"soon gone")
    pipeline.s3.put_object_tagging(
        Bucket=pipeline.primary, Key="tmp/file.txt", Tagging={"TagSet": [{"Key": "team", "Value": "data"}]}
    )
    marker = pipeline.s3.delete_object(Bucket=pipeline.primary, Key="tmp/file.txt")
    messages = pipeline.receive(all_events_url, expected=2)
    assert {json.loads(message["Body"])["detail-type"] for message in messages} == {"Object Tags Added"}
    # moto emits no EventBridge event for a delete marker: this one is built in the shape AWS documents.
    messages.append(
        {
            "MessageId": "delete-marker",
            "ReceiptHandle": "r",
            "Body": json.dumps(
                {
                    "version": "0",
                    "source": "aws.s3",
                    "detail-type": "Object Deleted",
                    "time": "2026-01-01T00:00:00Z",
                    "detail": {
                        "bucket": {"name": pipeline.primary},
                        "deletion-type": "Delete Marker Created",
                        "object": {"key": "tmp/file.txt", "version-id": marker["VersionId"]},
                    },
                }
            ),
        }
    )

    response = handler(pipeline.sqs_event(messages, all_events_arn), None)

    assert response == {"batchItemFailures": []}
    reasons = {(line["verdict"], line["reason"]) for line in validator_lines(caplog)}
    assert reasons == {("SKIPPED", "NOT_AN_OBJECT_CREATION"), ("SKIPPED", "DELETE_MARKER")}
    assert pipeline.receive(pipeline.failure_queue_url, expected=0, attempts=1) == []


def test_events_from_a_replica_bucket_are_skipped(pipeline, caplog):
    body = json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "eventTime": "2026-01-01T00:00:00Z",
                    "s3": {"bucket": {"name": pipeline.replica}, "object": {"key": "a"}},
                }
            ]
        }
    )
    response = handler(
        pipeline.sqs_event(
            [{"MessageId": "m-1", "ReceiptHandle": "r", "Body": body}], pipeline.validation_queue_arn
        ),
        None,
    )

    assert response == {"batchItemFailures": []}
    [line] = validator_lines(caplog)
    assert (line["verdict"], line["reason"]) == ("SKIPPED", "OBJECT_IS_REPLICA")


def test_batch_of_ten_with_one_unreplicated_object_retries_exactly_that_record(pipeline, caplog):
    for number in range(10):
        version = pipeline.put_primary(f"batch/{number}.txt", f"object {number}".encode())
        if number != 7:
            pipeline.replicate(f"batch/{number}.txt", version)
    messages = pipeline.receive(pipeline.validation_queue_url, expected=10)
    assert len(messages) == 10
    late = next(m for m in messages if json.loads(m["Body"])["detail"]["object"]["key"] == "batch/7.txt")

    response = run_validator(pipeline, messages)

    assert response == {"batchItemFailures": [{"itemIdentifier": late["MessageId"]}]}
    verdicts = sorted(line["verdict"] for line in validator_lines(caplog))
    assert verdicts == ["PENDING"] + ["VERIFIED"] * 9


def test_unreadable_message_goes_to_the_failure_queue_with_its_body(pipeline):
    response = handler(
        pipeline.sqs_event(
            [{"MessageId": "m-1", "ReceiptHandle": "r", "Body": "not json"}], pipeline.validation_queue_arn
        ),
        None,
    )

    assert response == {"batchItemFailures": []}
    [reported] = pipeline.receive(pipeline.failure_queue_url)
    document = json.loads(reported["Body"])
    assert (document["verdict"], document["reason"], document["raw_event"]) == (
        "ERROR",
        "MALFORMED_EVENT",
        "not json",
    )


def test_failure_queue_unavailable_keeps_the_record_for_retry(pipeline, monkeypatch):
    monkeypatch.setenv("FAILURE_QUEUE_URL", pipeline.failure_queue_url + "-missing")
    response = handler(
        pipeline.sqs_event(
            [{"MessageId": "m-1", "ReceiptHandle": "r", "Body": "not json"}], pipeline.validation_queue_arn
        ),
        None,
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
