"""Validate one replicated object version: the S3 reads behind the pure evidence rules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.shared import aws
from lambdas.shared.events import ObjectEvent
from lambdas.shared.evidence import STREAM_METHOD, ObjectFacts, compare_without_reading
from lambdas.shared.replica_map import ReplicaMap, ReplicaTarget
from lambdas.shared.verdicts import Outcome, Reason, Verdict

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FoundObject:
    bucket: str
    key: str
    version_id: str | None
    facts: ObjectFacts


def validate(event: ObjectEvent, replica_map: ReplicaMap, primary_region: str | None = None) -> Outcome:
    """The verdict for the object version named by ``event``; S3 errors become ERROR outcomes."""
    skipped = _skip_reason(event, replica_map)
    if skipped:
        return Outcome(Verdict.SKIPPED, skipped)
    target = replica_map.target_for(event.bucket)
    if target is None:
        return Outcome(Verdict.ERROR, Reason.UNKNOWN_BUCKET, detail=f"{event.bucket} is not in REPLICA_MAP")
    try:
        return _compare_versions(event, target, primary_region)
    except (ClientError, BotoCoreError) as exc:
        if isinstance(exc, ClientError) and aws.error_code(exc) in {"AccessDenied", "403"}:
            return Outcome(Verdict.ERROR, Reason.ACCESS_DENIED, detail=str(exc))
        retryable = aws.is_retryable(exc)
        reason = Reason.TRANSIENT_AWS_ERROR if retryable else Reason.AWS_ERROR
        return Outcome(Verdict.ERROR, reason, detail=str(exc), retryable=retryable)


def _skip_reason(event: ObjectEvent, replica_map: ReplicaMap) -> Reason | None:
    if event.is_delete_marker:
        return Reason.DELETE_MARKER
    if not event.is_creation:
        return Reason.NOT_AN_OBJECT_CREATION
    if replica_map.is_replica_bucket(event.bucket):
        return Reason.OBJECT_IS_REPLICA
    return None


def _compare_versions(event: ObjectEvent, target: ReplicaTarget, primary_region: str | None) -> Outcome:
    primary = _find_primary(event, primary_region)
    if primary is None:
        return Outcome(Verdict.SKIPPED, Reason.PRIMARY_VERSION_GONE)
    return replace(_compare_with_replica(primary, target, primary_region), version_id=primary.version_id)


def _compare_with_replica(primary: FoundObject, target: ReplicaTarget, primary_region: str | None) -> Outcome:
    status = primary.facts.replication_status
    if status == "REPLICA":
        return Outcome(Verdict.SKIPPED, Reason.OBJECT_IS_REPLICA)
    if status == "FAILED":
        return Outcome(
            Verdict.REPLICATION_FAILED,
            Reason.REPLICATION_STATUS_FAILED,
            detail="S3 reports replication status FAILED for this version",
        )
    replica = _head(target.region, target.bucket, primary.key, primary.version_id)
    if replica is None:
        reason = Reason.REPLICATION_STATUS_PENDING if status == "PENDING" else Reason.REPLICA_NOT_FOUND
        return Outcome(Verdict.PENDING, reason, detail=f"{target.bucket} has no version {primary.version_id}")
    verdict = compare_without_reading(primary.facts, replica.facts)
    if verdict is not None:
        return verdict
    return _compare_streams(primary, primary_region, replica, target.region)


def _find_primary(event: ObjectEvent, region: str | None) -> FoundObject | None:
    """The event's version under the decoded key (or the raw key, for producers that do not encode)."""
    for key in event.key_candidates:
        found = _head(region, event.bucket, key, event.version_id)
        if found is not None:
            return found
    return None


def _head(region: str | None, bucket: str, key: str, version_id: str | None) -> FoundObject | None:
    """HeadObject with checksums; None when the version (or key) does not exist or is a delete marker."""
    arguments = {"Bucket": bucket, "Key": key, "ChecksumMode": "ENABLED"}
    if version_id and version_id != "null":
        arguments["VersionId"] = version_id
    try:
        head = aws.client("s3", region).head_object(**arguments)
    except ClientError as exc:
        if aws.is_not_found(exc) or aws.is_delete_marker(exc):
            return None
        raise
    return FoundObject(
        bucket=bucket,
        key=key,
        version_id=head.get("VersionId") or version_id,
        facts=ObjectFacts.from_head(head),
    )


def _compare_streams(primary: FoundObject, primary_region, replica: FoundObject, replica_region) -> Outcome:
    """Read both versions in bounded chunks and compare SHA-256 digests."""
    primary_digest, primary_bytes = stream_sha256(primary_region, primary)
    replica_digest, replica_bytes = stream_sha256(replica_region, replica)
    outcome = Outcome(
        Verdict.VERIFIED, Reason.MATCHED, method=STREAM_METHOD, bytes_read=primary_bytes + replica_bytes
    )
    if primary_digest != replica_digest:
        return replace(
            outcome,
            verdict=Verdict.MISMATCH,
            reason=Reason.CONTENT_MISMATCH,
            detail="SHA-256 of the contents differ",
        )
    return outcome


def stream_sha256(region: str | None, found: FoundObject) -> tuple[str, int]:
    """SHA-256 hex digest and byte count of one object version, read in CHUNK_BYTES pieces."""
    arguments = {"Bucket": found.bucket, "Key": found.key}
    if found.version_id and found.version_id != "null":
        arguments["VersionId"] = found.version_id
    body = aws.client("s3", region).get_object(**arguments)["Body"]
    digest, total = hashlib.sha256(), 0
    for chunk in body.iter_chunks(CHUNK_BYTES):
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total
