"""Verifying an apply: right after a run succeeded, read the bucket back; the run is verified only if clean.

The runner sends ``runner.signals.apply_succeeded`` after its commit; the read-back runs as its own
task so a slow or unreachable AWS never holds the run. A verification lost with a worker is not lost
for the bucket: the scheduled check reads it again within the hour.
"""

import logging

from django.conf import settings
from django_q.tasks import async_task

from compliance.checking import check_buckets
from requests_app.models import CatalogEntry
from runner.models import Run, RunKind, RunStatus

logger = logging.getLogger(__name__)
VERIFY_TASK = "compliance.tasks.verify_run"


def on_apply_succeeded(sender, *, run, **kwargs) -> None:
    if not settings.COMPLIANCE_VERIFY_AFTER_APPLY:
        return
    try:
        async_task(VERIFY_TASK, run.pk, task_name=f"verify-run-{run.pk}", group="compliance")
    except Exception:  # a broker failure must not touch the run; the schedule checks the bucket later
        logger.warning("could not queue the verification of run %s", run.pk, exc_info=True)


def verify_run(run_id: int) -> str | None:
    """Read back the bucket of succeeded apply run ``run_id``; the state found (None: nothing to do)."""
    run = (
        Run.objects.select_related("request")
        .filter(pk=run_id, kind=RunKind.APPLY, status=RunStatus.SUCCEEDED)
        .first()
    )
    entry = (
        CatalogEntry.objects.select_related("request").filter(request_id=run.request_id).first()
        if run
        else None
    )
    if entry is None:
        return None
    return check_buckets([entry], run=run)[0].state
