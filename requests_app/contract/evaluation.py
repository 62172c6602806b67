"""End to end for a raw request (parse -> build -> validate -> approval): what a form, API or preview shows."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .approval import ApprovalDecision, approval_decision
from .build import Applied, BuiltContract, build_contract
from .loading import ContractSchemaError, parse_request_input, split_unknown_fields
from .models import RequestInput
from .policy import PlatformPolicy
from .problems import Problem, has_errors
from .stand_ins import fields_by_alias, judged_around, with_first_stand_ins
from .validation import validate_contract

PREVIEW_REQUEST_ID = "S3-0000"
INPUT_MODEL_FIELDS = fields_by_alias(RequestInput)

# Contract paths -> the input field a requester changes to fix them; the longest matching prefix wins.
INPUT_FIELD_FOR_PATH = {
    "application": "application",
    "owner": "owner",
    "spec.bucketName": "application",
    "spec.costAlertGb": "costAlertGb",
    "spec.tags": "tags",
    "spec.tags.costCenter": "costCenter",
    "spec.corsAllowedOrigins": "corsAllowedOrigins",
    "spec.lifecycle.expirationDays": "expirationDays",
    "spec.lifecycle.transitions": "transitionDays",
    "spec.lifecycle.transitions[0].storageClass": "storageClass",
    "spec.retentionPolicy.rationale": "retentionRationale",
    "spec.retentionPolicy": "retentionType",
    "spec.publicAccess": "publicAccess",
    "spec.storageClass": "storageClass",
    "spec.versioning": "versioning",
    "spec.lifecycle.noncurrentVersionExpirationDays": "versioning",
}


# What a preview still says while some input fields are refused, and every input field it reads: it is
# derived (around the refused values' stand-ins) only when none of these is refused or missing, so that
# nothing is said about a stand-in. A derivation that comes to read another field must name it here.
DERIVED_FROM = {
    "name_around_refused": frozenset({"environment", "application", "purposeType"}),  # build._bucket_name
    "approval": frozenset({"environment", "publicAccess", "purposeType"}),  # approval._reasons
}


@dataclass(frozen=True)
class RequestEvaluation:
    problems: list[Problem] = field(default_factory=list)
    request: RequestInput | None = None
    built: BuiltContract | None = None
    approval: ApprovalDecision | None = None
    # The bucket name when the input was refused but the fields it is made of were not (DERIVED_FROM).
    name_around_refused: str | None = None

    @property
    def is_valid(self) -> bool:
        return self.built is not None and not has_errors(self.problems)

    @property
    def bucket_name(self) -> str | None:
        return self.built.contract.spec.bucket_name if self.built else self.name_around_refused

    @property
    def applied(self) -> list[Applied]:
        return self.built.applied if self.built else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.is_valid,
            "bucketName": self.bucket_name,
            "applied": [entry.to_dict() for entry in self.applied],
            "problems": [problem.to_dict() for problem in self.problems],
            "approval": self.approval.to_dict() if self.approval else None,
        }


def evaluate_request(
    raw: Mapping[str, Any],
    policy: PlatformPolicy,
    *,
    request_id: str = PREVIEW_REQUEST_ID,
    known_teams: Iterable[str] | None = None,
    unreadable: Sequence[Problem] = (),
) -> RequestEvaluation:
    """Every problem of ``raw`` at once: unknown fields, values of the wrong type or form, and the rules.

    ``unreadable`` are problems an edge found reading a field before (a form's tag line that is not
    key=value); those fields are left out of ``raw``. When a field is missing, unreadable or refused by
    the input model, the rules still judge the others (``stand_ins.judged_around``).
    """
    known, unknown = split_unknown_fields(raw, RequestInput)  # reported with everything the rest has
    unread = {problem.field for problem in unreadable if problem.field}
    readable = {name: value for name, value in known.items() if name not in unread}
    try:
        parsed = parse_request_input(readable)
    except ContractSchemaError as refused:
        problems = [p for p in refused.problems if not (p.code == "schema.missing" and p.field in unread)]
        bad = unread | {problem.field for problem in problems}
        around = judged_around(
            readable,
            RequestInput,
            [(name,) for name in bad if name in INPUT_MODEL_FIELDS],
            lambda request: _judged(request, request_id, policy, known_teams)[1],
        )
        rule_problems = [problem for problem in around if problem.field not in bad]
        return RequestEvaluation(
            problems=list(dict.fromkeys([*unknown, *unreadable, *problems, *rule_problems])),
            **_derived_around(readable, bad, request_id, policy),
        )
    built, problems = _judged(parsed, request_id, policy, known_teams)
    return RequestEvaluation(
        problems=unknown + list(unreadable) + problems,
        request=parsed,
        built=built,
        approval=approval_decision(built.contract, policy),
    )


def _derived_around(readable: Mapping[str, Any], bad: set, request_id: str, policy: PlatformPolicy) -> dict:
    """The bucket name and the approval decision of a refused input, each when the fields it reads are
    valid (DERIVED_FROM): what the preview shows from the valid fields, as while they are typed."""
    wanted = [name for name, inputs in DERIVED_FROM.items() if not inputs & bad]
    if not wanted:
        return {}
    request = with_first_stand_ins(
        readable, RequestInput, [(name,) for name in bad if name in INPUT_MODEL_FIELDS]
    )
    if request is None:
        return {}
    try:
        contract = build_contract(request, request_id, policy).contract
    except ValidationError:  # a contract the stand-ins do not make: nothing derived
        return {}
    derived = {
        "name_around_refused": contract.spec.bucket_name,
        "approval": approval_decision(contract, policy),
    }
    return {name: derived[name] for name in wanted}


def _judged(
    request: RequestInput, request_id: str, policy: PlatformPolicy, known_teams: Iterable[str] | None
) -> tuple[BuiltContract, list[Problem]]:
    """The contract built from ``request`` and its problems (the build's, then the guardrails')."""
    built = build_contract(request, request_id, policy)
    contract_problems = [
        with_input_field(platform_default_explained(problem, built))
        for problem in validate_contract(built.contract, policy, known_teams)
    ]
    return built, built.problems + contract_problems


def platform_default_explained(problem: Problem, built) -> Problem:
    """An expiration that clashes with a transition the platform added (a purpose or storage-class
    default) is explained as the platform's default, not as something the requester chose."""
    if problem.code != "lifecycle.expiration-before-transition":
        return problem
    added = next(
        (
            entry
            for entry in built.applied
            if entry.path.startswith("spec.lifecycle.transitions") and entry.path.endswith(".days")
        ),
        None,
    )
    lifecycle = built.contract.spec.lifecycle
    if added is None or not lifecycle.transitions:
        return problem
    last = max(lifecycle.transitions, key=lambda transition: transition.days)
    message = (
        f"Objects expire on day {lifecycle.expiration_days}, but the platform's default moves them to "
        f"{last.storage_class.value} on day {last.days} ({added.reason}). Expire on day {last.days + 1} "
        "or later, or choose the storage class and the days before transition yourself."
    )
    return Problem(problem.path, message, problem.severity, problem.code, field=problem.field)


def with_input_field(problem: Problem) -> Problem:
    """The same problem, naming the input field to change (if any)."""
    matches = [prefix for prefix in INPUT_FIELD_FOR_PATH if _under(problem.path, prefix)]
    if problem.field or not matches:
        return problem
    return Problem(
        problem.path,
        problem.message,
        problem.severity,
        problem.code,
        field=INPUT_FIELD_FOR_PATH[max(matches, key=len)],
    )


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")
