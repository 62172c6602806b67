"""django-q2 entry points. Thin: the logic lives in runner.execution, runner.dispatch and runner.saved_plans."""

from runner import dispatch, execution, saved_plans


def execute_run(run_id: int) -> str:
    """Delivered by the task queue (once or more; only the first delivery does the work)."""
    return execution.execute_run(run_id)


def sweep() -> dict:
    """Run every minute by the schedule created in runner/migrations/0002."""
    return dispatch.sweep()


def prune_plan_files() -> int:
    """Run every hour by the schedule created in runner/migrations/0006."""
    return saved_plans.prune_plan_files()
