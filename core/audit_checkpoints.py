"""Checkpoints of the audit chain, written outside the database to an S3 Object Lock bucket.

Like CloudTrail's digest files: every checkpoint names the chain's head (hash, entry id,
entry count), the time, the key id and the previous checkpoint's hash, and carries an HMAC
under the chain key. Each is one object, locked in COMPLIANCE mode, so neither the portal
nor anyone holding its database can rewrite or delete it before the retention ends.
Checkpoints are written on a schedule (``core.tasks``) and at every export, where they also
record exactly which rows the exported file holds (``export``), so the file verifies alone.

A checkpoint is first a row (``AuditCheckpoint``, with the exact document), then an object:
if the bucket cannot be reached the row stays *pending*, ``/healthz`` and the audit page
say so, the retry schedule writes the same bytes later, and audit writing never waits on it.
"""

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, timedelta

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.audit import GENESIS_HASH
from core.audit_keys import ChainKey, signing_key, verification_keys
from core.models import AuditChainLock, AuditCheckpoint, AuditEntry
from portal import json_input as bounded_json

logger = logging.getLogger(__name__)

FORMAT = "bucketwise-audit-checkpoint/1"
REASON_SCHEDULE = "schedule"
REASON_EXPORT = "export"
ALL_ENVIRONMENTS = "*"  # the export scope of a file holding every entry (with or without an environment)
CHECKPOINT_SEQUENCE_LOCK = 2  # the AuditChainLock row that serialises checkpoint numbering (row 1: the chain)
S3_ERRORS = (BotoCoreError, ClientError)  # with CheckpointConflict, what a write may meet


