"""Bucket pairs known before any event: catalog buckets whose purpose needs replication, the local pair;
and what becomes of a catalog bucket's pairs when its entry is removed (an abandoned request's)."""

from core import audit
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


def pairs_removed_with(sender, entry: CatalogEntry, actor, **kwargs) -> dict[str, list[dict]]:
    """Receiver of ``requests_app.signals.catalog_entry_removing``: the entry's pairs go with it.

    The removed entry's bucket was never made, so a pair the catalog registered for it describes nothing;
    kept, it would say "not in the catalog" on the health page for good. It is deleted and named in the
    ``catalog.removed`` entry. A pair that holds replication evidence (events, verification summaries,
    incidents: never deleted) stays, detached, and gets its own ``replication.pair_detached`` entry.
    """
    removed = []
    for pair in BucketPair.objects.select_for_update().filter(catalog_entry=entry).order_by("pk"):
        names = {"primary_bucket": pair.primary_bucket, "replica_bucket": pair.replica_bucket}
        evidence = {
            "events": pair.events.count(),
            "verification_summaries": pair.verifications.count(),
            "incidents": pair.incidents.count(),
        }
        if any(evidence.values()):
            audit.record(
                "replication.pair_detached", actor=actor, request=entry.request, detail={**names, **evidence}
            )
            continue
        pair.delete()
        removed.append(names)
    return {BucketPair._meta.label: removed}
