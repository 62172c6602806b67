"""What a verified SNS Notification says about replication, as plain data (no ORM).

Two producers publish to the topics we allow:

- the failure notifier (``lambdas/failure_notifier``): ``Message`` is one failure document,
  ``"schema": "bucketwise.replication-failure/v1"``; de-duplicated on its ``failure_id``;
- the checksum validator's verification summaries (``"schema": "bucketwise.replication-summary/v1"``):
  how many versions of a pair one invocation verified (:func:`verification_summary`);
- S3 itself, for Replication Time Control events sent to SNS: ``Message`` is an S3 event
  notification ``{"Records": [...]}`` with ``eventName`` ``Replication:Operation…``
  (an ``s3:TestEvent`` carries no event).

Each becomes a :class:`ReplicationFact`. ``severity`` decides what the portal does with it
(docs/replication-health.md): failures and warnings open incidents, info is only recorded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import unquote_plus

from portal import json_input as bounded_json

NOTIFIER_SCHEMA = "bucketwise.replication-failure/v1"
SUMMARY_SCHEMA = "bucketwise.replication-summary/v1"
MAX_VERIFIED_PER_SUMMARY = 10_000  # one invocation reads at most 10,000 SQS records

FAILURE = "failure"
WARNING = "warning"
INFO = "info"

# S3 replication event name -> severity
S3_REPLICATION_EVENTS = {
    "OperationFailedReplication": FAILURE,
    "OperationMissedThreshold": WARNING,
    "OperationReplicatedAfterThreshold": WARNING,
    "OperationNotTracked": INFO,
}


class UnreadableMessage(ValueError):
    """A correctly signed message whose content we do not understand."""


# How long each stored text may be (the models use these lengths). A signed message is
# trusted to come from AWS, not to be short: longer bucket names or keys are refused as
# unreadable, a longer kind or reason is shortened.
MAX_BUCKET_NAME = 255
MAX_KEY = 1024
MAX_KIND = 60
MAX_REASON = 100


@dataclass(frozen=True)
class ReplicationFact:
    source: str  # "notifier" or "s3"
    dedupe_key: str
    primary_bucket: str
    replica_bucket: str
    key: str | None
    version_id: str | None
    kind: str  # the notifier's verdict or the S3 event name
    reason: str
    severity: str
    detail: str
    occurred_at: datetime | None


@dataclass(frozen=True)
class VerificationSummary:
    summary_id: str
    primary_bucket: str
    replica_bucket: str
    verified: int


@dataclass(frozen=True)
class MessageContents:
    """What one Notification's ``Message`` carries: a verification summary, or facts (maybe none)."""

    summary: VerificationSummary | None
    facts: list[ReplicationFact]

    @property
    def pair(self) -> tuple[str, str]:
        """The bucket pair the message is about (its first fact's): the lane it is processed in."""
        first = self.summary or (self.facts[0] if self.facts else None)
        return (first.primary_bucket, first.replica_bucket) if first else ("", "")


def read_message(message: str, message_id: str) -> MessageContents:
    """The summary or the facts of a Notification's ``Message``; raises :class:`UnreadableMessage`."""
    summary = verification_summary(message)
    return MessageContents(summary, [] if summary else facts_from_message(message, message_id))


def verification_summary(message: str) -> VerificationSummary | None:
    """The summary a ``Message`` carries; None when it is not a summary (a fact message, or garbage)."""
    try:
        document = bounded_json.loads(message)
    except ValueError:  # facts_from_message names what is wrong
        return None
    if not isinstance(document, dict) or document.get("schema") != SUMMARY_SCHEMA:
        return None
    primary = document.get("primary") if isinstance(document.get("primary"), dict) else {}
    replica = document.get("replica") if isinstance(document.get("replica"), dict) else {}
    verified = document.get("verified")
    summary = VerificationSummary(
        summary_id=_text(document.get("summary_id")),
        primary_bucket=_text(primary.get("bucket")),
        replica_bucket=_text(replica.get("bucket")),
        verified=verified if type(verified) is int else -1,
    )
    if not 0 < len(summary.summary_id) <= 64 or not 0 <= summary.verified <= MAX_VERIFIED_PER_SUMMARY:
        raise UnreadableMessage("verification summary without summary_id or with an impossible count")
    if (
        not summary.primary_bucket
        or not summary.replica_bucket
        or max(len(summary.primary_bucket), len(summary.replica_bucket)) > MAX_BUCKET_NAME
    ):
        raise UnreadableMessage("verification summary without a valid bucket pair")
    return summary


