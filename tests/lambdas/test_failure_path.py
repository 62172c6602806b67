"""Failure path on moto: PENDING retries through real SQS redrive into the DLQ, then the notifier's SNS
message; permanent failures via the failure queue; the document checked against its JSON Schema."""

import json
from pathlib import Path

import jsonschema
import pytest

from lambdas.checksum_validator.handler import handler as validator
from lambdas.failure_notifier.handler import handler as notifier

pytestmark = pytest.mark.db_independent

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "schemas/replication/failure-notification.schema.json").read_text()
)


@pytest.fixture
def topic(pipeline, monkeypatch):
    """The failure topic with an SQS subscription standing in for the portal's HTTPS endpoint."""
    arn = pipeline.sns.create_topic(Name=f"failures-{pipeline.suffix}")["TopicArn"]
    inbox_url, inbox_arn = pipeline.queue(f"sns-inbox-{pipeline.suffix}")
    pipeline.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=inbox_arn)
    monkeypatch.setenv("TOPIC_ARN", arn)
    monkeypatch.setenv("VALIDATION_MAX_RECEIVE_COUNT", "3")
    return arn, inbox_url


def published(pipeline, inbox_url, expected=1) -> list[dict]:
    return [json.loads(message["Body"]) for message in pipeline.receive(inbox_url, expected=expected)]


def test_missing_replica_is_retried_three_times_then_notified_once_from_the_dlq(pipeline, topic):
    _, inbox_url = topic
    version = pipeline.put_primary("late/object.bin", b"never replicated")

    receive_counts = []
    for _ in range(3):
        [message] = pipeline.receive(pipeline.validation_queue_url)
        receive_counts.append(int(message["Attributes"]["ApproximateReceiveCount"]))
        response = validator(pipeline.sqs_event([message], pipeline.validation_queue_arn), None)
        assert response == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert receive_counts == [1, 2, 3]
    assert (
        pipeline.receive(pipeline.validation_queue_url, expected=0, attempts=1) == []
    )  # moves it to the DLQ
    dead = pipeline.receive(pipeline.validation_dlq_url)
    assert len(dead) == 1

    assert notifier(pipeline.sqs_event(dead, pipeline.validation_dlq_arn), None) == {"batchItemFailures": []}

    [envelope] = published(pipeline, inbox_url)
    document = json.loads(envelope["Message"])
    jsonschema.validate(document, SCHEMA)
    assert (document["verdict"], document["reason"]) == ("PENDING", "RETRIES_EXHAUSTED")
    assert (document["key"], document["version_id"], document["receive_count"]) == (
        "late/object.bin",
        version,
        3,
    )
    assert document["source_queue"] == f"validation-dlq-{pipeline.suffix}"
    assert envelope["Subject"].startswith("[Bucketwise] PENDING in documents-primary-")
    assert envelope["MessageAttributes"]["verdict"]["Value"] == "PENDING"
    assert pipeline.receive(inbox_url, expected=0, attempts=1) == []


def test_mismatch_reaches_sns_through_the_failure_queue(pipeline, topic):
    _, inbox_url = topic
    version = pipeline.put_primary("db/orders.parquet", b"0123456789")
    pipeline.replicate("db/orders.parquet", version, body=b"0123456780")
    validator(
        pipeline.sqs_event(pipeline.receive(pipeline.validation_queue_url), pipeline.validation_queue_arn),
        None,
    )
    reported = pipeline.receive(pipeline.failure_queue_url)

    assert notifier(pipeline.sqs_event(reported, pipeline.failure_queue_arn), None) == {
        "batchItemFailures": []
    }

    [envelope] = published(pipeline, inbox_url)
    document = json.loads(envelope["Message"])
    jsonschema.validate(document, SCHEMA)
    assert (document["verdict"], document["reason"], document["version_id"]) == (
        "MISMATCH",
        "CONTENT_MISMATCH",
        version,
    )
    assert document["primary"] == {"bucket": pipeline.primary}
    assert {"schema", "verdict", "reason", "primary_bucket", "failure_id"} <= set(
        envelope["MessageAttributes"]
    )


def test_publish_failure_is_reported_as_a_batch_item_failure(pipeline, topic, monkeypatch):
    monkeypatch.setenv("TOPIC_ARN", topic[0] + "-deleted")
    body = json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": pipeline.primary}, "object": {"key": "k"}},
                }
            ]
        }
    )
    records = [{"MessageId": "m-1", "ReceiptHandle": "r", "Body": body}]

    response = notifier(pipeline.sqs_event(records, pipeline.validation_dlq_arn), None)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def test_unreadable_dlq_message_is_still_notified(pipeline, topic):
    _, inbox_url = topic
    records = [{"MessageId": "m-1", "ReceiptHandle": "r", "Body": "{broken"}]

    assert notifier(pipeline.sqs_event(records, pipeline.validation_dlq_arn), None) == {
        "batchItemFailures": []
    }

    document = json.loads(published(pipeline, inbox_url)[0]["Message"])
    jsonschema.validate(document, SCHEMA)
    assert (document["verdict"], document["reason"], document["raw_event"]) == (
        "ERROR",
        "MALFORMED_EVENT",
        "{broken",
    )
