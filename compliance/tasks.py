"""django-q2 entry points. Thin: the logic lives in compliance.schedule and compliance.verification."""

from compliance import schedule, verification


def check_all() -> int:
    """The hourly schedule: queue every active bucket, in batches."""
    return schedule.queue_all()


def check_batch(entry_ids: list[int]) -> dict:
    return schedule.check_batch(entry_ids)


def verify_run(run_id: int):
    return verification.verify_run(run_id)
