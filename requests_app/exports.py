"""Exports in the existing workflow's formats: the audit CSV per environment and the catalog YAML.

The CSV is produced line by line from a database cursor (``.iterator()``), so memory stays
flat however long the trail is; the HTTP export and ``manage.py export_audit`` share it.
"""

import csv
import json
from datetime import timezone as dt_timezone
from typing import Iterable, Iterator

import yaml
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from requests_app.models import AuditEntry, BucketRequest, CatalogEntry

# The existing workflow's columns first, in its order; ours after them.
WORKFLOW_COLUMNS = ["timestamp_utc", "request_id", "bucket_name", "owner", "environment", "purpose",
                    "action", "approver", "status"]
EXTRA_COLUMNS = ["actor", "entry_id", "detail", "previous_hash", "entry_hash"]
AUDIT_CSV_COLUMNS = WORKFLOW_COLUMNS + EXTRA_COLUMNS
CHUNK_ROWS = 2000
CSV_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def audit_entries(environment: str | None = None) -> QuerySet:
    """Audit entries in chain order, each with its request's owner and purpose (one query)."""
    request = BucketRequest.objects.filter(request_id=OuterRef("request_id"))
    queryset = AuditEntry.objects.order_by("id").annotate(
        owner_slug=Subquery(request.values("owner__slug")[:1]),
        request_purpose=Subquery(request.values("purpose")[:1]),
    )
    return queryset.filter(environment=environment) if environment else queryset


def _status_after(entry: AuditEntry) -> str:
    if entry.action == "request.submitted":
        return "pending_approval"
    if not isinstance(entry.detail, dict):
        return ""
    return str(entry.detail.get("to") or entry.detail.get("status") or "")


def _approver(entry: AuditEntry) -> str:
    deciding = entry.action.startswith("approval.") or entry.action in ("request.approve", "request.reject")
    return entry.actor if deciding and entry.actor != "system" else ""


def audit_row(entry: AuditEntry) -> list[str]:
    return [
        entry.timestamp.astimezone(dt_timezone.utc).strftime(CSV_TIMESTAMP_FORMAT),
        entry.request_id,
        entry.bucket_name,
        getattr(entry, "owner_slug", None) or "",
        entry.environment,
        getattr(entry, "request_purpose", None) or "",
        entry.action,
        _approver(entry),
        _status_after(entry),
        entry.actor,
        str(entry.id),
        json.dumps(entry.detail, sort_keys=True, ensure_ascii=False),
        entry.previous_hash,
        entry.entry_hash,
    ]


class _LineBuffer:
    """A write-only 'file' that hands back what csv.writer writes, so each row becomes one string."""

    def write(self, text: str) -> str:
        return text


def audit_csv_lines(environment: str | None = None) -> Iterator[str]:
    """The CSV, header first, one line per entry, read from the database in chunks."""
    writer = csv.writer(_LineBuffer(), lineterminator="\n")
    yield writer.writerow(AUDIT_CSV_COLUMNS)
    for entry in audit_entries(environment).iterator(chunk_size=CHUNK_ROWS):
        yield writer.writerow(audit_row(entry))


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