def facts_from_message(message: str, message_id: str) -> list[ReplicationFact]:
    """The replication facts one SNS ``Message`` carries (none for an S3 test event)."""
    try:
        document = bounded_json.loads(message)
    except ValueError as exc:
        raise UnreadableMessage(f"Message is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise UnreadableMessage("Message is not a JSON object")
    if document.get("schema") == NOTIFIER_SCHEMA:
        return [_within_limits(_from_failure_document(document))]
    if isinstance(document.get("Records"), list):
        return [
            _within_limits(_from_s3_record(record, message_id, index))
            for index, record in enumerate(document["Records"])
        ]
    if document.get("Event") == "s3:TestEvent":
        return []
    raise UnreadableMessage("neither a failure notification nor an S3 replication event")


def _within_limits(fact: ReplicationFact) -> ReplicationFact:
    texts = {
        "primary bucket": (fact.primary_bucket, MAX_BUCKET_NAME),
        "replica bucket": (fact.replica_bucket, MAX_BUCKET_NAME),
        "key": (fact.key or "", MAX_KEY),
        "version": (fact.version_id or "", MAX_KEY),
    }
    too_long = [name for name, (text, limit) in texts.items() if len(text) > limit]
    if too_long:
        raise UnreadableMessage(f"{', '.join(too_long)} longer than S3 allows")
    return replace(fact, kind=fact.kind[:MAX_KIND], reason=fact.reason[:MAX_REASON])


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _from_failure_document(document: dict) -> ReplicationFact:
    failure_id = _text(document.get("failure_id"))
    verdict = _text(document.get("verdict"))
    if len(failure_id) != 64 or not verdict:
        raise UnreadableMessage("failure document without failure_id or verdict")
    replica = document.get("replica") if isinstance(document.get("replica"), dict) else {}
    primary = document.get("primary") if isinstance(document.get("primary"), dict) else {}
    return ReplicationFact(
        source="notifier",
        dedupe_key=f"failure:{failure_id}",
        primary_bucket=_text(primary.get("bucket")),
        replica_bucket=_text(replica.get("bucket")),
        key=document.get("key") if isinstance(document.get("key"), str) else None,
        version_id=document.get("version_id") if isinstance(document.get("version_id"), str) else None,
        kind=verdict,
        reason=_text(document.get("reason")) or verdict,
        severity=FAILURE,
        detail=_text(document.get("detail")),
        occurred_at=_parse_time(document.get("first_seen")),
    )


def _from_s3_record(record, message_id: str, index: int) -> ReplicationFact:
    if not isinstance(record, dict):
        raise UnreadableMessage("an S3 record is not an object")
    event_name = _text(record.get("eventName")).removeprefix("Replication:")
    if event_name not in S3_REPLICATION_EVENTS:
        raise UnreadableMessage(f"not an S3 replication event: {record.get('eventName')!r}")
    s3 = record.get("s3") if isinstance(record.get("s3"), dict) else {}
    bucket = s3.get("bucket") if isinstance(s3.get("bucket"), dict) else {}
    obj = s3.get("object") if isinstance(s3.get("object"), dict) else {}
    data = record.get("replicationEventData") if isinstance(record.get("replicationEventData"), dict) else {}
    key = unquote_plus(_text(obj.get("key"))) or None
    version_id = _text(obj.get("versionId")) or None
    primary_bucket = _text(bucket.get("name"))
    reason = _text(data.get("failureReason")) or event_name
    identity = (
        [primary_bucket, key, version_id, event_name, reason] if key else [message_id, index, event_name]
    )
    return ReplicationFact(
        source="s3",
        dedupe_key="s3:" + hashlib.sha256(json.dumps(identity).encode()).hexdigest(),
        primary_bucket=primary_bucket,
        replica_bucket=_text(data.get("destinationBucket")).removeprefix("arn:aws:s3:::"),
        key=key,
        version_id=version_id,
        kind=event_name,
        reason=reason,
        severity=S3_REPLICATION_EVENTS[event_name],
        detail=_s3_detail(data),
        occurred_at=_parse_time(record.get("eventTime")),
    )


def _s3_detail(data: dict) -> str:
    parts = [
        f"{name}={data[name]}"
        for name in ("s3Operation", "threshold", "replicationTime", "requestTime")
        if isinstance(data.get(name), str | int)
    ]
    return ", ".join(parts)


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
