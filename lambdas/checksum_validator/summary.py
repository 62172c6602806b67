"""Verification summaries: how many object versions one invocation verified, per primary bucket.

Failures travel one by one (failure queue -> notifier -> SNS); successes would be too many for
that, so the validator publishes one summary per primary bucket and invocation to the summary
topic (``SUMMARY_TOPIC_ARN``; unset = no summaries), and the portal counts them
(docs/decisions/replication-local-pipeline.md). Its JSON Schema is
``schemas/replication/verification-summary.schema.json``; keep the two in step. A summary that
cannot be published is logged and dropped: counts are information, never a reason to verify an
object again.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.shared import aws
from lambdas.shared.replica_map import ReplicaMap
from lambdas.shared.sqs_batch import LOGGER

SUMMARY_SCHEMA = "bucketwise.replication-summary/v1"


def summary_documents(verified: Counter, replica_map: ReplicaMap) -> list[dict]:
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    documents = []
    for primary, count in sorted(verified.items()):
        target = replica_map.target_for(primary)
        if target is None or count <= 0:
            continue
        documents.append(
            {
                "schema": SUMMARY_SCHEMA,
                "summary_id": uuid.uuid4().hex,
                "primary": {"bucket": primary},
                "replica": {"bucket": target.bucket, "region": target.region},
                "verified": count,
                "reported_at": now,
            }
        )
    return documents


def publish_summaries(verified: Counter, replica_map: ReplicaMap, topic_arn: str | None) -> None:
    if not topic_arn:
        return
    for document in summary_documents(verified, replica_map):
        try:
            aws.client("sns").publish(TopicArn=topic_arn, Message=json.dumps(document))
        except (ClientError, BotoCoreError):
            LOGGER.exception(
                "could not publish the verification summary of %s", document["primary"]["bucket"]
            )