def canonical_json(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --- Which rows an export holds: the rows digest -----------------------------------------------
#
# One line per exported entry, ``id:entry_hash`` and a newline, SHA-256'd in id order. The line exists
# twice, side by side here: in Python (``digest_line``: checking a file, and SQLite) and in SQL
# (``DIGEST_LINE_SQL``: PostgreSQL writes the lines itself); tests/core/test_audit_rows_digest.py
# compares the two byte for byte, digest included.


def digest_line(entry_id: int, entry_hash: str) -> bytes:
    return f"{entry_id}:{entry_hash}\n".encode()


DIGEST_LINE_SQL = "a.id::text || ':' || a.entry_hash || E'\\n'"

# PostgreSQL hands back the lines of DIGEST_RANGE_IDS ids at a time, already joined (under 1 MB), so
# Python does one step per range instead of one per row and memory stays flat on both sides (the
# aggregate's sort of 10,000 lines stays within the default work_mem; 50,000 spilled to disk).
DIGEST_RANGE_IDS = 10_000
_DIGEST_RANGE_QUERY = (
    f"SELECT count(*), min(a.id), max(a.id), string_agg({DIGEST_LINE_SQL}, '' ORDER BY a.id) "
    f"FROM {AuditEntry._meta.db_table} a WHERE a.id > %(after)s AND a.id <= %(upto)s "
    "AND (%(environment)s::text IS NULL OR a.environment = %(environment)s)"
)


@dataclass
class RowsDigest:
    """Which entries a file holds, and in which order: a SHA-256 over ``digest_line``s, with the
    row count and the first and last ids. Fed row by row (or lines by the block), so memory stays flat."""

    rows: int = 0
    first_entry_id: int = 0
    last_entry_id: int = 0
    _sha: "hashlib._Hash" = field(default_factory=hashlib.sha256, repr=False)

    def add(self, entry_id: int, entry_hash: str) -> None:
        self.add_lines(digest_line(entry_id, entry_hash), 1, entry_id, entry_id)

    def add_lines(self, lines: bytes, rows: int, first_entry_id: int, last_entry_id: int) -> None:
        """``rows`` consecutive digest lines at once, from entry ``first_entry_id`` to ``last_entry_id``."""
        self._sha.update(lines)
        self.rows += rows
        self.first_entry_id = self.first_entry_id or first_entry_id
        self.last_entry_id = last_entry_id

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def rows_digest(rows: Iterable[tuple[int, str]]) -> RowsDigest:
    digest = RowsDigest()
    for entry_id, entry_hash in rows:
        digest.add(entry_id, entry_hash)
    return digest


def exported_entries(environment: str | None, head_entry_id: int):
    """The entries an export of ``environment`` (None: all) up to ``head_entry_id`` holds, in order."""
    entries = AuditEntry.objects.filter(id__lte=head_entry_id).order_by("id")
    return entries.filter(environment=environment) if environment else entries


def python_rows_digest(environment: str | None, head_entry_id: int) -> RowsDigest:
    """The digest of an export's rows, each (id, hash) read into Python (SQLite)."""
    entries = exported_entries(environment, head_entry_id).values_list("id", "entry_hash")
    return rows_digest(entries.iterator(chunk_size=5000))


def database_rows_digest(environment: str | None, head_entry_id: int) -> RowsDigest:
    """The same digest with PostgreSQL writing the lines (DIGEST_LINE_SQL), a range of ids at a time."""
    digest = RowsDigest()
    with connection.cursor() as cursor:
        for after in range(0, head_entry_id, DIGEST_RANGE_IDS):
            params = {
                "after": after,
                "upto": min(after + DIGEST_RANGE_IDS, head_entry_id),
                "environment": environment or None,
            }
            cursor.execute(_DIGEST_RANGE_QUERY, params)
            rows, first_entry_id, last_entry_id, lines = cursor.fetchone()
            if rows:
                digest.add_lines(lines.encode(), rows, first_entry_id, last_entry_id)
    return digest


def _export_scope(environment: str | None, head_entry_id: int) -> dict:
    digest_of = database_rows_digest if connection.vendor == "postgresql" else python_rows_digest
    digest = digest_of(environment, head_entry_id)
    return {
        "environment": environment or ALL_ENVIRONMENTS,
        "rows": digest.rows,
        "first_entry_id": digest.first_entry_id,
        "last_entry_id": digest.last_entry_id,
        "rows_digest": digest.hexdigest(),
    }


def chain_head() -> tuple[int, int, str]:
    """(entry count, head entry id, head hash) of the committed chain.

    Appends are serialised on the chain lock and take their id inside it, so every entry
    not yet committed has a higher id than the committed head: the head is a consistent cut.
    """
    head = AuditEntry.objects.order_by("-id").values_list("id", "entry_hash").first()
    if head is None:
        return 0, 0, GENESIS_HASH
    return AuditEntry.objects.filter(id__lte=head[0]).count(), head[0], head[1]


def sign(body: dict, key: ChainKey) -> dict:
    return {**body, "mac": key.mac(canonical_json(body))}


def create_checkpoint(reason: str, *, export_environment: str | None = None) -> AuditCheckpoint:
    """A new pending checkpoint of the chain's current head (not yet written to the bucket).

    For ``reason="export"`` it also records the export's rows (``export_environment``: one
    environment, or None for all entries).
    """
    entry_count, head_entry_id, head_hash = chain_head()
    export = _export_scope(export_environment, head_entry_id) if reason == REASON_EXPORT else None
    key = signing_key()
    with transaction.atomic():
        # Sequence numbers are allocated one creator at a time: the previous checkpoint read after
        # taking the lock is the newest committed one.
        AuditChainLock.objects.select_for_update().get_or_create(pk=CHECKPOINT_SEQUENCE_LOCK)
        previous = AuditCheckpoint.objects.order_by("-sequence").first()
        now = timezone.now()
        body = {
            "format": FORMAT,
            "sequence": previous.sequence + 1 if previous else 1,
            "created_at": now.astimezone(UTC).isoformat(timespec="microseconds"),
            "entry_count": entry_count,
            "head_entry_id": head_entry_id,
            "head_hash": head_hash,
            "key_id": key.key_id,
            "previous_checkpoint_hash": previous.checkpoint_hash if previous else GENESIS_HASH,
            "reason": reason,
            "export": export,
        }
        document = canonical_json(sign(body, key))
        return AuditCheckpoint.objects.create(
            sequence=body["sequence"],
            reason=reason,
            entry_count=entry_count,
            head_entry_id=head_entry_id,
            document=document.decode("utf-8"),
            checkpoint_hash=hashlib.sha256(document).hexdigest(),
            created_at=now,
        )


# --- The bucket ---------------------------------------------------------------------------------


def s3_client(**overrides):
    """Short timeouts and few retries: an export waits seconds, not minutes, for a bucket that is down."""
    options = {
        "region_name": settings.AUDIT_CHECKPOINT_REGION,
        "endpoint_url": settings.AWS_ENDPOINT_URL or None,
        "config": Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}),
    }
    return boto3.client("s3", **{**options, **overrides})


