"""Creating runs and getting them to a worker: at submission (the plan), on approval, on
retry, when an approver plans again, and by the sweeper.

The run row is the source of truth; a broker message only says "look at run N". So a
lost or duplicated message is harmless: :func:`sweep` hands over queued runs nobody
started and fails running runs whose worker stopped beating, and a worker does nothing
for a run that is no longer queued (docs/decisions/runner-sweeper.md).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django_q.tasks import async_task

from core import audit
from requests_app import plans, status_machine, submission
from requests_app.contract import state_key
from requests_app.models import BucketRequest, PlanStatus, RequestStatus
from runner import outcomes
from runner.models import ACTIVE_STATUSES, Run, RunKind, RunStatus
from runner.state_backend import release_dead_runs_lock

logger = logging.getLogger(__name__)

EXECUTE_TASK = "runner.tasks.execute_run"


class RunnerError(Exception):
    """An action the run's or request's state does not allow; the message says why."""


def create_run(request: BucketRequest, *, actor, kind: str = RunKind.APPLY) -> Run:
    """A queued run for ``request`` (inside the caller's transaction), handed over after commit."""
    attempt = (request.runs.aggregate(last=Max("attempt"))["last"] or 0) + 1
    run = Run.objects.create(
        request=request,
        kind=kind,
        attempt=attempt,
        status=RunStatus.QUEUED,
        state_key=state_key(request.environment, request.request_id),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        "run.queued", actor=actor, request=request, detail={"run": run.pk, "kind": kind, "attempt": attempt}
    )
    transaction.on_commit(lambda: hand_over(run.pk))
    return run


def on_status_changed(sender, *, request, transition, actor, **kwargs) -> None:
    """An approved request gets its first run and moves to queued, in the approving transaction."""
    if transition != "approve":
        return
    run = create_run(request, actor=actor)
    # ``request`` is the row transition() locked and updated in this transaction.
    status_machine.transition(
        request, "queue", actor=actor, detail={"run": run.pk, "attempt": run.attempt}, row_locked=True
    )


def on_submitted(sender, *, request, actor, **kwargs) -> None:
    """A request that needs approval gets its plan run, in the submitting transaction."""
    if request.approval_required and request.status == RequestStatus.PENDING_APPROVAL:
        queue_plan(request, actor=actor)


def queue_plan(request: BucketRequest, *, actor) -> Run:
    run = create_run(request, actor=actor, kind=RunKind.PLAN)
    plans.plan_queued(request, actor=actor, run_id=run.pk)
    return run


@transaction.atomic
def plan_again(request: BucketRequest, *, actor) -> Run:
    """A new plan run for a request waiting for approval (its plan failed, or the state moved on)."""
    locked = BucketRequest.objects.select_for_update().get(pk=request.pk)
    if not plans.can_plan_again(locked):
        raise RunnerError(
            f"{locked.request_id} is {locked.get_status_display().lower()} with its plan "
            f"{locked.get_plan_status_display().lower()}; only a request waiting for approval "
            "whose plan is not being made can be planned again."
        )
    if locked.runs.filter(status__in=ACTIVE_STATUSES).exists():
        raise RunnerError(f"{locked.request_id} already has an active run.")
    return queue_plan(locked, actor=actor)


@transaction.atomic
def retry_request(request: BucketRequest, *, actor) -> Run:
    """A new run for a failed request; its earlier runs stay as they were."""
    locked = BucketRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != RequestStatus.FAILED:
        raise RunnerError(f"{locked.request_id} is {locked.status}; only a failed request can be retried.")
    if locked.runs.filter(status__in=ACTIVE_STATUSES).exists():
        raise RunnerError(f"{locked.request_id} already has an active run.")
    run = create_run(locked, actor=actor)
    status_machine.transition(
        locked, "queue", actor=actor, detail={"run": run.pk, "attempt": run.attempt, "retry": True}
    )
    return run


@transaction.atomic
def cancel_run(run: Run, *, actor) -> Run:
    """Cancel a queued run at once; ask the worker of a running run to interrupt Terraform."""
    locked = Run.objects.select_for_update().select_related("request").get(pk=run.pk)
    if locked.status == RunStatus.QUEUED:
        outcomes.finish(
            locked,
            RunStatus.CANCELLED,
            actor=actor,
            reason=f"Cancelled by {audit.actor_name(actor)} before it started.",
        )
    elif locked.status == RunStatus.RUNNING:
        if not locked.cancel_requested:
            locked.cancel_requested_at = timezone.now()
            locked.cancel_requested_by = audit.actor_name(actor)
            locked.save(update_fields=["cancel_requested_at", "cancel_requested_by"])
            audit.record(
                "run.cancel_requested", actor=actor, request=locked.request, detail={"run": locked.pk}
            )
    else:
        raise RunnerError(
            f"Run {locked.pk} has already finished ({locked.status}); there is nothing to cancel."
        )
    return locked


def hand_over(run_id: int) -> bool:
    """Give the run to the task queue; False (logged) when the broker cannot take it.

    A failed handover loses nothing: the run stays queued and the sweeper tries again.
    """
    try:
        async_task(EXECUTE_TASK, run_id, task_name=f"run-{run_id}", group="runner")
    except Exception:  # any broker failure: connection refused, timeout, database locked
        logger.warning("handover of run %s failed; the sweeper will retry", run_id, exc_info=True)
        return False
    Run.objects.filter(pk=run_id).update(
        handed_over_at=timezone.now(), handover_count=F("handover_count") + 1
    )
    return True


def sweep() -> dict:
    """Fail runs whose worker stopped (and release the state lock each left), hand over queued runs
    nobody started, finish submissions whose process stopped half-way; returns what it did."""
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.RUNNER_HEARTBEAT_STALE_SECONDS)
    abandoned = [
        run_id
        for run_id in Run.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale_before).values_list(
            "pk", flat=True
        )
        if _fail_abandoned(run_id, stale_before)
    ]
    released = [
        run_id
        for run_id in abandoned
        if release_dead_runs_lock(Run.objects.select_related("request").get(pk=run_id).request)
    ]
    waiting_since = now - timedelta(seconds=settings.RUNNER_HANDOVER_GRACE_SECONDS)
    waiting = list(
        Run.objects.filter(status=RunStatus.QUEUED)
        .filter(Q(handed_over_at__isnull=True) | Q(handed_over_at__lt=waiting_since))
        .values_list("pk", "handover_count")
    )
    limit = settings.RUN_MAX_HANDOVERS
    never_started = [
        run_id for run_id, count in waiting if count >= limit and _fail_never_started(run_id, count)
    ]
    handed_over = [run_id for run_id, count in waiting if count < limit and hand_over(run_id)]
    finished = _finish_submissions(submitted_before=waiting_since)
    return {
        "failed": abandoned + never_started,
        "handed_over": handed_over,
        "lock_released": released,
        "submissions_finished": finished,
    }


