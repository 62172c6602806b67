"""Submitting a bucket request: validate, number, save, audit, and auto-approve when allowed.

The web form, the API and Backstage (through the API) all submit through
:func:`submit_request`; imports of existing contracts go through ``requests_app.imports``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError

from core import audit
from core.filing import filing_refusal
from core.identity import canonical_username
from core.models import Team
from requests_app import signals, status_machine
from requests_app.bucket_names import name_taken_problems
from requests_app.contract import Problem, RequestEvaluation, evaluate_request
from requests_app.ids import allocate_request_number, format_request_id
from requests_app.models import BucketRequest, PlanStatus, RequestStatus
from requests_app.platform_policy import current_policy, known_teams
from requests_app.request_rows import canonical_hash, contract_columns, contract_document
from requests_app.visibility import visible_requests

MAX_IDEMPOTENCY_KEY_LENGTH = 255
FILING_FIELDS = ("requester", "owner")  # filing_refusal judges these two; checked once both are valid


class InvalidRequest(Exception):
    """The input does not make a valid contract; ``problems`` name the field and the fix."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.field or p.path}: {p.message}" for p in problems))
        self.problems = problems


class IdempotencyConflict(Exception):
    """The idempotency key was already used by this account for a different body.

    The message names that request only when ``named``: one account may file for many people (the
    Backstage caller files for everyone signed in to Backstage), and another person's request is not
    theirs to learn of (requests_app.visibility)."""

    def __init__(self, existing: BucketRequest, *, named: bool):
        used_for = existing.request_id if named else "another request"
        super().__init__(
            f"This Idempotency-Key was already used for {used_for} with a different body; "
            "use a new key for a new request."
        )
        self.existing = existing


@dataclass(frozen=True)
class SubmissionResult:
    request: BucketRequest
    created: bool


def preview(raw: Mapping[str, Any], account=None, unreadable: Sequence[Problem] = ()) -> RequestEvaluation:
    """Validate and derive without saving (the form's live preview and the preview API); with the
    filing ``account``, also whether it may file this request (core.filing). ``unreadable``: fields an
    edge could not read (``evaluate_request``); every other problem is still found."""
    raw = with_canonical_requester(raw)
    evaluation = _with_name_check(
        evaluate_request(raw, current_policy(), known_teams=known_teams(), unreadable=unreadable), account
    )
    if account is None or any(p.is_error and p.field in FILING_FIELDS for p in evaluation.problems):
        return evaluation
    return replace(evaluation, problems=[*evaluation.problems, *filing_problems(account, raw)])


def _with_name_check(evaluation: RequestEvaluation, account=None) -> RequestEvaluation:
    """The evaluation, plus a problem when another request holds its bucket name (its ID if ``account``
    may see it)."""
    taken = name_taken_problems(evaluation.bucket_name, viewer=account)
    return replace(evaluation, problems=evaluation.problems + taken) if taken else evaluation


