"""Raw SNS messages are deleted once processed and older than SNS_MESSAGE_RETENTION_DAYS.

The rule: a message whose outcome is anything but ``pending`` (stored, repeated, confirmed,
unsubscribed, unreadable) is deleted once its SNS ``Timestamp`` is more than the retention old; a
pending message is never deleted, whatever its age (it is the backlog the health check reports).
What was built from a message stays: its events and verification counts lose only their link
to it, incidents and the audit trail do not refer to it.

Why the SNS Timestamp, and why the retention must exceed ``SNS_MAX_MESSAGE_AGE_SECONDS``
(replication.checks): a redelivery keeps the Timestamp SNS signed, and the hook refuses one older
than that bound before it looks for the MessageId. So a redelivery of a deleted message can never
be stored again. Even if it were, its facts' ``dedupe_key`` and ``summary_id`` are still known:
no event, incident or count twice (docs/decisions/retention-plans-and-sns-messages.md).

Deleted in batches, each its own short transaction (SQLite holds its one write lock for it, so a
hook's insert waits one batch at most), a bounded number per task run; a second worker deleting at
the same time finds the rows gone and deletes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from replication.models import SnsMessage

logger = logging.getLogger(__name__)

SCHEDULE_NAME = "replication-sns-retention"
SCHEDULE_TASK = "replication.tasks.delete_old_messages"
BATCH_SIZE = 500  # messages per transaction
MAX_BATCHES = 100  # per task run (every hour): at most 50 000 messages, the next run goes on


def ensure_schedule(sender=None, **kwargs) -> None:
    """After migrate: hourly while a retention is set, none when SNS_MESSAGE_RETENTION_DAYS is 0."""
    from django_q.models import Schedule

    if settings.SNS_MESSAGE_RETENTION_DAYS <= 0:
        Schedule.objects.filter(name=SCHEDULE_NAME).delete()
        return
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={"func": SCHEDULE_TASK, "schedule_type": Schedule.HOURLY, "repeats": -1},
    )


def expired_messages() -> QuerySet[SnsMessage]:
    """The messages the rule deletes now (none while the retention is 0)."""
    days = settings.SNS_MESSAGE_RETENTION_DAYS
    if days <= 0:
        return SnsMessage.objects.none()
    return SnsMessage.objects.filter(
        ~Q(outcome=SnsMessage.Outcome.PENDING), sent_at__lt=timezone.now() - timedelta(days=days)
    )


def delete_old_messages(*, batch_size: int = BATCH_SIZE, max_batches: int = MAX_BATCHES) -> int:
    """Delete expired messages, oldest first, ``batch_size`` per transaction, at most ``max_batches``
    transactions; returns how many were deleted."""
    deleted = 0
    for _ in range(max_batches):
        in_batch = _delete_batch(batch_size)
        deleted += in_batch
        if in_batch < batch_size:
            break
    if deleted:
        logger.info("processed SNS messages deleted after their retention", extra={"deleted": deleted})
    return deleted


@transaction.atomic
def _delete_batch(batch_size: int) -> int:
    ids = list(expired_messages().order_by("sent_at", "pk").values_list("pk", flat=True)[:batch_size])
    if not ids:
        return 0
    # only("pk"): the deletion does not read the envelopes it deletes; events and counts are unlinked.
    _, per_model = SnsMessage.objects.filter(pk__in=ids).only("pk").delete()
    return per_model.get(SnsMessage._meta.label, 0)
