"""The approval matrix of seed 000 §3 as one pure function."""

from dataclasses import asdict, dataclass, field

from .models import Contract
from .policy import PlatformPolicy
from .vocabulary import GUARDED_ENVIRONMENTS, PublicAccess, PurposeType


@dataclass(frozen=True)
class ApprovalReason:
    code: str
    message: str


@dataclass(frozen=True)
class ApprovalDecision:
    """`required` is False only when no rule asks for review; then `approvals_needed` is 0."""

    required: bool
    reasons: list[ApprovalReason] = field(default_factory=list)
    approvals_needed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def approval_decision(contract: Contract, policy: PlatformPolicy) -> ApprovalDecision:
    reasons = _reasons(contract)
    if not reasons:
        return ApprovalDecision(required=False)
    return ApprovalDecision(
        required=True, reasons=reasons, approvals_needed=policy.approvals_for(contract.environment.value)
    )


def _reasons(contract: Contract) -> list[ApprovalReason]:
    env = contract.environment.value
    reasons = []
    if contract.environment in GUARDED_ENVIRONMENTS:
        reasons.append(ApprovalReason("environment", f"{env} buckets need platform approval."))
    if contract.spec.public_access == PublicAccess.EXCEPTION_APPROVED:
        reasons.append(ApprovalReason("public-access", "A public-access exception needs platform approval."))
    if contract.spec.purpose.type == PurposeType.STATIC_ASSETS:
        reasons.append(
            ApprovalReason(
                "static-assets",
                "static-assets buckets need platform approval (public-access and CDN review).",
            )
        )
    return reasons
