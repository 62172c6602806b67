"""The plan approvers vote on: where it is, and which plan file votes bind to.

The runner makes the plans (a plan run queued at submission, runner.execution) and keeps
the files; this module records on the request what approvals need to know, each change
audited: the plan is being made, it is ready (``plan_hash`` = SHA-256 of the plan file),
or it failed (``plan_problem``). Approving needs a ready plan (requests_app.approvals).
"""

from django.db import transaction

from core import audit
from requests_app.models import BucketRequest, PlanStatus, RequestStatus


def _locked(request: BucketRequest) -> BucketRequest:
    return BucketRequest.objects.select_for_update().get(pk=request.pk)


def _save(request: BucketRequest, locked: BucketRequest, **fields) -> BucketRequest:
    for name, value in fields.items():
        setattr(locked, name, value)
        setattr(request, name, value)
    locked.save(update_fields=[*fields, "updated_at"])
    return locked


@transaction.atomic
def plan_queued(request: BucketRequest, *, actor, run_id: int) -> BucketRequest:
    """A plan run was queued: votes wait for it (votes on an earlier plan stop counting)."""
    locked = _save(request, _locked(request), plan_status=PlanStatus.PLANNING, plan_hash="", plan_problem="")
    audit.record("plan.queued", actor=actor, request=locked, detail={"run": run_id})
    return locked


@transaction.atomic
def plan_ready(
    request: BucketRequest, *, actor, run_id: int, plan_hash: str, changes: list[dict]
) -> BucketRequest:
    """The plan ``plan_hash`` is the one approvers now vote on."""
    locked = _save(
        request, _locked(request), plan_status=PlanStatus.READY, plan_hash=plan_hash, plan_problem=""
    )
    audit.record(
        "plan.ready",
        actor=actor,
        request=locked,
        detail={
            "run": run_id,
            "plan_sha256": plan_hash,
            "changes": [f"{change['action']} {change['address']}" for change in changes],
        },
    )
    return locked


@transaction.atomic
def plan_failed(request: BucketRequest, *, actor, run_id: int, reason: str) -> BucketRequest:
    """The plan run ended without a plan to vote on; an approver may plan again."""
    locked = _save(
        request, _locked(request), plan_status=PlanStatus.FAILED, plan_hash="", plan_problem=reason
    )
    audit.record("plan.failed", actor=actor, request=locked, detail={"run": run_id, "reason": reason})
    return locked


def can_plan_again(request: BucketRequest) -> bool:
    """A request waiting for approval may be planned (again) unless a plan is being made."""
    return request.status == RequestStatus.PENDING_APPROVAL and request.plan_status != PlanStatus.PLANNING


def not_ready_reason(request: BucketRequest) -> str | None:
    """Why ``request`` cannot be approved yet for want of a plan (None when its plan is ready)."""
    if request.plan_status == PlanStatus.READY and request.plan_hash:
        return None
    if request.plan_status == PlanStatus.FAILED:
        return (
            f"The plan of {request.request_id} failed, so there is nothing to approve: "
            f"{request.plan_problem} A platform approver can plan it again from the request page."
        )
    if request.plan_status == PlanStatus.NOT_NEEDED:  # submitted before plans were made at submission
        return (
            f"{request.request_id} has no plan to approve yet. A platform approver can plan it from the "
            "request page."
        )
    return (
        f"Terraform is still planning {request.request_id}; approving waits until the plan is ready "
        "so that you see what Terraform will change. Reload the request page in a moment."
    )
