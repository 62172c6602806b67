"""How a run ends, and what that does to its request and catalog entry.

Callers hold the run's row lock inside a transaction, so a run ends exactly once even
when the worker, the sweeper and a cancel race for it.
"""

from django.db import transaction
from django.utils import timezone

from core import audit
from requests_app import catalog, plans, status_machine
from requests_app.models import CatalogEntry, PlanStatus, RequestStatus
from runner import signals
from runner.models import Run, RunKind, RunStatus, SavedPlan

FAILABLE_REQUEST_STATES = (RequestStatus.QUEUED, RequestStatus.APPLYING)
# How the reason of a run that never started begins (its page shows the reason).
NOT_STARTED = "The run could not be started:"


def finish(run: Run, status: str, *, actor, reason: str, log: str | None = None) -> None:
    """End ``run`` as failed, cancelled or timed out: request failed, catalog failed, audited."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("finish() needs the caller's transaction and the run's row lock")
    run.status = status
    run.finished_at = timezone.now()
    run.error_summary = reason
    fields = ["status", "finished_at", "error_summary"]
    if log is not None:
        run.log = log
        fields.append("log")
    run.save(update_fields=fields)
    audit.record(
        f"run.{status}",
        actor=actor,
        request=run.request,
        detail={"run": run.pk, "attempt": run.attempt, "step": run.step, "reason": reason},
    )
    request = run.request
    if run.kind == RunKind.PLAN:
        if waits_for_plan(request):
            plans.plan_failed(request, actor=actor, run_id=run.pk, reason=reason)
        return
    if request.status in FAILABLE_REQUEST_STATES:
        status_machine.transition(
            request, "mark_failed", actor=actor, detail={"run": run.pk, "reason": reason}
        )
    if CatalogEntry.objects.filter(request=request).exists():
        catalog.mark_failed(request, actor=actor, reason=reason)


@transaction.atomic
def fail_unstarted(run_id: int, *, actor, reason: str) -> str:
    """End a queued run that cannot start (claim error, too many hand-overs); returns its status."""
    run = Run.objects.select_for_update().select_related("request").get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return run.status  # started or ended meanwhile
    finish(run, RunStatus.FAILED, actor=actor, reason=reason)
    return RunStatus.FAILED


def succeed(run: Run, *, actor, outputs: dict, log: str) -> None:
    """End ``run`` as succeeded: catalog entry active with ARN and region, request applied."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("succeed() needs the caller's transaction and the run's row lock")
    run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.outputs = outputs
    run.log = log
    run.save(update_fields=["status", "finished_at", "outputs", "log"])
    audit.record(
        "run.succeeded",
        actor=actor,
        request=run.request,
        detail={"run": run.pk, "attempt": run.attempt, "plan_sha256": run.plan_sha256, "outputs": outputs},
    )
    catalog.mark_active(
        run.request,
        actor=actor,
        region=str(outputs.get("region") or ""),
        arn=str(outputs.get("bucket_arn") or ""),
        detail={"run": run.pk},
    )
    status_machine.transition(run.request, "mark_applied", actor=actor, detail={"run": run.pk})
    if run.kind == RunKind.APPLY:
        transaction.on_commit(lambda: signals.apply_succeeded.send(sender=Run, run=run))


def waits_for_plan(request) -> bool:
    """The request still waits for a plan (not rejected or cancelled while it was being made)."""
    return request.status == RequestStatus.PENDING_APPROVAL and request.plan_status == PlanStatus.PLANNING


def _end_with_plan(run: Run, plan: SavedPlan, status: str, *, actor, log: str, reason: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.error_summary = reason
    run.log = log
    run.save(update_fields=["status", "finished_at", "error_summary", "log"])
    audit.record(
        f"run.{status}",
        actor=actor,
        request=run.request,
        detail={"run": run.pk, "attempt": run.attempt, "plan_sha256": plan.sha256, "reason": reason},
    )


def planned(run: Run, plan: SavedPlan, *, actor, log: str) -> None:
    """End a plan run as succeeded: its plan is the one approvers now vote on."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("planned() needs the caller's transaction and the run's row lock")
    _end_with_plan(run, plan, RunStatus.SUCCEEDED, actor=actor, log=log)
    if waits_for_plan(run.request):
        plans.plan_ready(run.request, actor=actor, run_id=run.pk, plan_hash=plan.sha256, changes=plan.changes)


def returned_to_approval(run: Run, plan: SavedPlan, *, actor, reason: str, log: str) -> None:
    """End an apply run whose new plan needs approval: the request waits for votes on ``plan``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("returned_to_approval() needs the caller's transaction and the run's row lock")
    _end_with_plan(run, plan, RunStatus.RETURNED, actor=actor, log=log, reason=reason)
    status_machine.transition(
        run.request,
        "return_to_approval",
        actor=actor,
        detail={"run": run.pk, "plan_sha256": plan.sha256, "reason": reason},
    )
    plans.plan_ready(run.request, actor=actor, run_id=run.pk, plan_hash=plan.sha256, changes=plan.changes)
