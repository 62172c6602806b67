"""End to end for a raw request (parse -> build -> validate -> approval): what a form, API or preview shows."""

import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .approval import ApprovalDecision, approval_decision
from .build import Applied, BuiltContract, build_contract
from .loading import ContractSchemaError, fields_by_alias, parse_request_input, split_unknown_fields
from .models import RequestInput
from .policy import PlatformPolicy
from .problems import Problem, has_errors
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


@dataclass(frozen=True)
class RequestEvaluation:
    problems: list[Problem] = field(default_factory=list)
    request: RequestInput | None = None
    built: BuiltContract | None = None
    approval: ApprovalDecision | None = None

    @property
    def is_valid(self) -> bool:
        return self.built is not None and not has_errors(self.problems)

    @property
    def bucket_name(self) -> str | None:
        return self.built.contract.spec.bucket_name if self.built else None

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
    the input model, the rules still judge the others: see :func:`_problems_without`.
    """
    known, unknown = split_unknown_fields(raw, RequestInput)  # reported with everything the rest has
    unread = {problem.field for problem in unreadable if problem.field}
    readable = {name: value for name, value in known.items() if name not in unread}
    try:
        parsed = parse_request_input(readable)
    except ContractSchemaError as refused:
        problems = [p for p in refused.problems if not (p.code == "schema.missing" and p.field in unread)]
        bad = unread | {problem.field for problem in problems}
        rule_problems = _problems_without(readable, bad, policy, known_teams)
        return RequestEvaluation(
            problems=list(dict.fromkeys([*unknown, *unreadable, *problems, *rule_problems]))
        )
    built, problems = _judged(parsed, request_id, policy, known_teams)
    return RequestEvaluation(
        problems=unknown + list(unreadable) + problems,
        request=parsed,
        built=built,
        approval=approval_decision(built.contract, policy),
    )


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


def _problems_without(
    readable: Mapping[str, Any], bad: set[str], policy: PlatformPolicy, known_teams: Iterable[str] | None
) -> list[Problem]:
    """The rules' problems on the fields that could be read, whatever the ``bad`` fields will hold.

    Each bad field is given stand-in values (its default or example, and each choice, bound or
    truth value it may take); a problem is reported only when every stand-in gives it, and never on a
    bad field. So "objects expire before the transition" is said when the transition day is not a
    number only if it holds for any transition day, and nothing is said about a stand-in.
    """
    stand_ins = {name: _stand_ins(name) for name in bad if name in INPUT_MODEL_FIELDS}
    base = {**readable, **{name: values[0] for name, values in stand_ins.items()}}
    trials = [base] + [{**base, name: value} for name, values in stand_ins.items() for value in values[1:]]
    outcomes = []
    for trial in trials:
        _, problems = _judged(RequestInput.model_validate(trial), PREVIEW_REQUEST_ID, policy, known_teams)
        outcomes.append(problems)
    common = set(outcomes[0]).intersection(*outcomes[1:])
    return [p for p in outcomes[0] if p in common and p.field not in bad]


def _stand_ins(alias: str) -> list[Any]:
    """Valid values for the input field ``alias``: its default (or example) first, then the others it
    may take that change how the rules judge the rest (choices, truth values, bounds, empty)."""
    info = INPUT_MODEL_FIELDS[alias]
    first = info.get_default(call_default_factory=True) if not info.is_required() else info.examples[0]
    values = [first]
    kind = typing.get_args(info.annotation) or (info.annotation,)
    for option in kind:
        if isinstance(option, type) and issubclass(option, Enum):
            values += list(option)
        elif option is bool:
            values += [True, False]
        elif option is int:
            bounds = {type(rule).__name__: rule for rule in info.metadata}
            values += [bounds["Ge"].ge, bounds["Le"].le]
        elif option is type(None):
            values.append(None)
    return values


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
