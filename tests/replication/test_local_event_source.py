"""The local event source mapping settles SQS batches as Lambda's does, against moto's real SQS.

Real: moto's SQS (visibility timeouts, receive counts, redrive to the DLQ). The handlers here are
small functions that fail chosen records: what is under test is the settling, not a Lambda.
"""

import json
import subprocess
import sys
import time
import uuid

import boto3
import pytest

from replication.local.description import LocalPipeline
from replication.local.event_source import EventSourceMapping, records_to_keep, sqs_event
from tests.support.common import PROJECT_ROOT

REGION = "us-east-1"


@pytest.fixture
def queues(local_aws_endpoint):
    sqs = boto3.client(
        "sqs",
        region_name=REGION,
        endpoint_url=local_aws_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    suffix = uuid.uuid4().hex[:8]
    dlq_url = sqs.create_queue(QueueName=f"dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName=f"work-{suffix}",
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    yield sqs, url, dlq_url


def mapping(sqs, url, handler):
    return EventSourceMapping(
        sqs=sqs,
        function_name="f",
        handler=handler,
        queue_url=url,
        queue_arn="arn:aws:sqs:us-east-1:123456789012:work",
        region=REGION,
        wait_seconds=0,
    )


def bodies(sqs, url) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
        "Messages", []
    )
    return sorted(message["Body"] for message in messages)


def poll_until(mapping_, condition, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        mapping_.poll_once()
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition never met")


def test_reported_failures_return_and_end_in_the_dlq_while_the_rest_is_deleted(queues):
    sqs, url, dlq_url = queues
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    seen = []

    def handler(event, context):
        seen.extend(
            (record["body"], record["attributes"]["ApproximateReceiveCount"]) for record in event["Records"]
        )
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]}
                for record in event["Records"]
                if record["body"] == "b"
            ]
        }

    worker = mapping(sqs, url, handler)
    poll_until(worker, lambda: ("b", "2") in seen)  # b came back after its visibility timeout
    poll_until(worker, lambda: bodies(sqs, dlq_url) == ["b"])  # and after 2 receives it moved to the DLQ
    assert sorted(seen) == [("a", "1"), ("b", "1"), ("b", "2"), ("c", "1")]
    assert bodies(sqs, url) == []


@pytest.mark.parametrize("outcome", ["raise", "unknown id", "empty id", "not a dict"])
def test_a_crash_or_an_invalid_batch_response_keeps_every_record(queues, outcome):
    sqs, url, _ = queues
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    def handler(event, context):
        if outcome == "raise":
            raise RuntimeError("boom")
        return {
            "unknown id": {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]},
            "empty id": {"batchItemFailures": [{"itemIdentifier": ""}]},
            "not a dict": ["a"],
        }[outcome]

    worker = mapping(sqs, url, handler)
    assert worker.poll_once() == 2
    time.sleep(1.2)  # the records' visibility timeout
    assert bodies(sqs, url) == ["a", "b"]


@pytest.mark.parametrize(
    "response, kept",
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m1"}]}, {"m1"}),
        ({"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "zz"}]}, None),
        ({"batchItemFailures": "m1"}, None),
        ({"batchItemFailures": [{}]}, None),
    ],
)
def test_batch_responses_are_read_as_lambda_reads_them(response, kept):
    assert records_to_keep(response, {"m1", "m2"}) == kept


def test_the_event_has_lambdas_sqs_record_shape():
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r",
        "Body": "{}",
        "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "1"},
    }
    record = sqs_event([message], "arn:aws:sqs:us-east-1:1:q", REGION)["Records"][0]
    assert record == {
        "messageId": "m1",
        "receiptHandle": "r",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
        "awsRegion": REGION,
    }


def test_the_pipeline_and_the_local_aws_import_no_django():
    """The Lambda code path (handlers, event source mapping, local AWS) runs without Django."""
    code = (
        "import sys, replication.local.runtime, replication.local.local_aws, replication.local.provision, "
        "lambdas.checksum_validator.handler, lambdas.failure_notifier.handler; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_the_local_pair_has_the_replication_validation_stacks_names_and_wiring():
    pipeline = LocalPipeline("us-east-1", "us-west-2", "http://127.0.0.1:8000/hooks/sns/replication/")
    assert (pipeline.primary_bucket, pipeline.replica_bucket) == (
        "bucketwise-documents-primary-local",
        "bucketwise-documents-replica-local",
    )
    redrive = {queue.name: (queue.dead_letter_queue, queue.max_receive_count) for queue in pipeline.queues}
    assert redrive["bucketwise-validation-local"] == ("bucketwise-validation-dlq-local", 3)
    assert redrive["bucketwise-failure-local"] == ("bucketwise-failure-dlq-local", 5)
    assert redrive["bucketwise-validation-dlq-local"] == ("bucketwise-failure-dlq-local", 5)
    functions = {f.name: f for f in pipeline.functions({queue.name: queue.name for queue in pipeline.queues})}
    assert functions["bucketwise-failure-notifier-local"].queues == (
        "bucketwise-failure-local",
        "bucketwise-validation-dlq-local",
    )
    assert json.loads(functions["bucketwise-checksum-validator-local"].environment["REPLICA_MAP"]) == {
        "bucketwise-documents-primary-local": {
            "bucket": "bucketwise-documents-replica-local",
            "region": "us-west-2",
        }
    }
