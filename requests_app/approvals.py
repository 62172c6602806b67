"""Deciding on a request: every approval rule, in one place for the admin and the API.

- only members of ``platform-approvers`` (permission ``decide_bucketrequest``) decide;
- nobody decides on their own request: not the person named as requester (compared as
  canonical identities, core.identity: "Carol" is carol), not the account that submitted it;
- one vote per person on each contract and plan: per canonical identity, whichever account or
  credential (session, token) casts it; a comment is required (text without NUL characters);
- a vote is cast on the contract hash and the plan hash the approver saw; approvals of an
  older contract or an older plan do not count (a request back from a stale plan is voted on again);
- approving needs a ready plan (requests_app.plans): nobody approves without seeing what
  Terraform will change; a rejection needs none (a request whose plan fails can be turned down);
- the request is approved when the approvals on its current contract and plan reach the
  number its environment requires; one rejection rejects it.

The request row is locked while a vote is counted, so two approvers voting at once on a
two-approval request approve it exactly once.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from core import audit
from core.free_text import unstorable
from core.identity import identity_digest, same_person
from core.models import AuditEntry
from core.refusal import Refused
from requests_app import plans, status_machine
from requests_app.models import Approval, BucketRequest, Decision, RequestStatus

DECIDE_PERMISSION = "requests_app.decide_bucketrequest"


class DecisionRefused(Refused):
    """A vote the rules do not allow; ``code`` says which rule (the API maps it to a status)."""

    NOT_APPROVER = "not-approver"
    OWN_REQUEST = "own-request"
    ALREADY_VOTED = "already-voted"
    NOT_PENDING = "not-pending"
    STALE_CONTRACT = "stale-contract"
    PLAN_NOT_READY = "plan-not-ready"
    STALE_PLAN = "stale-plan"
    UNSEEN = "unseen"
    COMMENT_REQUIRED = "comment-required"
    COMMENT_INVALID = "comment-invalid"


@dataclass(frozen=True)
class DecisionResult:
    request: BucketRequest
    approval: Approval
    approvals_counted: int
    status_changed: bool

    @property
    def summary(self) -> str:
        """The message an approver reads after voting (the page and the admin)."""
        request = self.request
        if self.status_changed:
            outcome = f"now {request.get_status_display().lower()}"
        else:
            needed = request.approvals_needed
            outcome = f"{self.approvals_counted} of {needed} approval{'s' if needed != 1 else ''}"
        return f"{request.request_id}: vote recorded, {outcome}."


def is_own_request(request: BucketRequest, user) -> bool:
    return same_person(user.get_username(), request.requester) or (
        request.submitted_by_id is not None and request.submitted_by_id == user.pk
    )


def has_voted(request: BucketRequest, user) -> bool:
    """``user``, under any account spelling the same person, already voted on ``request``'s
    current contract and plan."""
    return current_votes(request).filter(approver_key=identity_digest(user.get_username())).exists()


def refusal_for(request: BucketRequest, user) -> DecisionRefused | None:
    """Why ``user`` may not vote on ``request`` now (None when they may); for pages and checks."""
    if not user.has_perm(DECIDE_PERMISSION):
        return DecisionRefused(DecisionRefused.NOT_APPROVER, "Only platform approvers decide on requests.")
    if is_own_request(request, user):
        return DecisionRefused(
            DecisionRefused.OWN_REQUEST,
            f"{user.get_username()} cannot decide on their own request {request.request_id}.",
        )
    if request.status != RequestStatus.PENDING_APPROVAL:
        return DecisionRefused(
            DecisionRefused.NOT_PENDING,
            f"{request.request_id} is {request.get_status_display().lower()}, not pending approval.",
        )
    if has_voted(request, user):
        return DecisionRefused(
            DecisionRefused.ALREADY_VOTED, f"{user.get_username()} already voted on {request.request_id}."
        )
    return None


@audit.atomic()
def decide(
    request: BucketRequest,
    user,
    decision: str,
    comment: str,
    *,
    contract_hash: str | None = None,
    plan_hash: str | None = None,
    seen_required: bool = False,
) -> DecisionResult:
    """Record ``user``'s vote and approve or reject when it settles the request.

    ``contract_hash`` and ``plan_hash`` are the hashes of the contract and the plan the
    approver looked at; when given and the request's changed since, the vote is refused.
    Every edge a person votes through (page, admin, API) passes ``seen_required``: an approval
    must then name both, so nobody approves a plan they were not shown.
    """
    if decision not in Decision.values:
        raise ValueError(f"decision must be one of {Decision.values}")
    comment = (comment or "").strip()
    if not comment:
        raise DecisionRefused(DecisionRefused.COMMENT_REQUIRED, "A comment is required with every decision.")
    problem = unstorable(comment)
    if problem:
        raise DecisionRefused(DecisionRefused.COMMENT_INVALID, f"A comment {problem}.")
    locked = BucketRequest.objects.select_for_update().get(pk=request.pk)
    refusal = refusal_for(locked, user)
    if refusal is not None:
        raise refusal
    if contract_hash and contract_hash != locked.contract_hash:
        raise DecisionRefused(
            DecisionRefused.STALE_CONTRACT,
            f"The contract of {locked.request_id} changed since you opened it; "
            "review the current contract and vote again.",
        )
    if decision == Decision.APPROVE and (not_ready := plans.not_ready_reason(locked)):
        raise DecisionRefused(DecisionRefused.PLAN_NOT_READY, not_ready)
    if plan_hash and plan_hash != locked.plan_hash:
        raise DecisionRefused(
            DecisionRefused.STALE_PLAN,
            f"The plan of {locked.request_id} changed since you opened it; "
            "review the current plan and vote again.",
        )
    if decision == Decision.APPROVE and seen_required and not (contract_hash and plan_hash):
        raise DecisionRefused(
            DecisionRefused.UNSEEN,
            f"An approval names the contract and the plan you reviewed (contractHash and "
            f"planHash of {locked.request_id}); review them and vote again.",
        )
    approval = _cast(locked, user, decision, comment)
    counted = len(approvals_on_current_contract(locked))
    changed = _settle(locked, user, decision, counted)
    request.status = locked.status
    return DecisionResult(locked, approval, counted, changed)


def _cast(request: BucketRequest, user, decision: str, comment: str) -> Approval:
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                request=request,
                approver=user,
                decision=decision,
                comment=comment,
                contract_hash=request.contract_hash,
                plan_hash=request.plan_hash,
            )
    except IntegrityError as exc:
        raise DecisionRefused(
            DecisionRefused.ALREADY_VOTED, f"{user.get_username()} already voted on {request.request_id}."
        ) from exc
    audit.record(
        f"approval.{decision}",
        actor=user,
        request=request,
        detail={"comment": comment, "contract_hash": request.contract_hash, "plan_hash": request.plan_hash},
    )
    return approval


def current_votes(request: BucketRequest):
    """The votes that count: cast on the request's current contract and current plan."""
    return request.approvals.filter(contract_hash=request.contract_hash, plan_hash=request.plan_hash)