def object_key(sequence: int) -> str:
    return f"{settings.AUDIT_CHECKPOINT_PREFIX}{sequence:012d}.json"


def ensure_bucket(client=None) -> None:
    """Create the checkpoint bucket with Object Lock (development: `make run`); production creates it
    beforehand (docs/audit.md)."""
    client = client or s3_client()
    bucket = settings.AUDIT_CHECKPOINT_BUCKET
    options = {}
    if settings.AUDIT_CHECKPOINT_REGION != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": settings.AUDIT_CHECKPOINT_REGION}
    try:
        client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True, **options)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    client.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {
                "DefaultRetention": {"Mode": "COMPLIANCE", "Days": settings.AUDIT_CHECKPOINT_RETENTION_DAYS}
            },
        },
    )


class CheckpointConflict(Exception):
    """The bucket already holds a different object under this checkpoint's name."""


def _put(client, checkpoint: AuditCheckpoint) -> None:
    """Write the checkpoint once: ``If-None-Match: *`` refuses a second object under its name, and a
    retry whose first attempt did land finds its own bytes there."""
    body = checkpoint.document.encode("utf-8")
    bucket, key = settings.AUDIT_CHECKPOINT_BUCKET, object_key(checkpoint.sequence)
    retain_until = timezone.now() + timedelta(days=settings.AUDIT_CHECKPOINT_RETENTION_DAYS)
    try:
        client.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            IfNoneMatch="*",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=retain_until,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise
        if client.get_object(Bucket=bucket, Key=key)["Body"].read() != body:
            raise CheckpointConflict(f"{key} already holds a different checkpoint") from error


def write_pending(client=None) -> int:
    """Write every pending checkpoint, oldest first; stop at the first failure (kept, with its error,
    for the next try). Returns how many were written. Never raises for the bucket's errors."""
    written = 0
    pending = list(AuditCheckpoint.objects.filter(written_at__isnull=True).order_by("sequence"))
    if not pending:
        return 0
    try:
        client = client or s3_client()
        for checkpoint in pending:
            _put(client, checkpoint)
            AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(
                written_at=timezone.now(), attempts=checkpoint.attempts + 1, last_error=""
            )
            written += 1
    except (*S3_ERRORS, CheckpointConflict) as error:
        failed = pending[written]
        AuditCheckpoint.objects.filter(pk=failed.pk).update(
            attempts=failed.attempts + 1, last_error=str(error)[:2000]
        )
        logger.warning("audit checkpoint #%s could not be written: %s", failed.sequence, error)
    return written


def checkpoint_now(
    reason: str = REASON_SCHEDULE, *, export_environment: str | None = None, client=None
) -> AuditCheckpoint:
    """Create a checkpoint and write it (with any earlier pending ones); a bucket error leaves it pending."""
    checkpoint = create_checkpoint(reason, export_environment=export_environment)
    write_pending(client)
    checkpoint.refresh_from_db()
    return checkpoint


def scheduled_checkpoint(client=None) -> AuditCheckpoint | None:
    """The schedule's work: a new checkpoint when the chain grew since the last one, then write what is pending."""
    last = AuditCheckpoint.objects.order_by("-sequence").first()
    _, head_entry_id, _ = chain_head()
    if last is not None and last.head_entry_id == head_entry_id:
        write_pending(client)
        return None
    return checkpoint_now(REASON_SCHEDULE, client=client)


# --- Status and reading back ---------------------------------------------------------------------


def write_status() -> dict:
    """Whether checkpoints are being written: pending ones (the oldest's error), the last one written."""
    pending = AuditCheckpoint.objects.filter(written_at__isnull=True).order_by("sequence")
    oldest = pending.first()
    last_written = AuditCheckpoint.objects.filter(written_at__isnull=False).order_by("-sequence").first()
    return {
        "ok": oldest is None,
        "pending": pending.count(),
        "oldest_pending": oldest.sequence if oldest else None,
        "oldest_pending_since": oldest.created_at.isoformat() if oldest else None,
        "attempts": oldest.attempts if oldest else 0,
        "error": oldest.last_error if oldest else "",
        "last_written": last_written.sequence if last_written else None,
        "last_written_at": last_written.written_at.isoformat() if last_written else None,
    }


