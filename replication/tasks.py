"""django-q2 entry points of replication (thin: the work is in :mod:`replication.processing` and
:mod:`replication.retention`)."""

from replication import processing, retention


def process_pending() -> int:
    """Handed over after a hook's commit, and scheduled every minute (docs/decisions/health-sns-ingestion-queue.md)."""
    return processing.process_pending()


def delete_old_messages() -> int:
    """Scheduled every hour while SNS_MESSAGE_RETENTION_DAYS is set (replication.retention.ensure_schedule)."""
    return retention.delete_old_messages()
