"""Exports in the existing workflow's formats: the audit CSV per environment and the catalog YAML.

The audit CSV's rows are written by ``core.audit_csv`` (one home for the row mapping); this
module adds what only the request side knows, each request's owner and purpose. The HTTP
export and ``manage.py export_audit`` share it.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC
from pathlib import Path

import yaml
from django.db.models import QuerySet
from django.utils import timezone

from core import audit_csv
from requests_app.contract import ContractSchemaError, load_contract
from requests_app.contract.goldenpath import goldenpath_file
from requests_app.models import BucketRequest, CatalogEntry


def request_columns() -> dict[str, tuple[str, str]]:
    """Owner slug and purpose of every request, by request ID: one query, one small tuple per request.

    Joined in Python because ``AuditEntry.request_id`` is a plain column, not a foreign key,
    and per-row subqueries cost more than the rest of the export.
    """
    return {
        request_id: (owner, purpose)
        for request_id, owner, purpose in BucketRequest.objects.values_list(
            "request_id", "owner__slug", "purpose"
        )
    }


def audit_csv_lines(environment: str | None = None) -> Iterator[str]:
    """The audit CSV of one environment (or all), with each request's owner and purpose filled in."""
    return audit_csv.audit_csv_lines(environment, request_columns())


def write_lines(lines: Iterable[str], path) -> int:
    """Write the CSV text ``lines`` (rows, or on PostgreSQL blocks of rows) to ``path`` (parents created);
    returns the number of data rows (line ends after the header's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line_ends = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        for text in lines:
            out.write(text)
            line_ends += text.count("\n")
    return max(line_ends - 1, 0)


def catalog_document(entries: Iterable[CatalogEntry]) -> dict:
    """The ``s3-catalog.yaml`` layout: buckets keyed by name with metadata, aws, governance, retention, cost."""
    return {
        "version": 1,
        "generated_at": timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
        "buckets": {entry.bucket_name: _catalog_bucket(entry) for entry in entries},
    }


def _catalog_bucket(entry: CatalogEntry) -> dict:
    """One bucket of the catalog YAML, read from the stored contract through the contract's loader.

    A stored contract that does not load is not skipped and does not stop the export: the bucket keeps
    what its row knows (metadata, aws), its contract-derived sections are null, and
    ``metadata.contract_problem`` says why, so the export is complete and the gap is visible.
    """
    metadata = {
        "id": entry.request.request_id,
        "owner": entry.owner.slug,
        "application": entry.request.application,
        "environment": entry.environment,
        "purpose": entry.purpose,
        "description": None,
        "requester": entry.request.requester,
        "status": entry.status,
        "created": entry.created_at.astimezone(UTC).date().isoformat(),
    }
    aws = {"region": entry.region or None, "arn": entry.arn or None}
    try:
        contract = load_contract(entry.request.contract)
    except ContractSchemaError as exc:
        return {
            "metadata": {**metadata, "contract_problem": f"unreadable contract: {exc}"},
            "aws": aws,
            "governance": None,
            "retention": None,
            "cost": None,
        }
    spec = contract.spec
    lifecycle = spec.lifecycle
    metadata.update(application=contract.application, description=spec.purpose.description)
    return {
        "metadata": metadata,
        "aws": aws,
        "governance": {
            "encryption": spec.encryption.type.value,
            "kms_key_alias": spec.encryption.kms_key_alias,
            "versioning": spec.versioning,
            "public_access": spec.public_access.value,
            "access_logging": spec.access_logging.enabled,
            "storage_class": spec.storage_class.value,
        },
        "retention": {
            "type": spec.retention_policy.type.value,
            "rationale": spec.retention_policy.rationale,
            "expiration_days": lifecycle.expiration_days if lifecycle else None,
            "transitions": [
                transition.model_dump(mode="json", by_alias=True)
                for transition in (lifecycle.transitions if lifecycle else [])
            ],
        },
        "cost": {
            "cost_center": spec.tags.get("costCenter"),
            "alert_threshold_gb": spec.cost_alert_gb,
        },
    }


def catalog_yaml(queryset: QuerySet | None = None) -> str:
    queryset = CatalogEntry.objects.all() if queryset is None else queryset
    entries = queryset.select_related("owner", "request").order_by("bucket_name")
    return yaml.safe_dump(catalog_document(entries.iterator()), sort_keys=False, allow_unicode=True)


def export_goldenpath_contracts(out_dir: Path, request_ids: Iterable[str] = ()) -> list[Path]:
    """Write each request's contract (or those of ``request_ids``) as ``out_dir/{env}/S3-XXXX.yaml`` in
    GoldenPath's layout and vocabulary, so a team can keep reviewing contracts in git."""
    requests = BucketRequest.objects.order_by("number").only("request_id", "contract")
    wanted = list(request_ids)
    if wanted:
        requests = requests.filter(request_id__in=wanted)
    written = []
    for request in requests.iterator(chunk_size=500):
        relative, text = goldenpath_file(load_contract(request.contract))
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
