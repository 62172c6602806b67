"""Waiting for runs that a worker cluster executes (polling the run rows, with a deadline)."""

import time

from runner.models import Run


def wait_for_run(predicate, *, run_id=None, request=None, timeout=60.0, poll=0.2) -> Run:
    """The run (by id, or the newest of ``request``) once ``predicate(run)`` holds."""
    deadline = time.monotonic() + timeout
    run = None
    while time.monotonic() < deadline:
        query = (
            Run.objects.filter(pk=run_id) if run_id else Run.objects.filter(request=request).order_by("-id")
        )
        run = query.first()
        if run is not None and predicate(run):
            return run
        time.sleep(poll)
    raise TimeoutError(
        f"run did not reach the expected state; last seen: "
        f"{run and (run.status, run.step, run.error_summary, run.log[-2000:])}"
    )


def finished(run) -> bool:
    return not run.is_active


def applying(run) -> bool:
    """Inside `terraform apply`, with the fake stack's slow provisioner started."""
    return run.status == "running" and run.step == "apply" and "local-exec" in run.log
