"""Importing existing contract files (the GitOps workflow's) with their IDs.

Files may be written in GoldenPath's vocabulary (read with warnings) and may keep a legacy bucket
name that is not the derived one (a warning: the bucket already exists); a dry run says per file
what an import would do and changes nothing.

An imported contract describes a bucket the old workflow already created, so it arrives
as ``applied`` with an ``active`` catalog entry and triggers no Terraform run (no
``approve`` transition is sent). The request counter moves past the highest imported
number. Each import is one transaction and one ``request.imported`` audit entry.

With ``adopt``, the bucket is brought under the portal's Terraform state instead of being recorded
as applied: the request waits for approval with the reason ``adopt-existing``, the runner plans it
with import blocks for the bucket and those of its settings that exist (runner/adoption.py),
approvers vote on that plan, and the apply imports and updates with no destroy.
"""

from dataclasses import dataclass

from django.db import transaction

from core import audit
from core.models import Team
from requests_app import catalog, signals
from requests_app.bucket_names import name_taken_problems
from requests_app.contract import approval_decision
from requests_app.contract.cli import check_file
from requests_app.ids import advance_request_sequence_past, parse_request_id
from requests_app.models import BucketRequest, RequestStatus
from requests_app.platform_policy import current_policy, known_teams
from requests_app.request_rows import canonical_hash, contract_columns

IMPORTED, UNCHANGED, FAILED, WOULD_IMPORT = "imported", "unchanged", "failed", "would import"
ADOPTING, WOULD_ADOPT = "adopting", "would adopt"
ADOPT_REASON = "adopt-existing"
ADOPT_MESSAGE = (
    "Adopting a bucket that already exists: the plan imports it and its settings into the "
    "portal's Terraform state and shows what the stack would change; nothing changes before "
    "approval."
)


def adopts_existing_bucket(request: BucketRequest) -> bool:
    """Whether ``request`` brings an existing bucket under the portal's state (its plans import it)."""
    return any(reason.get("code") == ADOPT_REASON for reason in request.approval_reasons or [])


@dataclass(frozen=True)
class ImportOutcome:
    file: str
    status: str
    message: str
    request_id: str | None = None
    warnings: tuple[str, ...] = ()


def import_contract_file(
    path: str, *, actor, create_teams: bool = False, dry_run: bool = False, adopt: bool = False
) -> ImportOutcome:
    policy = current_policy()
    report = check_file(path, policy, None if create_teams else known_teams(), existing=True)
    notes = tuple(f"{p.path}: {p.message}" for p in report.problems if not p.is_error)
    if report.status != "ok":
        reasons = report.error or "; ".join(f"{p.path}: {p.message}" for p in report.problems if p.is_error)
        return ImportOutcome(path, FAILED, reasons, warnings=notes)
    contract = report.contract
    document = contract.model_dump(mode="json", by_alias=True, exclude_none=True)
    existing = BucketRequest.objects.filter(request_id=contract.id).first()
    if existing is not None:
        if existing.contract_hash == canonical_hash(document):
            return ImportOutcome(path, UNCHANGED, "already imported", contract.id, notes)
        return ImportOutcome(
            path, FAILED, f"{contract.id} exists with a different contract", contract.id, notes
        )
    if dry_run:
        if taken := name_taken_problems(contract.spec.bucket_name, except_request_id=contract.id):
            reasons = "; ".join(f"{p.path}: {p.message}" for p in taken)
            return ImportOutcome(path, FAILED, reasons, contract.id, notes)
        if adopt:
            return ImportOutcome(
                path,
                WOULD_ADOPT,
                f"bucket {contract.spec.bucket_name}: a plan importing it, for approval "
                f"(dry run: nothing saved)",
                contract.id,
                notes,
            )
        return ImportOutcome(
            path,
            WOULD_IMPORT,
            f"as applied, bucket {contract.spec.bucket_name} (dry run: nothing saved)",
            contract.id,
            notes,
        )
    try:
        _save_imported(path, contract, document, policy, actor, adopt=adopt)
    except NameTaken as taken:
        return ImportOutcome(
            path, FAILED, "; ".join(f"{p.path}: {p.message}" for p in taken.problems), warnings=notes
        )
    if adopt:
        return ImportOutcome(
            path, ADOPTING, "planned for approval: the plan imports the existing bucket", contract.id, notes
        )
    return ImportOutcome(path, IMPORTED, "imported as applied", contract.id, notes)


class NameTaken(Exception):
    def __init__(self, problems):
        super().__init__(problems[0].message)
        self.problems = problems


@transaction.atomic
def _save_imported(path, contract, document, policy, actor, adopt: bool = False) -> BucketRequest:
    number = parse_request_id(contract.id)
    # Takes the ID sequence lock first, like submissions, so the name check below cannot race one.
    advance_request_sequence_past(number)
    if problems := name_taken_problems(contract.spec.bucket_name, except_request_id=contract.id):
        raise NameTaken(problems)
    owner, _ = Team.objects.get_or_create(slug=contract.owner, defaults={"name": contract.owner})
    decision = approval_decision(contract, policy)
    reasons = [{"code": r.code, "message": r.message} for r in decision.reasons]
    if adopt:  # an existing bucket changes only after approvers saw the plan
        reasons = [{"code": ADOPT_REASON, "message": ADOPT_MESSAGE}, *reasons]
    request = BucketRequest.objects.create(
        request_id=contract.id,
        number=number,
        **contract_columns(contract, owner=owner),
        contract=document,
        contract_hash=canonical_hash(document),
        status=RequestStatus.PENDING_APPROVAL if adopt else RequestStatus.APPLIED,
        approval_required=adopt or decision.required,
        approvals_needed=max(1, decision.approvals_needed) if adopt else decision.approvals_needed,
        approval_reasons=reasons,
    )
    audit.record(
        "request.imported",
        actor=actor,
        request=request,
        detail={
            "file": str(path),
            "contract_hash": request.contract_hash,
            "status": request.status,
            "adopt": adopt,
        },
    )
    if adopt:
        signals.submitted.send(sender=BucketRequest, request=request, actor=actor)  # the runner plans it
        return request
    catalog.mark_active(
        request,
        actor=actor,
        region=policy.region,
        arn=f"arn:aws:s3:::{request.bucket_name}",
        detail={"source": "import"},
    )
    return request
