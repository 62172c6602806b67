"""What removing a catalog entry takes of the compliance record: its last check and its findings (CASCADE).

Their history is in the audit trail already (``compliance.state``, ``compliance.finding_opened`` and
``_cleared``); the rows' identifying fields, named in the ``catalog.removed`` entry, tie each removed row to
those entries, so an opened finding with no clearing is accounted for by its removal.
"""

from compliance.models import BucketCompliance, Finding


def rows_removed_with(sender, entry, **kwargs) -> dict[str, list[dict]]:
    """Receiver of ``requests_app.signals.catalog_entry_removing``: every compliance row of ``entry``."""
    last_check = BucketCompliance.objects.filter(entry=entry).values(
        "state", "reason", "checked_at", "compliant_since", "open_findings"
    )
    findings = (
        Finding.objects.filter(entry=entry)
        .order_by("first_seen_at", "pk")
        .values("field", "status", "first_seen_at", "last_seen_at", "cleared_at")
    )
    return {BucketCompliance._meta.label: list(last_check), Finding._meta.label: list(findings)}
