"""The catalog read for Backstage: the query and the rows as `CatalogBucket`s, shared by the API view and
the `export_backstage_entities` command (requests_app.backstage turns them into entities, without the ORM)."""

from django.conf import settings
from django.urls import reverse

from requests_app import panels
from requests_app.backstage import CatalogBucket, bucket_entities
from requests_app.contract import ContractSchemaError, load_contract
from requests_app.models import CatalogEntry, CatalogStatus


def exported_entries():
    """Catalog entries Backstage should know: all but decommissioned buckets, in one query."""
    return (
        CatalogEntry.objects.exclude(status=CatalogStatus.DECOMMISSIONED)
        .select_related("owner", "request")
        .order_by("bucket_name")
    )


def catalog_bucket(entry: CatalogEntry, absolute_url, annotations: dict | None = None) -> CatalogBucket:
    """``absolute_url(path)`` turns a portal path into the URL people follow from Backstage;
    ``annotations`` are the ones other apps add (the compliance state).

    The stored contract is read through the contract's loader; one that does not load still gives an
    entity (from the row's columns) without an access-log bucket, so one bad row cannot fail the feed."""
    try:
        access_logging = load_contract(entry.request.contract).spec.access_logging
    except ContractSchemaError:
        access_logging = None
    return CatalogBucket(
        bucket_name=entry.bucket_name,
        request_id=entry.request.request_id,
        owner=entry.owner.slug,
        environment=entry.environment,
        purpose=entry.purpose,
        status=entry.status,
        portal_url=absolute_url(reverse("requests:catalog-detail", args=[entry.bucket_name])),
        request_url=absolute_url(reverse("requests:detail", args=[entry.request.request_id])),
        region=entry.region,
        arn=entry.arn,
        access_log_bucket=access_logging.target_bucket if access_logging and access_logging.enabled else None,
        annotations=tuple(sorted((annotations or {}).items())),
    )


def catalog_entities(absolute_url) -> list[dict]:
    """Every exported catalog bucket as a Backstage Resource entity of the configured system."""
    entries = list(exported_entries())
    extra = panels.entity_annotations(entries)
    return bucket_entities(
        (catalog_bucket(entry, absolute_url, extra.get(entry.pk)) for entry in entries),
        settings.BACKSTAGE_SYSTEM,
    )
