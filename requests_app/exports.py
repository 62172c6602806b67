"""Exports in the existing workflow's formats: the audit CSV per environment and the catalog YAML.

The CSV is produced line by line from a database cursor (``.iterator()``), so memory stays
flat however long the trail is; the HTTP export and ``manage.py export_audit`` share it.
"""

import csv
import json
from datetime import timezone as dt_timezone
from typing import Iterable, Iterator

import yaml
from django.db.models import QuerySet
from django.utils import timezone

from requests_app.models import AuditEntry, BucketRequest, CatalogEntry

# The existing workflow's columns first, in its order; ours after them.
WORKFLOW_COLUMNS = ["timestamp_utc", "request_id", "bucket_name", "owner", "environment", "purpose",
                    "action", "approver", "status"]
EXTRA_COLUMNS = ["actor", "entry_id", "detail", "previous_hash", "entry_hash"]
AUDIT_CSV_COLUMNS = WORKFLOW_COLUMNS + EXTRA_COLUMNS
CHUNK_ROWS = 2000
CSV_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


# The audit entry's own columns, read as plain tuples (no model instance per row: a million-row
# export spends its time in the database and the CSV writer, not in building objects).
_ENTRY_FIELDS = ("timestamp", "request_id", "bucket_name", "environment", "action", "actor", "id", "detail",
                 "previous_hash", "entry_hash")
_NO_REQUEST = ("", "")


def _request_columns() -> dict[str, tuple[str, str]]:
    """Owner slug and purpose of every request, by request ID: one query, one small tuple per request.

    Joined in Python because ``AuditEntry.request_id`` is a plain column, not a foreign key,
    and per-row subqueries cost more than the rest of the export.
    """
    return {request_id: (owner, purpose)
            for request_id, owner, purpose in BucketRequest.objects.values_list("request_id", "owner__slug", "purpose")}


def _status_after(action: str, detail) -> str:
    if action == "request.submitted":
        return "pending_approval"
    if not isinstance(detail, dict):
        return ""
    return str(detail.get("to") or detail.get("status") or "")


def _approver(action: str, actor: str) -> str:
    deciding = action.startswith("approval.") or action in ("request.approve", "request.reject")
    return actor if deciding and actor != "system" else ""


def audit_row(entry: tuple, request_columns: dict[str, tuple[str, str]]) -> list[str]:
    """One CSV row from an entry's ``_ENTRY_FIELDS`` values and its request's owner and purpose."""
    timestamp, request_id, bucket_name, environment, action, actor, entry_id, detail, previous_hash, entry_hash = entry
    owner, purpose = request_columns.get(request_id, _NO_REQUEST)
    return [
        timestamp.astimezone(dt_timezone.utc).strftime(CSV_TIMESTAMP_FORMAT),
        request_id,
        bucket_name,
        owner,
        environment,
        purpose,
        action,
        _approver(action, actor),
        _status_after(action, detail),
        actor,
        str(entry_id),
        json.dumps(detail, sort_keys=True, ensure_ascii=False),
        previous_hash,
        entry_hash,
    ]


class _LineBuffer:
    """A write-only 'file' that hands back what csv.writer writes, so each row becomes one string."""

    def write(self, text: str) -> str:
        return text


def audit_csv_lines(environment: str | None = None) -> Iterator[str]:
    """The CSV, header first, one line per entry, read from the database in chunks."""
    writer = csv.writer(_LineBuffer(), lineterminator="\n")
    yield writer.writerow(AUDIT_CSV_COLUMNS)
    request_columns = _request_columns()
    entries = AuditEntry.objects.order_by("id")
    if environment:
        entries = entries.filter(environment=environment)
    for entry in entries.values_list(*_ENTRY_FIELDS).iterator(chunk_size=CHUNK_ROWS):
        yield writer.writerow(audit_row(entry, request_columns))


def write_lines(lines: Iterable[str], path) -> int:
    """Write ``lines`` to ``path`` (parents created); returns the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = -1
    with open(path, "w", encoding="utf-8", newline="") as out:
        for line in lines:
            out.write(line)
            rows += 1
    return max(rows, 0)


def catalog_document(entries: Iterable[CatalogEntry]) -> dict:
    """The ``s3-catalog.yaml`` layout: buckets keyed by name with metadata, aws, governance, retention, cost."""
    return {
        "version": 1,
        "generated_at": timezone.now().astimezone(dt_timezone.utc).isoformat(timespec="seconds"),
        "buckets": {entry.bucket_name: _catalog_bucket(entry) for entry in entries},
    }


def _catalog_bucket(entry: CatalogEntry) -> dict:
    contract = entry.request.contract
    spec = contract.get("spec", {})
    lifecycle = spec.get("lifecycle") or {}
    retention = spec.get("retentionPolicy", {})
    return {
        "metadata": {
            "id": entry.request.request_id,
            "owner": entry.owner.slug,
            "application": contract.get("application"),
            "environment": entry.environment,
            "purpose": entry.purpose,
            "description": spec.get("purpose", {}).get("description"),
            "requester": entry.request.requester,
            "status": entry.status,
            "created": entry.created_at.astimezone(dt_timezone.utc).date().isoformat(),
        },
        "aws": {"region": entry.region or None, "arn": entry.arn or None},
        "governance": {
            "encryption": spec.get("encryption", {}).get("type"),
            "kms_key_alias": spec.get("encryption", {}).get("kmsKeyAlias"),
            "versioning": spec.get("versioning"),
            "public_access": spec.get("publicAccess"),
            "access_logging": spec.get("accessLogging", {}).get("enabled"),
            "storage_class": spec.get("storageClass"),
        },
        "retention": {
            "type": retention.get("type"),
            "rationale": retention.get("rationale"),
            "expiration_days": lifecycle.get("expirationDays"),
            "transitions": lifecycle.get("transitions", []),
        },
        "cost": {
            "cost_center": spec.get("tags", {}).get("costCenter"),
            "alert_threshold_gb": spec.get("costAlertGb"),
        },
    }


def catalog_yaml(queryset: QuerySet | None = None) -> str:
    queryset = CatalogEntry.objects.all() if queryset is None else queryset
    entries = queryset.select_related("owner", "request").order_by("bucket_name")
    return yaml.safe_dump(catalog_document(entries.iterator()), sort_keys=False, allow_unicode=True)
