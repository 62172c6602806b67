"""failure-notifier: publishes one SNS message per replication failure.

It reads two queues (see docs/decisions/replication-failure-path.md): the failure queue, whose bodies
are failure documents the validator wrote, and the validation DLQ, whose bodies are the original S3
events that exhausted their retries. Environment: TOPIC_ARN, REPLICA_MAP, VALIDATION_MAX_RECEIVE_COUNT.
"""

from __future__ import annotations

import json
import os

from lambdas.failure_notifier.message import message_attributes, sns_message, subject
from lambdas.shared import aws
from lambdas.shared.events import MalformedEvent, parse_body
from lambdas.shared.failure_document import SCHEMA_ID, build_failure_document
from lambdas.shared.replica_map import ReplicaMap, parse_replica_map
from lambdas.shared.sqs_batch import process_batch
from lambdas.shared.verdicts import Outcome, Reason, Verdict


def handler(event: dict, context: object) -> dict:
    topic_arn = os.environ["TOPIC_ARN"]
    replica_map = parse_replica_map(os.environ.get("REPLICA_MAP"))
    max_receives = int(os.environ.get("VALIDATION_MAX_RECEIVE_COUNT", "3"))
    return process_batch(
        event.get("Records", []),
        lambda record: _publish_all(failure_documents(record, replica_map, max_receives), topic_arn),
    )


def failure_documents(record: dict, replica_map: ReplicaMap, max_receives: int) -> list[dict]:
    """The documents one record stands for: as written by the validator, or built from a DLQ event."""
    body = record.get("body")
    document = _as_failure_document(body)
    if document is not None:
        return [document]
    exhausted = Outcome(
        Verdict.PENDING,
        Reason.RETRIES_EXHAUSTED,
        detail=f"not verified after {max_receives} receives; the event is in the DLQ",
    )
    try:
        events = parse_body(body)
    except MalformedEvent as exc:
        unreadable = Outcome(Verdict.ERROR, Reason.MALFORMED_EVENT, detail=str(exc))
        return [
            build_failure_document(
                outcome=unreadable,
                event=None,
                replica=None,
                record=record,
                receive_count=max_receives,
                raw_body=str(body),
            )
        ]
    return [
        build_failure_document(
            outcome=exhausted,
            event=item,
            replica=replica_map.target_for(item.bucket),
            record=record,
            receive_count=max_receives,
        )
        for item in events
    ]


def _as_failure_document(body: object) -> dict | None:
    try:
        document = json.loads(body)
    except (TypeError, ValueError):
        return None
    return document if isinstance(document, dict) and document.get("schema") == SCHEMA_ID else None


def _publish_all(documents: list[dict], topic_arn: str) -> bool:
    """Publish every document; a publish error propagates so the record is reported for retry."""
    sns = aws.client("sns")
    for document in documents:
        sns.publish(
            TopicArn=topic_arn,
            Subject=subject(document),
            Message=sns_message(document),
            MessageStructure="json",
            MessageAttributes=message_attributes(document),
        )
    return True
