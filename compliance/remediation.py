"""Remediation: an approver re-applies a drifted bucket's approved contract through the runner's
normal run creation (runner.dispatch.create_run); the run's own verification then shows whether the
bucket is back to compliant."""

from django.db import transaction

from compliance.models import ComplianceState, FindingStatus
from core import audit
from requests_app import status_machine
from requests_app.models import BucketRequest, CatalogEntry, CatalogStatus, Decision, RequestStatus
from requests_app.request_rows import canonical_hash
from runner import dispatch
from runner.models import ACTIVE_STATUSES, Run

REMEDIATE_PERMISSION = "compliance.remediate_bucket"


class RemediationRefused(Exception):
    """A remediation the rules do not allow; the message says why."""


def refusal(entry: CatalogEntry, request: BucketRequest, user) -> str | None:
    """Why ``user`` may not remediate ``entry`` now (None when they may); for the page and the action."""
    if not user.has_perm(REMEDIATE_PERMISSION):
        return "Only platform approvers start remediation runs."
    if entry.status != CatalogStatus.ACTIVE or request.status != RequestStatus.APPLIED:
        return (
            f"{entry.bucket_name} is {entry.get_status_display().lower()} "
            f"({request.get_status_display().lower()}); only an applied, active bucket is remediated."
        )
    compliance = getattr(entry, "compliance", None)
    if compliance is None or compliance.state == ComplianceState.COMPLIANT:
        return f"{entry.bucket_name} is not drifted: there is nothing to remediate."
    if request.runs.filter(status__in=ACTIVE_STATUSES).exists():
        return f"{request.request_id} already has an active run."
    if not approved_contract_intact(request):
        return (
            f"The stored contract of {request.request_id} is not the one approved; "
            "a changed contract needs a new approval, not a remediation."
        )
    return None


def approved_contract_intact(request: BucketRequest) -> bool:
    """The stored contract still hashes to its recorded hash and, where approval was needed, enough
    approvals were cast on that very hash."""
    if canonical_hash(request.contract) != request.contract_hash:
        return False
    if not request.approval_required:
        return True
    votes = request.approvals.filter(decision=Decision.APPROVE, contract_hash=request.contract_hash).count()
    return votes >= max(request.approvals_needed, 1)


@transaction.atomic
def start_remediation(entry: CatalogEntry, *, actor) -> Run:
    """Queue an apply run of the approved contract for drifted ``entry``; raises RemediationRefused."""
    request = BucketRequest.objects.select_for_update().get(pk=entry.request_id)
    locked = CatalogEntry.objects.select_for_update().get(
        pk=entry.pk
    )  # compliance read after: an outer join cannot be locked
    reason = refusal(locked, request, actor)
    if reason:
        raise RemediationRefused(reason)
    findings = list(locked.findings.filter(status=FindingStatus.OPEN).values_list("field", flat=True))
    run = dispatch.create_run(request, actor=actor)
    audit.record(
        "compliance.remediation_started",
        actor=actor,
        request=request,
        detail={"run": run.pk, "state": locked.compliance.state, "open_findings": findings},
    )
    status_machine.transition(
        request, "remediate", actor=actor, detail={"run": run.pk, "attempt": run.attempt}
    )
    return run
