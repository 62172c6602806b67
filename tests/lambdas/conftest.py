"""moto in server mode for the Lambda tests: the handlers reach it through AWS_ENDPOINT_URL, as boto3
honours that variable natively, so they have no test-only code path."""

from __future__ import annotations

import json
import os
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from lambdas.shared import aws

PRIMARY_REGION = "eu-west-1"
REPLICA_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": PRIMARY_REGION,
    "AWS_REGION": PRIMARY_REGION,
}


@pytest.fixture(scope="session")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {name: os.environ.get(name) for name in [*FAKE_ENVIRONMENT, "AWS_ENDPOINT_URL"]}
    os.environ.update(FAKE_ENVIRONMENT, AWS_ENDPOINT_URL=endpoint)
    aws.client.cache_clear()
    yield endpoint
    server.stop()
    aws.client.cache_clear()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def pipeline(moto_endpoint, monkeypatch):
    """A fresh primary/replica pair wired S3 -> EventBridge -> SQS, plus the failure path queues."""
    built = Pipeline.create(uuid.uuid4().hex[:10])
    monkeypatch.setenv("REPLICA_MAP", json.dumps(built.replica_map))
    monkeypatch.setenv("FAILURE_QUEUE_URL", built.failure_queue_url)
    yield built
    built.destroy()


class Pipeline:
    """Resources for one test; names carry a suffix so tests never share a queue or bucket."""

    def __init__(self, suffix: str):
        self.suffix = suffix
        self.primary = f"documents-primary-{suffix}"
        self.replica = f"documents-replica-{suffix}"
        self.s3 = boto3.client("s3", region_name=PRIMARY_REGION)
        self.s3_replica = boto3.client("s3", region_name=REPLICA_REGION)
        self.sqs = boto3.client("sqs", region_name=PRIMARY_REGION)
        self.events = boto3.client("events", region_name=PRIMARY_REGION)
        self.sns = boto3.client("sns", region_name=PRIMARY_REGION)
        self.rules: list[str] = []

    @classmethod
    def create(cls, suffix: str) -> Pipeline:
        pipeline = cls(suffix)
        pipeline._create_buckets()
        pipeline._create_queues()
        pipeline.rule_to(
            pipeline.validation_queue_arn,
            {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {"bucket": {"name": [pipeline.primary]}},
            },
        )
        return pipeline

    @property
    def replica_map(self) -> dict:
        return {self.primary: {"bucket": self.replica, "region": REPLICA_REGION}}

    def _create_buckets(self):
        self.s3.create_bucket(
            Bucket=self.primary, CreateBucketConfiguration={"LocationConstraint": PRIMARY_REGION}
        )
        self.s3_replica.create_bucket(Bucket=self.replica)
        for client, bucket in ((self.s3, self.primary), (self.s3_replica, self.replica)):
            client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_bucket_notification_configuration(
            Bucket=self.primary, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )

    def _create_queues(self):
        self.validation_dlq_url, self.validation_dlq_arn = self.queue(f"validation-dlq-{self.suffix}")
        self.validation_queue_url, self.validation_queue_arn = self.queue(
            f"validation-{self.suffix}",
            RedrivePolicy=json.dumps(
                {"deadLetterTargetArn": self.validation_dlq_arn, "maxReceiveCount": "3"}
            ),
            VisibilityTimeout="0",
        )
        self.failure_queue_url, self.failure_queue_arn = self.queue(f"failure-{self.suffix}")

    def queue(self, name: str, **attributes) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return url, arn

    def rule_to(self, queue_arn: str, pattern: dict) -> None:
        name = f"rule-{len(self.rules)}-{self.suffix}"
        self.events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
        self.rules.append(name)

    def receive(self, queue_url: str, expected: int = 1, attempts: int = 5) -> list[dict]:
        """Receive up to ``expected`` messages, as Lambda's poller would (with all system attributes)."""
        messages: list[dict] = []
        for _ in range(attempts):
            batch = self.sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            messages.extend(batch)
            if len(messages) >= expected:
                break
        return messages

    def delete(self, queue_url: str, messages: list[dict], failed_ids: set[str] = frozenset()) -> None:
        """What Lambda does after a partial batch response: delete every record not reported failed."""
        for message in messages:
            if message["MessageId"] not in failed_ids:
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def destroy(self):
        for rule in self.rules:
            self.events.remove_targets(Rule=rule, Ids=["queue"])
            self.events.delete_rule(Name=rule)

    def sqs_event(self, messages: list[dict], queue_arn: str) -> dict:
        """The event Lambda's SQS event source mapping builds from received messages."""
        return {
            "Records": [
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message.get("Attributes", {}),
                    "messageAttributes": message.get("MessageAttributes", {}),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue_arn,
                    "awsRegion": PRIMARY_REGION,
                }
                for message in messages
            ]
        }

    def put_primary(self, key: str, body: bytes, **put_arguments) -> str:
        """Upload to the primary bucket; returns the new version ID."""
        return self.s3.put_object(Bucket=self.primary, Key=key, Body=body, **put_arguments)["VersionId"]

    def replicate(
        self,
        key: str,
        version_id: str,
        *,
        body: bytes | None = None,
        part_size: int | None = None,
        **put_arguments,
    ) -> None:
        """Stand-in for S3 replication, which moto stores but does not perform.

        Copies the primary version (or ``body``) to the replica bucket, then gives the replica the primary's
        version ID, as real replication does: moto has no API for that, so the test sets it on moto's own
        in-process model (ThreadedMotoServer shares this process).
        """
        if body is None:
            body = self.s3.get_object(Bucket=self.primary, Key=key, VersionId=version_id)["Body"].read()
        if part_size is None:
            self.s3_replica.put_object(Bucket=self.replica, Key=key, Body=body, **put_arguments)
        else:
            self._upload_multipart(self.s3_replica, self.replica, key, body, part_size, **put_arguments)
        self._set_latest_version_id(self.replica, key, version_id)

    @staticmethod
    def _upload_multipart(client, bucket: str, key: str, body: bytes, part_size: int, **arguments) -> None:
        upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, **arguments)["UploadId"]
        parts = []
        for number, start in enumerate(range(0, len(body), part_size), start=1):
            response = client.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=body[start : start + part_size],
            )
            parts.append({"PartNumber": number, "ETag": response["ETag"]})
        client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    @staticmethod
    def _set_latest_version_id(bucket_name: str, key: str, version_id: str) -> None:
        from moto.s3.models import s3_backends

        bucket = s3_backends[ACCOUNT_ID]["aws"].buckets[bucket_name]
        bucket.keys.getlist(key)[-1]._version_id = version_id

    def kms_key(self, region: str) -> str:
        return boto3.client("kms", region_name=region).create_key()["KeyMetadata"]["Arn"]
