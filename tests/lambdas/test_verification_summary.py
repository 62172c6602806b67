"""checksum-validator: one verification summary per primary bucket and invocation, on moto's SNS."""

import json
from pathlib import Path

import jsonschema
import pytest
from botocore.exceptions import ClientError

from lambdas.checksum_validator import summary
from lambdas.checksum_validator.handler import handler
from lambdas.checksum_validator.summary import SUMMARY_SCHEMA

pytestmark = pytest.mark.db_independent

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "schemas/replication/verification-summary.schema.json").read_text()
)


@pytest.fixture
def summary_queue(pipeline, monkeypatch):
    """A summary topic delivering raw to a queue the test reads."""
    topic_arn = pipeline.sns.create_topic(Name=f"summaries-{pipeline.suffix}")["TopicArn"]
    queue_url, queue_arn = pipeline.queue(f"summaries-{pipeline.suffix}")
    pipeline.sns.subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    monkeypatch.setenv("SUMMARY_TOPIC_ARN", topic_arn)
    return queue_url


def test_verified_versions_are_counted_once_per_invocation_and_failures_are_not(pipeline, summary_queue):
    for index in range(3):
        version = pipeline.put_primary(f"ok/{index}.csv", b"same")
        pipeline.replicate(f"ok/{index}.csv", version)
    version = pipeline.put_primary("bad.csv", b"original")
    pipeline.replicate("bad.csv", version, body=b"corrupt!")
    messages = pipeline.receive(pipeline.validation_queue_url, expected=4)

    assert handler(pipeline.sqs_event(messages, pipeline.validation_queue_arn), None) == {
        "batchItemFailures": []
    }

    [published] = pipeline.receive(summary_queue)
    document = json.loads(published["Body"])
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert document["schema"] == SUMMARY_SCHEMA and document["verified"] == 3
    assert (document["primary"], document["replica"]) == (
        {"bucket": pipeline.primary},
        {"bucket": pipeline.replica, "region": "us-east-1"},
    )


def test_an_invocation_that_verified_nothing_publishes_nothing(pipeline, summary_queue):
    pipeline.put_primary("pending.csv", b"not replicated yet")
    messages = pipeline.receive(pipeline.validation_queue_url)
    response = handler(pipeline.sqs_event(messages, pipeline.validation_queue_arn), None)
    assert len(response["batchItemFailures"]) == 1  # PENDING: retried
    assert pipeline.receive(summary_queue, expected=0, attempts=1) == []


def test_a_summary_that_cannot_be_published_never_fails_the_verified_records(
    pipeline, summary_queue, monkeypatch
):
    monkeypatch.setenv("SUMMARY_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:no-such-topic")
    version = pipeline.put_primary("ok.csv", b"same")
    pipeline.replicate("ok.csv", version)
    messages = pipeline.receive(pipeline.validation_queue_url)
    with pytest.raises(ClientError):  # the topic really does not exist
        summary.aws.client("sns").publish(
            TopicArn="arn:aws:sns:eu-west-1:123456789012:no-such-topic", Message="x"
        )
    assert handler(pipeline.sqs_event(messages, pipeline.validation_queue_arn), None) == {
        "batchItemFailures": []
    }