def with_canonical_requester(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """Requester names are canonical user names (core.identity): "Carol" is stored as carol."""
    requester = raw.get("requester")
    return {**raw, "requester": canonical_username(requester)} if isinstance(requester, str) else raw


def filing_problems(account, raw: Mapping[str, Any]) -> list[Problem]:
    """Why ``account`` may not file ``raw`` (its requester and owner already read as valid)."""
    refusal = filing_refusal(account, raw["requester"], raw["owner"])
    if refusal is None:
        return []
    return [Problem(refusal.field, refusal.message, code="filing", field=refusal.field)]


def submit_request(
    raw: Mapping[str, Any], submitted_by, *, idempotency_key: str | None = None
) -> SubmissionResult:
    """Save a valid request with the next ID; raises :class:`InvalidRequest` or :class:`IdempotencyConflict`.

    With an idempotency key, the same key and body from the same account return the
    request saved the first time (``created=False``), also when both arrive at once.
    """
    key = _checked_key(idempotency_key)
    input_hash = canonical_hash(dict(raw))
    if key:
        existing = _replay(submitted_by, key, input_hash)
        if existing is not None:
            return SubmissionResult(existing, created=False)
    if problems := _null_character_problems(raw):
        raise InvalidRequest(problems)
    first_look = preview(raw, submitted_by)
    if not first_look.is_valid:
        # A replay racing the first submission of its key finds the bucket name taken by that very
        # request: answer as a replay, not with the problem.
        existing = _replay(submitted_by, key, input_hash) if key else None
        if existing is None:
            raise InvalidRequest(first_look.problems)
        return SubmissionResult(existing, created=False)
    prepared = _prepare(first_look, submitted_by, key, input_hash)
    try:
        request = _save(prepared, submitted_by)
    except (IntegrityError, InvalidRequest):
        # Another submission with the same key won the race (its key, or under the lock its bucket
        # name, stopped this one); answer as a replay.
        existing = _replay(submitted_by, key, input_hash) if key else None
        if existing is None:
            raise
        return SubmissionResult(existing, created=False)
    complete_submission(request, actor=submitted_by)
    return SubmissionResult(request, created=True)


def _checked_key(idempotency_key: str | None) -> str:
    key = (idempotency_key or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidRequest(
            [
                Problem(
                    "Idempotency-Key",
                    f"At most {MAX_IDEMPOTENCY_KEY_LENGTH} characters.",
                    code="idempotency-key",
                    field="Idempotency-Key",
                )
            ]
        )
    return key


def _null_character_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """PostgreSQL stores no NUL character in text or JSON: refuse it as a problem of its field."""
    return [
        Problem(str(name), "Text may not contain NUL characters.", code="null-character", field=str(name))
        for name, value in raw.items()
        if _contains_null_character(value)
    ]


def _contains_null_character(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_null_character(k) or _contains_null_character(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_null_character(item) for item in value)
    return False


def _replay(submitted_by, key: str, input_hash: str) -> BucketRequest | None:
    existing = BucketRequest.objects.filter(submitted_by=submitted_by, idempotency_key=key).first()
    if existing is not None and existing.input_hash != input_hash:
        raise IdempotencyConflict(
            existing, named=visible_requests(submitted_by).filter(pk=existing.pk).exists()
        )
    return existing


@dataclass(frozen=True)
class _Prepared:
    """Everything a new request row and its audit entries hold except the ID: made before the ID lock."""

    fields: dict
    document: dict
    bucket_name: str
    submitted_detail: dict
    guardrails_detail: dict


def _prepare(evaluation: RequestEvaluation, submitted_by, key: str, input_hash: str) -> _Prepared:
    """The row and audit details of a valid evaluation (made with the preview ID, replaced when numbered)."""
    contract = evaluation.built.contract
    decision = evaluation.approval
    warnings = [p.to_dict() for p in evaluation.problems if not p.is_error]
    fields = {
        **contract_columns(contract, owner=Team.objects.get(slug=contract.owner)),
        "submitted_by": submitted_by,
        "status": RequestStatus.PENDING_APPROVAL,
        "approval_required": decision.required,
        "approvals_needed": decision.approvals_needed,
        "approval_reasons": [{"code": reason.code, "message": reason.message} for reason in decision.reasons],
        "warnings": warnings,
        "idempotency_key": key,
        "input_hash": input_hash,
    }
    return _Prepared(
        fields=fields,
        document=contract_document(contract),
        bucket_name=contract.spec.bucket_name,
        submitted_detail={
            "requester": contract.requester,
            "owner": contract.owner,
            "purpose": fields["purpose"],
            "idempotency_key": key or None,
        },
        guardrails_detail={
            "applied": [entry.to_dict() for entry in evaluation.applied],
            "warnings": warnings,
            "approval": decision.to_dict(),
        },
    )


@audit.atomic()
def _save(prepared: _Prepared, submitted_by) -> BucketRequest:
    """Number, re-check the name, insert and audit: the only work done while holding the ID lock
    (docs/decisions/submission-throughput.md). One entry says who submitted what and what the
    guardrails set and decided (``guardrails``: applied, warnings, approval)."""
    number = allocate_request_number()
    request_id = format_request_id(number)
    # Checked again under the ID sequence lock: of two submissions of one name, the second sees the first.
    if taken := name_taken_problems(prepared.bucket_name, viewer=submitted_by):
        raise InvalidRequest(taken)
    document = {**prepared.document, "id": request_id}
    contract_hash = canonical_hash(document)
    request = BucketRequest.objects.create(
        request_id=request_id,
        number=number,
        contract=document,
        contract_hash=contract_hash,
        **prepared.fields,
    )
    audit.record(
        "request.submitted",
        actor=submitted_by,
        request=request,
        detail={
            **prepared.submitted_detail,
            "contract_hash": contract_hash,
            "guardrails": prepared.guardrails_detail,
        },
    )
    return request


@audit.atomic()
def complete_submission(request: BucketRequest, *, actor) -> BucketRequest:
    """What follows a saved submission, in its own transaction after the ID lock is released: the plan
    run approvers vote on (``signals.submitted``, the runner), or the approval when no rule asks for one.

    Idempotent: it acts only on a request still waiting for approval with no plan started, so the
    runner's sweeper can finish a submission whose process stopped between the two transactions.
    """
    locked = BucketRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != RequestStatus.PENDING_APPROVAL or locked.plan_status != PlanStatus.NOT_NEEDED:
        return locked
    signals.submitted.send(sender=BucketRequest, request=locked, actor=actor)
    if not locked.approval_required:
        status_machine.transition(
            locked,
            "approve",
            actor="system",
            detail={"reason": "no approval rule applies (approval matrix)"},
            row_locked=True,
        )
    _copy_state(locked, request)
    return locked


def _copy_state(source: BucketRequest, target: BucketRequest) -> None:
    for name in ("status", "plan_status", "plan_hash", "plan_problem", "updated_at"):
        setattr(target, name, getattr(source, name))
