"""Decide what evidence proves a replica equals its primary, from HeadObject facts alone.

Order (strongest cheap evidence first; see docs/decisions/replication-evidence-order.md):
1. a size difference is a mismatch at once;
2. an S3 checksum of the same algorithm and type on both objects (FULL_OBJECT, or COMPOSITE with the
   same part count);
3. both ETags plain MD5s (single part, not SSE-KMS/DSSE, not SSE-C);
4. otherwise the caller streams both objects and compares SHA-256.
A COMPOSITE checksum that differs only proves the part layout differs, so it falls through to streaming.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lambdas.shared.verdicts import Outcome, Reason, Verdict

CHECKSUM_ALGORITHMS = ("SHA256", "SHA1", "CRC64NVME", "CRC32C", "CRC32")
STREAM_METHOD = "stream-sha256"
_PLAIN_MD5 = re.compile(r"[0-9a-f]{32}", re.ASCII)
_KMS_ENCRYPTIONS = {"aws:kms", "aws:kms:dsse"}


@dataclass(frozen=True)
class ObjectFacts:
    size: int
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)
    checksum_type: str | None = None
    encryption: str | None = None
    customer_key: bool = False
    replication_status: str | None = None

    @classmethod
    def from_head(cls, head: dict) -> ObjectFacts:
        """Facts from a boto3 ``head_object(..., ChecksumMode="ENABLED")`` response."""
        return cls(
            size=int(head["ContentLength"]),
            etag=str(head.get("ETag", "")).strip('"').lower(),
            checksums={
                algorithm: head[f"Checksum{algorithm}"]
                for algorithm in CHECKSUM_ALGORITHMS
                if head.get(f"Checksum{algorithm}")
            },
            checksum_type=head.get("ChecksumType") or _inferred_checksum_type(head),
            encryption=head.get("ServerSideEncryption"),
            customer_key=bool(head.get("SSECustomerAlgorithm")),
            replication_status=head.get("ReplicationStatus"),
        )

    @property
    def etag_is_md5(self) -> bool:
        return (
            bool(_PLAIN_MD5.fullmatch(self.etag))
            and self.encryption not in _KMS_ENCRYPTIONS
            and not self.customer_key
        )


def compare_without_reading(primary: ObjectFacts, replica: ObjectFacts) -> Outcome | None:
    """A verdict from metadata, or None when only reading both objects can decide."""
    if primary.size != replica.size:
        detail = f"primary has {primary.size} bytes, replica {replica.size}"
        return Outcome(Verdict.MISMATCH, Reason.SIZE_MISMATCH, method="size", detail=detail)
    checksum = _comparable_checksum(primary, replica)
    if checksum is not None:
        algorithm, checksum_type = checksum
        method = f"checksum-{algorithm}-{checksum_type}"
        if primary.checksums[algorithm] == replica.checksums[algorithm]:
            return Outcome(Verdict.VERIFIED, Reason.MATCHED, method=method)
        if checksum_type == "FULL_OBJECT":
            return Outcome(
                Verdict.MISMATCH,
                Reason.CONTENT_MISMATCH,
                method=method,
                detail=f"{algorithm} checksums differ",
            )
    if primary.etag_is_md5 and replica.etag_is_md5:
        if primary.etag == replica.etag:
            return Outcome(Verdict.VERIFIED, Reason.MATCHED, method="etag-md5")
        return Outcome(
            Verdict.MISMATCH, Reason.CONTENT_MISMATCH, method="etag-md5", detail="MD5 ETags differ"
        )
    return None


def _comparable_checksum(primary: ObjectFacts, replica: ObjectFacts) -> tuple[str, str] | None:
    """The strongest algorithm both objects carry with the same checksum type (and part count)."""
    if not primary.checksum_type or primary.checksum_type != replica.checksum_type:
        return None
    for algorithm in CHECKSUM_ALGORITHMS:
        ours, theirs = primary.checksums.get(algorithm), replica.checksums.get(algorithm)
        if ours is None or theirs is None:
            continue
        if primary.checksum_type == "COMPOSITE" and _part_count(ours) != _part_count(theirs):
            continue
        return algorithm, primary.checksum_type
    return None


def _inferred_checksum_type(head: dict) -> str | None:
    """Older S3 responses (and moto) omit ChecksumType: a ``-N`` suffix means COMPOSITE."""
    values = [
        head[f"Checksum{algorithm}"] for algorithm in CHECKSUM_ALGORITHMS if head.get(f"Checksum{algorithm}")
    ]
    if not values:
        return None
    return "COMPOSITE" if _part_count(values[0]) > 1 else "FULL_OBJECT"


def _part_count(checksum: str) -> int:
    """COMPOSITE checksums end in ``-<parts>``; a plain value counts as one part."""
    _, separator, parts = checksum.rpartition("-")
    return int(parts) if separator and parts.isdigit() else 1