def _finish_submissions(submitted_before) -> list[str]:
    """A submission is saved in one transaction and completed (plan queued, or approved when no rule
    asks for a vote) in a second one; a process that stopped in between left the request waiting with
    no plan and no run. The sweeper completes it, as the submitter's process would have."""
    stuck = BucketRequest.objects.filter(
        status=RequestStatus.PENDING_APPROVAL,
        plan_status=PlanStatus.NOT_NEEDED,
        created_at__lt=submitted_before,
        runs__isnull=True,
    )
    finished = []
    for request in stuck:
        completed = submission.complete_submission(request, actor="system")
        if (completed.status, completed.plan_status) != (
            RequestStatus.PENDING_APPROVAL,
            PlanStatus.NOT_NEEDED,
        ):
            finished.append(completed.request_id)
    return finished


def _fail_never_started(run_id: int, handovers: int) -> bool:
    """A queued run handed over RUN_MAX_HANDOVERS times ends failed instead of being handed over forever."""
    reason = (
        f"{outcomes.NOT_STARTED} it was handed to the task queue {handovers} times and no worker "
        "started it. Check the workers (manage.py qcluster) and the broker, then retry the request."
    )
    return outcomes.fail_unstarted(run_id, actor="system", reason=reason) == RunStatus.FAILED


@transaction.atomic
def _fail_abandoned(run_id: int, stale_before) -> bool:
    run = Run.objects.select_for_update().select_related("request").get(pk=run_id)
    if run.status != RunStatus.RUNNING or run.heartbeat_at is None or run.heartbeat_at >= stale_before:
        return False  # it finished or beat again since the query
    outcomes.finish(
        run,
        RunStatus.FAILED,
        actor="system",
        reason=(
            f"The worker running this run ({run.worker or 'unknown'}) stopped: no heartbeat since "
            f"{run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC. Retry the request to start a new run."
        ),
    )
    return True
