"""The audit checkpoint schedules, kept in step with the settings on every ``migrate``.

A data migration would freeze the interval at the value it had when it ran; syncing after
each migrate lets AUDIT_CHECKPOINT_INTERVAL_MINUTES change with a deploy.
"""

from django.conf import settings

CHECKPOINT_SCHEDULE = "audit-checkpoint"
RETRY_SCHEDULE = "audit-checkpoint-retry"


def sync_checkpoint_schedules(**kwargs) -> None:
    from django_q.models import Schedule

    for name, func, minutes in (
        (
            CHECKPOINT_SCHEDULE,
            "core.tasks.write_audit_checkpoint",
            settings.AUDIT_CHECKPOINT_INTERVAL_MINUTES,
        ),
        (RETRY_SCHEDULE, "core.tasks.retry_audit_checkpoints", 1),
    ):
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