class CheckpointsUnavailable(Exception):
    pass


@dataclass
class StoredCheckpoint:
    """A checkpoint as the bucket holds it, and what reading it found."""

    key: str
    document: dict
    problems: list[str] = field(default_factory=list)

    @property
    def sequence(self) -> int:
        return self.document.get("sequence", 0)


def _check_document(raw: bytes, key: str, keys: dict[str, ChainKey]) -> StoredCheckpoint:
    try:
        document = bounded_json.loads(raw)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError("not a checkpoint document")
    except ValueError as error:
        return StoredCheckpoint(key, {}, [f"{key}: unreadable ({error})"])
    stored = StoredCheckpoint(key, document)
    chain_key = keys.get(document.get("key_id"))
    body = {name: value for name, value in document.items() if name != "mac"}
    if chain_key is None:
        stored.problems.append(
            f"checkpoint #{stored.sequence}: signed with key id {document.get('key_id')!r}, "
            "which is not configured"
        )
    elif chain_key.mac(canonical_json(body)) != document.get("mac"):
        stored.problems.append(
            f"checkpoint #{stored.sequence}: its signature does not match its content (forged or altered)"
        )
    elif key != object_key(stored.sequence):
        stored.problems.append(f"checkpoint #{stored.sequence}: stored under the wrong name {key}")
    return stored


def read_checkpoints(client=None) -> tuple[list[StoredCheckpoint], list[str]]:
    """Every checkpoint in the bucket, by sequence, each with its signature checked, and the problems of
    the set: a version that differs from the first (an overwrite), a delete marker (a deletion attempt),
    a gap in the sequence, a broken previous-checkpoint link. Raises CheckpointsUnavailable."""
    client = client or s3_client()
    bucket = settings.AUDIT_CHECKPOINT_BUCKET
    keys = verification_keys()
    versions: dict[str, list[dict]] = {}
    problems = []
    try:
        for page in client.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix=settings.AUDIT_CHECKPOINT_PREFIX
        ):
            for version in page.get("Versions", []):
                versions.setdefault(version["Key"], []).append(version)
            for marker in page.get("DeleteMarkers", []):
                problems.append(
                    f"{marker['Key']}: a delete marker hides it (someone tried to delete the "
                    "checkpoint; its locked version is still there and is used)"
                )
        stored = []
        for key, key_versions in sorted(versions.items()):
            key_versions.reverse()  # S3 lists a key's versions newest first: the first written is last
            bodies = [
                client.get_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])["Body"].read()
                for version in key_versions
            ]
            if any(body != bodies[0] for body in bodies[1:]):
                problems.append(
                    f"{key}: a later version differs from the one first written (an overwrite "
                    "was attempted; the first version is used)"
                )
            stored.append(_check_document(bodies[0], key, keys))
    except S3_ERRORS as error:
        raise CheckpointsUnavailable(f"the checkpoint bucket {bucket!r} cannot be read: {error}") from error
    stored.sort(key=lambda checkpoint: checkpoint.sequence)
    previous_hash, expected_sequence = GENESIS_HASH, 1
    for checkpoint in stored:
        problems.extend(checkpoint.problems)
        if checkpoint.problems:
            continue
        if checkpoint.sequence != expected_sequence:
            problems.append(
                f"checkpoint #{expected_sequence} is missing from the bucket "
                f"(the next one found is #{checkpoint.sequence})"
            )
        elif checkpoint.document["previous_checkpoint_hash"] != previous_hash:
            problems.append(
                f"checkpoint #{checkpoint.sequence}: does not link to checkpoint #{checkpoint.sequence - 1}"
            )
        previous_hash = hashlib.sha256(canonical_json(checkpoint.document)).hexdigest()
        expected_sequence = checkpoint.sequence + 1
    return [checkpoint for checkpoint in stored if not checkpoint.problems], problems
