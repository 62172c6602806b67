"""Verdicts, reasons and what each one means for the SQS record that carried it."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Verdict(str, enum.Enum):
    VERIFIED = "VERIFIED"
    PENDING = "PENDING"
    MISMATCH = "MISMATCH"
    REPLICATION_FAILED = "REPLICATION_FAILED"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"


class Reason(str, enum.Enum):
    """Why a verdict was reached; the portal keys incidents on these codes."""

    MATCHED = "MATCHED"
    SIZE_MISMATCH = "SIZE_MISMATCH"
    CONTENT_MISMATCH = "CONTENT_MISMATCH"
    REPLICA_NOT_FOUND = "REPLICA_NOT_FOUND"
    REPLICATION_STATUS_PENDING = "REPLICATION_STATUS_PENDING"
    REPLICATION_STATUS_FAILED = "REPLICATION_STATUS_FAILED"
    NOT_AN_OBJECT_CREATION = "NOT_AN_OBJECT_CREATION"
    DELETE_MARKER = "DELETE_MARKER"
    OBJECT_IS_REPLICA = "OBJECT_IS_REPLICA"
    PRIMARY_VERSION_GONE = "PRIMARY_VERSION_GONE"
    UNKNOWN_BUCKET = "UNKNOWN_BUCKET"
    MALFORMED_EVENT = "MALFORMED_EVENT"
    ACCESS_DENIED = "ACCESS_DENIED"
    TRANSIENT_AWS_ERROR = "TRANSIENT_AWS_ERROR"
    AWS_ERROR = "AWS_ERROR"
    RETRIES_EXHAUSTED = "RETRIES_EXHAUSTED"


class Disposition(str, enum.Enum):
    """What the validator does with the SQS record after a verdict."""

    DONE = "DONE"  # delete the message
    RETRY = "RETRY"  # report as a batch item failure; SQS redelivers, then the DLQ
    REPORT = "REPORT"  # permanent: send to the failure queue now, then delete


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    reason: Reason
    method: str | None = None
    detail: str = ""
    bytes_read: int = 0
    retryable: bool = False
    # The primary version the verdict is about, as S3 resolved it: an event without a versionId
    # (direct S3 notifications of some producers) still names the version that was compared.
    version_id: str | None = None

    @property
    def disposition(self) -> Disposition:
        return disposition_of(self.verdict, self.retryable)


def disposition_of(verdict: Verdict, retryable: bool = False) -> Disposition:
    """Permanent failures are reported at once; only what can heal is retried."""
    if verdict in (Verdict.VERIFIED, Verdict.SKIPPED):
        return Disposition.DONE
    if verdict is Verdict.PENDING:
        return Disposition.RETRY
    if verdict is Verdict.ERROR and retryable:
        return Disposition.RETRY
    return Disposition.REPORT
