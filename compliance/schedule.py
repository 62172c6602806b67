"""The scheduled check: every COMPLIANCE_CHECK_MINUTES, every active bucket, in batches of
COMPLIANCE_BATCH_SIZE buckets per task (one reader, so shared AWS reads happen once per batch)."""

from django.conf import settings
from django.db.models import F
from django_q.tasks import async_task

from compliance.checking import Readers, active_entries, check_buckets

SCHEDULE_NAME = "compliance-check"
SCHEDULE_TASK = "compliance.tasks.check_all"
BATCH_TASK = "compliance.tasks.check_batch"


def ensure_schedule(sender=None, **kwargs) -> None:
    """After migrate: the schedule matches the setting (0 removes it)."""
    from django_q.models import Schedule

    minutes = settings.COMPLIANCE_CHECK_MINUTES
    if minutes <= 0:
        Schedule.objects.filter(name=SCHEDULE_NAME).delete()
        return
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": SCHEDULE_TASK,
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
        },
    )


def batches(batch_size: int | None = None) -> list[list[int]]:
    """Active catalog entry IDs, least recently checked first, cut into batches."""
    size = batch_size or settings.COMPLIANCE_BATCH_SIZE
    ids = list(
        active_entries()
        .order_by(F("compliance__checked_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
    )
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def queue_all(batch_size: int | None = None) -> int:
    """Hand every batch to the task queue; returns how many batches were queued."""
    queued = batches(batch_size)
    for number, ids in enumerate(queued, start=1):
        async_task(
            BATCH_TASK, ids, task_name=f"compliance-batch-{number}-of-{len(queued)}", group="compliance"
        )
    return len(queued)


def check_batch(entry_ids: list[int]) -> dict:
    """Check the still-active buckets among ``entry_ids``; returns how many ended in each state and the
    AWS calls the batch made (shared reads included)."""
    readers = Readers()
    results = check_buckets(active_entries().filter(pk__in=entry_ids).order_by("pk"), readers=readers)
    counts: dict = {"buckets": len(results), "aws_calls": readers.calls}
    for result in results:
        counts[result.state] = counts.get(result.state, 0) + 1
    return counts
