"""Per-record processing of an SQS batch with partial batch responses (ReportBatchItemFailures)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

LOGGER = logging.getLogger("bucketwise.replication")


def process_batch(records: Iterable[dict], process_record: Callable[[dict], bool]) -> dict:
    """Run ``process_record`` on each record; those that return False or raise are retried by SQS.

    One bad record never fails its neighbours: the response names only the records to redeliver.
    """
    failures = []
    for record in records:
        try:
            succeeded = process_record(record)
        except Exception:  # any crash must cost only this record
            LOGGER.exception("record %s failed", record.get("messageId"))
            succeeded = False
        if not succeeded:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
