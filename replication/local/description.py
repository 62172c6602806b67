"""The one description of the local replication pair: the shape of terraform/stacks/replication-validation.

Names follow the stack's locals (``{prefix}-{name}-{environment}``, one data category); the queue
wiring (redrive targets, receive counts) and the function environments are the stack's. Only the
timings are compressed so that a retried or missing object is reported within seconds, not
minutes (docs/decisions/replication-local-pipeline.md). Plain data: no Django, no boto3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

ACCOUNT_ID = "123456789012"  # moto's default account
VALIDATION_MAX_RECEIVE_COUNT = 3  # local.validation_max_receive_count
FAILURE_MAX_RECEIVE_COUNT = 5  # the failure queue's and the validation DLQ's redrive policy


@dataclass(frozen=True)
class QueueShape:
    name: str
    visibility_timeout_seconds: int = 30
    dead_letter_queue: str | None = None
    max_receive_count: int | None = None


@dataclass(frozen=True)
class FunctionShape:
    """A Lambda function and its SQS event source mappings (ReportBatchItemFailures, batch size)."""

    name: str
    handler: str  # module:function, imported by the local event source mapping
    queues: tuple[str, ...]
    environment: dict = field(default_factory=dict)
    batch_size: int = 10


@dataclass(frozen=True)
class LocalPipeline:
    primary_region: str
    replica_region: str
    webhook_url: str
    name_prefix: str = "bucketwise"
    environment: str = "local"
    category: str = "documents"
    # Seconds a received message stays invisible (the stack: 6 x the function timeout).
    visibility_timeout_seconds: int = 2

    def name(self, part: str) -> str:
        return f"{self.name_prefix}-{part}-{self.environment}"

    @property
    def primary_bucket(self) -> str:
        return self.name(f"{self.category}-primary")

    @property
    def replica_bucket(self) -> str:
        return self.name(f"{self.category}-replica")

    @property
    def rule_name(self) -> str:
        return self.name("object-created")

    @property
    def event_pattern(self) -> dict:
        return {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [self.primary_bucket]}},
        }

    @property
    def replication_feed_queue(self) -> str:
        """Local only: S3 replication's own trigger, read by the replication emulator in the local AWS."""
        return self.name("replication-feed")

    @property
    def failure_topic(self) -> str:
        return self.name("replication-failures")

    @property
    def summary_topic(self) -> str:
        return self.name("replication-summaries")

    def topic_arn(self, topic: str) -> str:
        return f"arn:aws:sns:{self.primary_region}:{ACCOUNT_ID}:{topic}"

    @property
    def topic_arns(self) -> list[str]:
        """The topics the portal's hook must accept (SNS_ALLOWED_TOPIC_ARNS)."""
        return [self.topic_arn(self.failure_topic), self.topic_arn(self.summary_topic)]

    def queue_arn(self, queue: str) -> str:
        return f"arn:aws:sqs:{self.primary_region}:{ACCOUNT_ID}:{queue}"

    @property
    def queues(self) -> list[QueueShape]:
        """In creation order: every dead-letter queue before the queue that redrives to it."""
        timeout = self.visibility_timeout_seconds
        return [
            QueueShape(self.name("failure-dlq")),
            QueueShape(
                self.name("validation-dlq"), timeout, self.name("failure-dlq"), FAILURE_MAX_RECEIVE_COUNT
            ),
            QueueShape(
                self.name("validation"), timeout, self.name("validation-dlq"), VALIDATION_MAX_RECEIVE_COUNT
            ),
            QueueShape(self.name("failure"), timeout, self.name("failure-dlq"), FAILURE_MAX_RECEIVE_COUNT),
            QueueShape(self.replication_feed_queue, timeout),
        ]

    @property
    def replica_map(self) -> str:
        return json.dumps(
            {self.primary_bucket: {"bucket": self.replica_bucket, "region": self.replica_region}}
        )

    def functions(self, queue_urls: dict[str, str]) -> list[FunctionShape]:
        """The two functions as the stack configures them; ``queue_urls`` by queue name (from provisioning)."""
        return [
            FunctionShape(
                name=self.name("checksum-validator"),
                handler="lambdas.checksum_validator.handler:handler",
                queues=(self.name("validation"),),
                environment={
                    "REPLICA_MAP": self.replica_map,
                    "FAILURE_QUEUE_URL": queue_urls[self.name("failure")],
                    "SUMMARY_TOPIC_ARN": self.topic_arn(self.summary_topic),
                },
            ),
            FunctionShape(
                name=self.name("failure-notifier"),
                handler="lambdas.failure_notifier.handler:handler",
                queues=(self.name("failure"), self.name("validation-dlq")),
                environment={
                    "TOPIC_ARN": self.topic_arn(self.failure_topic),
                    "REPLICA_MAP": self.replica_map,
                    "VALIDATION_MAX_RECEIVE_COUNT": str(VALIDATION_MAX_RECEIVE_COUNT),
                },
            ),
        ]

    @property
    def dead_letter_queues(self) -> list[str]:
        return [self.name("validation-dlq"), self.name("failure-dlq")]
