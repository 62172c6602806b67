"""How a failure document is rendered for SNS: subject, human text and message attributes."""

from __future__ import annotations

import json

SUBJECT_LIMIT = 100  # SNS rejects longer subjects; they must also be ASCII without line breaks

_HEADLINES = {
    "MISMATCH": "replica differs from primary",
    "REPLICATION_FAILED": "S3 replication failed",
    "PENDING": "replica still not verified after retries",
    "ERROR": "validation could not run",
}


def subject(document: dict) -> str:
    """A short ASCII line; object keys are left out because they may be non-ASCII."""
    bucket = document["primary"]["bucket"] or "unknown bucket"
    headline = _HEADLINES.get(document["verdict"], document["verdict"].lower())
    text = f"[Bucketwise] {document['verdict']} in {bucket}: {headline}"
    return text.encode("ascii", "replace").decode("ascii")[:SUBJECT_LIMIT]


def human_text(document: dict) -> str:
    replica = document["replica"] or {}
    lines = [
        f"Replication check {document['verdict']} ({document['reason']}).",
        "",
        f"Primary bucket: {document['primary']['bucket']}",
        f"Replica bucket: {replica.get('bucket')} ({replica.get('region')})",
        f"Object key:     {document['key']}",
        f"Version ID:     {document['version_id']}",
        f"Method:         {document['method']}",
        f"Detail:         {document['detail']}",
        f"Receive count:  {document['receive_count']}",
        f"First seen:     {document['first_seen']}",
        f"Source queue:   {document['source_queue']}",
        f"Failure ID:     {document['failure_id']}",
    ]
    return "\n".join(lines)


def sns_message(document: dict) -> str:
    """Per-protocol SNS message: JSON for machines (default, https, sqs), text for people (email)."""
    as_json = json.dumps(document, ensure_ascii=False, sort_keys=True)
    return json.dumps({"default": as_json, "https": as_json, "sqs": as_json, "email": human_text(document)})


def message_attributes(document: dict) -> dict:
    """Attributes for SNS filter policies; SNS rejects empty values, so absent ones are left out."""
    values = {
        "schema": document["schema"],
        "verdict": document["verdict"],
        "reason": document["reason"],
        "primary_bucket": document["primary"]["bucket"],
        "failure_id": document["failure_id"],
    }
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items() if value}
