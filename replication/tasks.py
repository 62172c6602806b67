"""django-q2 entry points of replication (thin: the work is in :mod:`replication.processing`)."""

from replication import processing


def process_pending() -> int:
    """Handed over after a hook's commit, and scheduled every minute (docs/decisions/health-sns-ingestion-queue.md)."""
    return processing.process_pending()
