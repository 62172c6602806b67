"""The catalog: one entry per bucket, following its provisioning.

The runner calls these as a Terraform run progresses; imports and exports use them too.
Each change is audited.
"""

from django.conf import settings
from django.db import transaction

from core import audit
from requests_app.contract import (
    PURPOSE_DEFAULTS,
    ContractSchemaError,
    PurposeType,
    load_contract,
    replica_bucket_name,
)
from requests_app.models import BucketRequest, CatalogEntry, CatalogStatus
from requests_app.signals import catalog_entry_removing, catalog_entry_saved


def governance_flags(contract: dict) -> dict:
    """The governance facts a catalog reader wants at a glance, from the stored contract.

    The contract is read through the contract package's loader, so a renamed field is an error, not a
    silent None. A stored contract that does not load (written by an older portal, or edited by hand)
    does not stop the run or the page: its flags are one row, "Contract: unreadable — <why>", so the
    catalog shows what is wrong instead of failing with a 500 or showing blanks that look like "off".
    """
    try:
        spec = load_contract(contract).spec
    except ContractSchemaError as exc:
        return {"contract": f"unreadable — {exc}"}
    return {
        "encryption": spec.encryption.type.value,
        "kmsKeyAlias": spec.encryption.kms_key_alias,
        "versioning": spec.versioning,
        "publicAccess": spec.public_access.value,
        "accessLogging": spec.access_logging.enabled,
        "costAlertGb": spec.cost_alert_gb,
        "storageClass": spec.storage_class.value,
        "retention": spec.retention_policy.type.value,
    }


GOVERNANCE_LABELS = {  # the catalog page's words for governance_flags' keys
    "encryption": "Encryption",
    "kmsKeyAlias": "KMS key alias",
    "versioning": "Versioning",
    "publicAccess": "Public access",
    "accessLogging": "Access logging",
    "costAlertGb": "Cost alert (GiB)",
    "storageClass": "Storage class",
    "retention": "Retention",
    "contract": "Contract",
}


def governance_rows(governance: dict) -> list[tuple[str, str]]:
    """``governance`` as (label, value) in words: Yes/No for flags, a dash for what is not set."""

    def shown(value) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value)

    return [(GOVERNANCE_LABELS.get(key, key), shown(value)) for key, value in governance.items()]


def replica_of(request: BucketRequest) -> dict:
    """The replica fields of a catalog entry: set when the request's purpose needs replication."""
    try:
        replicated = PURPOSE_DEFAULTS[PurposeType(request.purpose)].replicated
    except ValueError:  # an imported entry with a purpose we no longer offer
        replicated = False
    if not replicated:
        return {"replica_bucket": "", "replica_region": ""}
    return {
        "replica_bucket": replica_bucket_name(request.bucket_name),
        "replica_region": settings.REPLICATION_REPLICA_REGION,
    }


@transaction.atomic
def set_catalog_status(
    request: BucketRequest, status: str, *, actor, region: str = "", arn: str = "", detail: dict | None = None
) -> CatalogEntry:
    """Create or update the bucket's entry; an empty ``region``/``arn`` keeps what is known."""
    entry, created = CatalogEntry.objects.select_for_update().get_or_create(
        request=request,
        defaults={
            "bucket_name": request.bucket_name,
            "owner_id": request.owner_id,
            "environment": request.environment,
            "purpose": request.purpose,
            "governance": governance_flags(request.contract),
            "status": status,
            **replica_of(request),
        },
    )
    previous = None if created else entry.status
    entry.status = status
    entry.region = region or entry.region
    entry.arn = arn or entry.arn
    entry.governance = governance_flags(request.contract)
    entry.save()
    catalog_entry_saved.send(sender=CatalogEntry, entry=entry)
    audit.record(
        "catalog.status",
        actor=actor,
        request=request,
        detail={
            "from": previous,
            "to": status,
            "region": entry.region,
            "arn": entry.arn,
            **(
                {"replica_bucket": entry.replica_bucket, "replica_region": entry.replica_region}
                if created and entry.replica_bucket
                else {}
            ),
            **(detail or {}),
        },
    )
    return entry


def mark_provisioning(request, *, actor):
    return set_catalog_status(request, CatalogStatus.PROVISIONING, actor=actor)


def mark_active(request, *, actor, region: str, arn: str, detail: dict | None = None):
    return set_catalog_status(
        request, CatalogStatus.ACTIVE, actor=actor, region=region, arn=arn, detail=detail
    )


def mark_failed(request, *, actor, reason: str):
    return set_catalog_status(request, CatalogStatus.FAILED, actor=actor, detail={"reason": reason})


class UnaccountedRows(RuntimeError):
    """Deleting a catalog entry would take rows no ``catalog_entry_removing`` receiver described (a bug: a new
    model hangs on CatalogEntry with CASCADE and its app does not answer the signal)."""


@transaction.atomic
def remove_entry(request: BucketRequest, *, actor, reason: str) -> None:
    """Remove the entry of a bucket that was never made (an abandoned request's), audited with what it said
    and every row that goes with it.

    The entry held the bucket name (``CatalogEntry.bucket_name`` is unique); without it the name is free.
    Other apps' rows hang on the entry (compliance state and findings: CASCADE); the apps describe them in
    answer to ``catalog_entry_removing``, and the ``catalog.removed`` entry names them (``removed_with_it``:
    per model, the count and the rows). A deletion that takes a row nobody described raises
    :class:`UnaccountedRows`, and the transaction rolls back: nothing leaves the record silently.
    """
    entry = CatalogEntry.objects.select_for_update().filter(request=request).first()
    if entry is None:
        return
    going = _rows_going_with(entry, actor)
    detail = {
        "bucket_name": entry.bucket_name,
        "from": entry.status,
        "region": entry.region,
        "arn": entry.arn,
        "reason": reason,
        "removed_with_it": {
            label: {"count": len(rows), "rows": rows} for label, rows in sorted(going.items())
        },
    }
    _, deleted = entry.delete()
    unaccounted = {
        label: count
        for label, count in deleted.items()
        if label != CatalogEntry._meta.label and count != len(going.get(label, []))
    }
    if unaccounted:
        raise UnaccountedRows(
            f"Removing the catalog entry of {entry.bucket_name} would delete {unaccounted} "
            "that no app accounted for; nothing was removed."
        )
    audit.record("catalog.removed", actor=actor, request=request, detail=detail)


def _rows_going_with(entry: CatalogEntry, actor) -> dict[str, list[dict]]:
    going: dict[str, list[dict]] = {}
    for _, rows in catalog_entry_removing.send(sender=CatalogEntry, entry=entry, actor=actor):
        for label, described in rows.items():
            going.setdefault(label, []).extend(described)
    return going