def approvals_on_current_contract(request: BucketRequest) -> list[Approval]:
    """The approvals that count towards ``request``'s quorum: cast on its current contract and plan.

    The one home of this rule for the request page, the admin list and ``decide``. It reads
    ``request.approvals.all()``, so a list that prefetched ``approvals`` asks no query per row.
    """
    return [
        vote
        for vote in request.approvals.all()
        if vote.decision == Decision.APPROVE
        and vote.contract_hash == request.contract_hash
        and vote.plan_hash == request.plan_hash
    ]


def awaiting_decision(user) -> QuerySet:
    """The requests ``user`` may decide now, oldest first: pending approval, not their own, and not
    yet voted on (on the current contract and plan) by them. The approval queue and its count.

    People compare by the identity keys the rows keep (core.identity, as :func:`refusal_for` does), so a
    look-alike spelling of the requester's name finds no request of theirs here that ``decide`` refuses.
    """
    if not user.has_perm(DECIDE_PERMISSION):
        return BucketRequest.objects.none()
    key = identity_digest(user.get_username())
    voted = Approval.objects.filter(
        request=OuterRef("pk"),
        contract_hash=OuterRef("contract_hash"),
        plan_hash=OuterRef("plan_hash"),
        approver_key=key,
    )
    return (
        BucketRequest.objects.filter(status=RequestStatus.PENDING_APPROVAL)
        .exclude(Q(requester_key=key) | Q(submitted_by=user))
        .exclude(Exists(voted))
        .order_by("created_at", "number")
    )


# The entry that holds what the guardrails did: the submission's own (its ``guardrails`` detail), or in a
# trail written before December 2026 a separate ``request.guardrails_evaluated`` entry (its whole detail).
GUARDRAILS_ENTRIES = {"request.submitted": "guardrails", "request.guardrails_evaluated": None}


def guardrails_applied(request: BucketRequest) -> list[dict]:
    """What the platform's guardrails set on the contract at submission (path, value, source, reason)."""
    for action, detail in (
        AuditEntry.objects.filter(request_id=request.request_id, action__in=GUARDRAILS_ENTRIES)
        .order_by("id")
        .values_list("action", "detail")
    ):
        name = GUARDRAILS_ENTRIES[action]
        evaluated = detail.get(name) if name else detail
        if isinstance(evaluated, dict):
            return evaluated.get("applied", [])
    return []


def _settle(request: BucketRequest, user, decision: str, approvals: int) -> bool:
    if decision == Decision.REJECT:
        status_machine.transition(request, "reject", actor=user, detail={"rejected_by": user.get_username()})
        return True
    if approvals >= max(request.approvals_needed, 1):
        status_machine.transition(
            request,
            "approve",
            actor=user,
            detail={"approvals": approvals, "needed": request.approvals_needed},
        )
        return True
    return False
