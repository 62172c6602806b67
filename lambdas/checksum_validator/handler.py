"""checksum-validator: verifies each replicated object version named by an SQS batch of S3 events.

Environment: REPLICA_MAP (JSON, see lambdas/shared/replica_map.py), FAILURE_QUEUE_URL (where
permanent failures go at once) and, optionally, SUMMARY_TOPIC_ARN (where the count of verified
versions goes, see summary.py). Returns ``batchItemFailures`` naming only the records to retry.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.checksum_validator.summary import publish_summaries
from lambdas.checksum_validator.validator import validate
from lambdas.shared import aws
from lambdas.shared.events import MalformedEvent, ObjectEvent, parse_body
from lambdas.shared.failure_document import build_failure_document, receive_count_of
from lambdas.shared.replica_map import ReplicaMap, parse_replica_map
from lambdas.shared.sqs_batch import LOGGER, process_batch
from lambdas.shared.verdicts import Disposition, Outcome, Reason, Verdict

LOGGER.setLevel(logging.INFO)


def handler(event: dict, context: object) -> dict:
    replica_map = parse_replica_map(os.environ.get("REPLICA_MAP"))
    failure_queue_url = os.environ["FAILURE_QUEUE_URL"]
    verified: Counter = Counter()
    response = process_batch(
        event.get("Records", []),
        lambda record: _process_record(record, replica_map, failure_queue_url, verified),
    )
    publish_summaries(verified, replica_map, os.environ.get("SUMMARY_TOPIC_ARN"))
    return response


def _process_record(record: dict, replica_map: ReplicaMap, failure_queue_url: str, verified: Counter) -> bool:
    """True when the record is finished with (verified, skipped, or its failure reported)."""
    try:
        object_events = parse_body(record.get("body"))
    except MalformedEvent as exc:
        outcome = Outcome(Verdict.ERROR, Reason.MALFORMED_EVENT, detail=str(exc))
        _log(record, None, outcome, elapsed_ms=0.0)
        document = build_failure_document(
            outcome=outcome, event=None, replica=None, record=record, raw_body=str(record.get("body"))
        )
        return _send_failure(document, failure_queue_url)
    finished = [
        _validate_and_settle(record, item, replica_map, failure_queue_url, verified) for item in object_events
    ]
    return all(finished)


def _validate_and_settle(
    record: dict, event: ObjectEvent, replica_map: ReplicaMap, queue_url: str, verified: Counter
) -> bool:
    started = time.perf_counter()
    outcome = validate(event, replica_map)
    _log(record, event, outcome, elapsed_ms=(time.perf_counter() - started) * 1000)
    if outcome.verdict is Verdict.VERIFIED:
        verified[event.bucket] += 1
    if outcome.disposition is Disposition.DONE:
        return True
    if outcome.disposition is Disposition.RETRY:
        return False
    document = build_failure_document(
        outcome=outcome,
        event=event,
        replica=replica_map.target_for(event.bucket),
        record=record,
        receive_count=receive_count_of(record),
    )
    return _send_failure(document, queue_url)


def _send_failure(document: dict, queue_url: str) -> bool:
    """Put a permanent failure on the failure queue; if that fails the record is retried, not lost."""
    try:
        aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(document))
    except (ClientError, BotoCoreError):
        LOGGER.exception("could not send failure %s to the failure queue", document["failure_id"])
        return False
    return True


def _log(record: dict, event: ObjectEvent | None, outcome: Outcome, elapsed_ms: float) -> None:
    """One JSON line per object: what was checked, the verdict, how, and what it cost."""
    LOGGER.info(
        json.dumps(
            {
                "bucket": event.bucket if event else None,
                "key": event.key if event else None,
                "version": outcome.version_id or (event.version_id if event else None),
                "verdict": outcome.verdict.value,
                "reason": outcome.reason.value,
                "method": outcome.method,
                "bytes_read": outcome.bytes_read,
                "ms": round(elapsed_ms, 3),
                "detail": outcome.detail,
                "message_id": record.get("messageId"),
                "receive_count": receive_count_of(record),
            },
            ensure_ascii=False,
        )
    )
