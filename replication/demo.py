"""`replication_demo`: objects uploaded to the local pair, some of them to be corrupted or lost in replication.

The faults are asked of the local replication emulator through each object's metadata
(``replication.local.local_aws.FAULT_METADATA``), so the counts are exact; everything after
the upload is the real pipeline (EventBridge, SQS, the Lambdas, SNS, the hook).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

import boto3
from botocore.exceptions import ClientError, EndpointConnectionError
from django.db.models import Sum
from django.utils import timezone

from replication.local.description import LocalPipeline
from replication.local.local_aws import FAULT_METADATA
from replication.models import BucketPair, ReplicationEvent, VerificationBatch

MAX_OBJECTS = 500  # keeps the local queues shallow (moto's SQS slows down with depth)


class DemoError(ValueError):
    pass


@dataclass
class DemoRun:
    prefix: str
    started_at: datetime
    keys: dict[str, list[str]] = field(default_factory=dict)  # "ok" | "corrupt" | "drop" -> keys

    @property
    def expected_verified(self) -> int:
        return len(self.keys.get("ok", []))


@dataclass(frozen=True)
class DemoProgress:
    verified: int
    verdicts: dict[str, tuple[str, str]]  # key -> (verdict, reason) of the failures reported so far

    def complete(self, run: DemoRun) -> bool:
        failing = set(run.keys.get("corrupt", [])) | set(run.keys.get("drop", []))
        return self.verified >= run.expected_verified and failing <= set(self.verdicts)


def upload(
    pipeline: LocalPipeline, client_arguments: dict, objects: int, corrupt: int, missing: int
) -> DemoRun:
    if not 1 <= objects <= MAX_OBJECTS:
        raise DemoError(f"--objects must be between 1 and {MAX_OBJECTS}")
    if corrupt < 0 or missing < 0 or corrupt + missing > objects:
        raise DemoError("--corrupt and --missing must be positive and together at most --objects")
    s3 = boto3.client("s3", region_name=pipeline.primary_region, **client_arguments)
    try:
        s3.head_bucket(Bucket=pipeline.primary_bucket)
    except (ClientError, EndpointConnectionError) as exc:
        raise DemoError(
            f"{pipeline.primary_bucket} does not exist in the local AWS: is `make run` running?"
        ) from exc
    run = DemoRun(
        prefix=f"demo/{timezone.now():%Y%m%dT%H%M%S}-{secrets.token_hex(2)}/", started_at=timezone.now()
    )
    for index in range(objects):
        fault = "corrupt" if index < corrupt else "drop" if index < corrupt + missing else "ok"
        key = f"{run.prefix}object-{index + 1:04d}.csv"
        metadata = {} if fault == "ok" else {FAULT_METADATA: fault}
        body = f"id,value\n{index},{secrets.token_hex(64)}\n".encode()
        s3.put_object(
            Bucket=pipeline.primary_bucket, Key=key, Body=body, Metadata=metadata, ContentType="text/csv"
        )
        run.keys.setdefault(fault, []).append(key)
    return run


def progress(pipeline: LocalPipeline, run: DemoRun) -> DemoProgress:
    """What the portal has received for this run (read from its database, as the health page is)."""
    pair = BucketPair.objects.filter(
        primary_bucket=pipeline.primary_bucket, replica_bucket=pipeline.replica_bucket
    ).first()
    if pair is None:
        return DemoProgress(0, {})
    verified = (
        VerificationBatch.objects.filter(
            pair=pair, reported_at__gte=run.started_at.replace(microsecond=0)
        ).aggregate(n=Sum("verified"))["n"]
        or 0
    )
    events = ReplicationEvent.objects.filter(pair=pair, key__startswith=run.prefix).values_list(
        "key", "kind", "reason"
    )
    return DemoProgress(verified, {key: (kind, reason) for key, kind, reason in events})
