"""Create the local replication pair in the local AWS (moto) with boto3, from :mod:`description`.

Idempotent: running it against resources that exist changes nothing, so a restarted pipeline
process does not duplicate subscriptions. Plain boto3, no Django.
"""

from __future__ import annotations

import json

import boto3
from botocore.exceptions import ClientError

from replication.local.description import LocalPipeline


def provision(pipeline: LocalPipeline, endpoint: str) -> dict[str, str]:
    """Create everything; returns the queue URLs by queue name."""
    _buckets(pipeline, endpoint)
    queue_urls = _queues(pipeline, endpoint)
    events = boto3.client("events", region_name=pipeline.primary_region, endpoint_url=endpoint)
    for rule, queue in (
        (pipeline.rule_name, pipeline.name("validation")),
        (pipeline.replication_feed_queue, pipeline.replication_feed_queue),
    ):
        events.put_rule(Name=rule, EventPattern=json.dumps(pipeline.event_pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": pipeline.queue_arn(queue)}])
    _topics(pipeline, endpoint)
    return queue_urls


def _buckets(pipeline: LocalPipeline, endpoint: str) -> None:
    for bucket, region in (
        (pipeline.primary_bucket, pipeline.primary_region),
        (pipeline.replica_bucket, pipeline.replica_region),
    ):
        s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint)
        location = (
            {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        try:
            s3.create_bucket(Bucket=bucket, **location)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    primary = boto3.client("s3", region_name=pipeline.primary_region, endpoint_url=endpoint)
    primary.put_bucket_notification_configuration(
        Bucket=pipeline.primary_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )


def _queues(pipeline: LocalPipeline, endpoint: str) -> dict[str, str]:
    sqs = boto3.client("sqs", region_name=pipeline.primary_region, endpoint_url=endpoint)
    urls = {}
    for queue in pipeline.queues:
        attributes = {"VisibilityTimeout": str(queue.visibility_timeout_seconds)}
        if queue.dead_letter_queue:
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": pipeline.queue_arn(queue.dead_letter_queue),
                    "maxReceiveCount": queue.max_receive_count,
                }
            )
        urls[queue.name] = sqs.create_queue(QueueName=queue.name, Attributes=attributes)["QueueUrl"]
    return urls


def _topics(pipeline: LocalPipeline, endpoint: str) -> None:
    """Both topics with an HTTP subscription to the portal's hook (once)."""
    sns = boto3.client("sns", region_name=pipeline.primary_region, endpoint_url=endpoint)
    for topic in (pipeline.failure_topic, pipeline.summary_topic):
        topic_arn = sns.create_topic(Name=topic)["TopicArn"]
        existing = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
        if not any(subscription["Endpoint"] == pipeline.webhook_url for subscription in existing):
            sns.subscribe(
                TopicArn=topic_arn, Protocol=_protocol(pipeline.webhook_url), Endpoint=pipeline.webhook_url
            )


def _protocol(url: str) -> str:
    return "https" if url.startswith("https://") else "http"
