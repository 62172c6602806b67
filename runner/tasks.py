"""django-q2 entry points. Thin: the logic lives in runner.execution and runner.dispatch."""

from runner import dispatch, execution


def execute_run(run_id: int) -> str:
    """Delivered by the task queue (once or more; only the first delivery does the work)."""
    return execution.execute_run(run_id)


def sweep() -> dict:
    """Run every minute by the schedule created in runner/migrations/0002."""
    return dispatch.sweep()
