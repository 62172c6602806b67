"""The failure document: what the validator puts on the failure queue and the notifier publishes.

Its JSON Schema is ``schemas/replication/failure-notification.schema.json``; keep the two in step
(tests/lambdas/test_failure_path.py checks the documents built here against it).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from lambdas.shared.events import ObjectEvent
from lambdas.shared.replica_map import ReplicaTarget
from lambdas.shared.verdicts import Outcome

SCHEMA_ID = "bucketwise.replication-failure/v1"
RAW_EVENT_LIMIT = 4096


def build_failure_document(
    *,
    outcome: Outcome,
    event: ObjectEvent | None,
    replica: ReplicaTarget | None,
    record: dict,
    receive_count: int | None = None,
    raw_body: str | None = None,
) -> dict:
    """One failure document for one object (or one unreadable message) taken from an SQS record."""
    primary_bucket = event.bucket if event else None
    key = event.key if event else None
    version_id = outcome.version_id or (event.version_id if event else None)
    document = {
        "schema": SCHEMA_ID,
        "failure_id": failure_id(
            primary_bucket,
            key,
            version_id,
            outcome.verdict.value,
            outcome.reason.value,
            fallback=record.get("messageId", ""),
        ),
        "verdict": outcome.verdict.value,
        "reason": outcome.reason.value,
        "detail": outcome.detail,
        "method": outcome.method,
        "primary": {"bucket": primary_bucket},
        "replica": {"bucket": replica.bucket, "region": replica.region} if replica else None,
        "key": key,
        "version_id": version_id,
        "receive_count": receive_count if receive_count is not None else receive_count_of(record),
        "first_seen": (event.event_time if event and event.event_time else None) or sent_time_of(record),
        "reported_at": iso_now(),
        "source_queue": queue_name_of(record),
        "sqs_message_id": record.get("messageId"),
    }
    if raw_body is not None:
        document["raw_event"] = raw_body[:RAW_EVENT_LIMIT]
    return document


def failure_id(primary_bucket, key, version_id, verdict, reason, *, fallback: str) -> str:
    """Stable across redeliveries of the same failure, so the portal can de-duplicate on it."""
    parts = (
        [primary_bucket, key, version_id, verdict, reason] if key else ["message", fallback, verdict, reason]
    )
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def receive_count_of(record: dict) -> int:
    return int(record.get("attributes", {}).get("ApproximateReceiveCount", 1))


def sent_time_of(record: dict) -> str:
    """SentTimestamp (epoch milliseconds) as ISO 8601; now when SQS did not say."""
    millis = record.get("attributes", {}).get("SentTimestamp")
    if millis is None:
        return iso_now()
    return datetime.fromtimestamp(int(millis) / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def queue_name_of(record: dict) -> str:
    return str(record.get("eventSourceARN", "")).rsplit(":", 1)[-1] or "unknown"


def iso_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
