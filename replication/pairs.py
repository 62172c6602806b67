"""Bucket pairs known before any event: catalog buckets whose purpose needs replication, the local pair."""

from replication.models import BucketPair
from requests_app.models import CatalogEntry


def register_pair(
    primary_bucket: str, replica_bucket: str, catalog_entry: CatalogEntry | None = None
) -> BucketPair:
    """The pair, created when new ("no data yet" on the health page until its first summary or event)."""
    pair, _ = BucketPair.objects.get_or_create(
        primary_bucket=primary_bucket,
        replica_bucket=replica_bucket,
        defaults={"catalog_entry": catalog_entry},
    )
    if catalog_entry is not None and pair.catalog_entry_id is None:
        pair.catalog_entry = catalog_entry
        pair.save(update_fields=["catalog_entry"])
    return pair


def pair_for_catalog_entry(sender, entry: CatalogEntry, **kwargs) -> None:
    """Receiver of ``requests_app.signals.catalog_entry_saved``: a replicated bucket's pair exists at once."""
    if entry.replica_bucket:
        register_pair(entry.bucket_name, entry.replica_bucket, catalog_entry=entry)
