"""Turn an SQS message body into the S3 object events it carries.

Two shapes arrive: an EventBridge event from S3 ("detail-type": "Object Created", ...) and a direct
S3 event notification ({"Records": [...]}) as S3 delivers it to SQS. Keys in both are URL-encoded
(``quote_plus``); ``key`` is the decoded form and ``raw_key`` what the event said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote_plus


class MalformedEvent(ValueError):
    """The body is not an S3 event we understand; retrying will not change it."""


@dataclass(frozen=True)
class ObjectEvent:
    bucket: str
    key: str
    raw_key: str
    version_id: str | None
    event_name: str
    is_creation: bool
    is_delete_marker: bool
    event_time: str | None = None

    @property
    def key_candidates(self) -> list[str]:
        """The decoded key first; the raw key too when some producer did not encode it."""
        return [self.key] if self.key == self.raw_key else [self.key, self.raw_key]


def parse_body(body: str) -> list[ObjectEvent]:
    """All object events in one SQS body; an S3 test event yields none."""
    try:
        document = json.loads(body)
    except (TypeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(f"body is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise MalformedEvent("body is not a JSON object")
    if document.get("source") == "aws.s3" and "detail" in document:
        return [_from_eventbridge(document)]
    if isinstance(document.get("Records"), list):
        return [_from_notification_record(record) for record in document["Records"]]
    if document.get("Event") == "s3:TestEvent":
        return []
    raise MalformedEvent("body is neither an EventBridge S3 event nor an S3 notification")


def _from_eventbridge(document: dict) -> ObjectEvent:
    detail = document.get("detail")
    detail_type = document.get("detail-type", "")
    bucket, raw_key = _bucket_and_key(detail, "bucket", "object")
    return ObjectEvent(
        bucket=bucket,
        key=unquote_plus(raw_key),
        raw_key=raw_key,
        version_id=detail["object"].get("version-id") or None,
        event_name=detail_type,
        is_creation=detail_type == "Object Created",
        is_delete_marker=detail.get("deletion-type") == "Delete Marker Created",
        event_time=document.get("time") if isinstance(document.get("time"), str) else None,
    )


def _from_notification_record(record: object) -> ObjectEvent:
    if not isinstance(record, dict) or not isinstance(record.get("s3"), dict):
        raise MalformedEvent("notification record has no s3 section")
    event_name = str(record.get("eventName", ""))
    bucket, raw_key = _bucket_and_key(record["s3"], "bucket", "object")
    return ObjectEvent(
        bucket=bucket,
        key=unquote_plus(raw_key),
        raw_key=raw_key,
        version_id=record["s3"]["object"].get("versionId") or None,
        event_name=event_name,
        is_creation=event_name.startswith("ObjectCreated:"),
        is_delete_marker=event_name == "ObjectRemoved:DeleteMarkerCreated",
        event_time=record.get("eventTime") if isinstance(record.get("eventTime"), str) else None,
    )


def _bucket_and_key(section: object, bucket_field: str, object_field: str) -> tuple[str, str]:
    try:
        bucket = section[bucket_field]["name"]
        key = section[object_field]["key"]
    except (KeyError, TypeError) as exc:
        raise MalformedEvent(f"event has no bucket name or object key ({exc!r})") from exc
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        raise MalformedEvent("bucket name and object key must be non-empty strings")
    return bucket, key
