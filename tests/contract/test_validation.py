"""Every guardrail rule, table-driven: change one thing in a valid contract, expect that exact problem."""

import copy

import pytest

from requests_app.contract import (
    Contract,
    PlatformPolicy,
    RequestInput,
    build_contract,
    has_errors,
    validate_contract,
)
from tests.contract.cases import KNOWN_TEAMS, VALID_CASES, request_input

POLICY = PlatformPolicy()


def _valid_document(**overrides) -> dict:
    request = RequestInput.model_validate(request_input(**overrides))
    contract = build_contract(request, "S3-0001", POLICY).contract
    return contract.model_dump(by_alias=True, exclude_none=True)


def _set(document: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = document
    for key in parents:
        node = node.setdefault(key, {})
    if value is _DELETE:
        node.pop(last, None)
    else:
        node[last] = value


_DELETE = object()
DEV = {}
PROD = {"environment": "prod"}
LONG_APP = "a" * 29 + "-x"  # 31 characters, the longest application name

# (base overrides, {dotted path: new value}, expected path, expected code, severity)
RULES = [
    # naming
    (
        DEV,
        {"spec.bucketName": "goldenpath-dev-other-uploads"},
        "spec.bucketName",
        "bucket-name.not-derived",
        "error",
    ),
    (
        DEV,
        {"application": "Payments_API", "spec.bucketName": "goldenpath-dev-Payments_API-uploads"},
        "application",
        "application.pattern",
        "error",
    ),
    (
        DEV,
        {"application": "pay--api", "spec.bucketName": "goldenpath-dev-pay--api-uploads"},
        "application",
        "application.pattern",
        "error",
    ),
    (
        DEV,
        {"application": "payments-", "spec.bucketName": "goldenpath-dev-payments--uploads"},
        "application",
        "application.pattern",
        "error",
    ),
    (
        DEV,
        {"spec.bucketName": "goldenpath-dev-payments-api-uploads-s3alias"},
        "spec.bucketName",
        "bucket-name.reserved-suffix",
        "error",
    ),
    (
        {"environment": "staging", "purposeType": "static-assets", "application": LONG_APP},
        {},
        "spec.bucketName",
        "bucket-name.too-long",
        "error",
    ),
    # owner
    (DEV, {"owner": "ghost-team"}, "owner", "owner.unknown-team", "error"),
    # environment guardrails (seed 002)
    (
        PROD,
        {"spec.encryption": {"type": "sse-s3"}},
        "spec.encryption.type",
        "encryption.kms-required",
        "error",
    ),
    (
        PROD,
        {"spec.encryption": {"type": "sse-kms"}},
        "spec.encryption.kmsKeyAlias",
        "encryption.alias-missing",
        "error",
    ),
    (
        PROD,
        {"spec.encryption.kmsKeyAlias": "alias/team-key"},
        "spec.encryption.kmsKeyAlias",
        "encryption.alias-mismatch",
        "error",
    ),
    (
        DEV,
        {"spec.encryption": {"type": "sse-kms"}},
        "spec.encryption.kmsKeyAlias",
        "encryption.alias-missing",
        "error",
    ),
    (
        PROD,
        {"spec.accessLogging": {"enabled": False}},
        "spec.accessLogging.enabled",
        "access-logging.required",
        "error",
    ),
    (
        PROD,
        {"spec.accessLogging.targetBucket": "my-logs"},
        "spec.accessLogging.targetBucket",
        "access-logging.target-mismatch",
        "error",
    ),
    (
        DEV,
        {"spec.accessLogging": {"enabled": True}},
        "spec.accessLogging.targetBucket",
        "access-logging.target-missing",
        "error",
    ),
    (
        DEV,
        {"spec.accessLogging": {"enabled": True, "targetBucket": "goldenpath-dev-payments-api-uploads"}},
        "spec.accessLogging.targetBucket",
        "access-logging.self-target",
        "error",
    ),
    # public access
    (
        DEV,
        {"spec.publicAccess": "exception-approved"},
        "spec.publicAccess",
        "public-access.exception",
        "warning",
    ),
    # cost
    (DEV, {"spec.costAlertGb": 0}, "spec.costAlertGb", "cost.alert-range", "error"),
    (DEV, {"spec.costAlertGb": 10001}, "spec.costAlertGb", "cost.alert-range", "error"),
    (DEV, {"spec.tags": {}}, "spec.tags.costCenter", "cost.center-required", "error"),
    (DEV, {"spec.tags.costCenter": "  "}, "spec.tags.costCenter", "cost.center-required", "error"),
    # retention
    (
        DEV,
        {"spec.retentionPolicy.type": "time-bounded"},
        "spec.lifecycle.expirationDays",
        "retention.expiration-required",
        "error",
    ),
    (
        DEV,
        {"spec.retentionPolicy.type": "compliance-driven"},
        "spec.lifecycle.expirationDays",
        "retention.expiration-required",
        "error",
    ),
    (
        DEV,
        {"spec.lifecycle.expirationDays": 30},
        "spec.lifecycle.expirationDays",
        "retention.indefinite-expires",
        "error",
    ),
    (
        DEV,
        {"spec.retentionPolicy.rationale": ""},
        "spec.retentionPolicy.rationale",
        "retention.rationale-required",
        "error",
    ),
    # lifecycle rules S3 accepts
    (
        DEV,
        {
            "spec.storageClass": "standard-ia",
            "spec.lifecycle.transitions": [{"days": 10, "storageClass": "standard-ia"}],
        },
        "spec.lifecycle.transitions[0].days",
        "lifecycle.ia-too-early",
        "error",
    ),
    (
        DEV,
        {
            "spec.storageClass": "standard-ia",
            "spec.lifecycle.transitions": [
                {"days": 90, "storageClass": "glacier"},
                {"days": 120, "storageClass": "standard-ia"},
            ],
        },
        "spec.lifecycle.transitions[1].storageClass",
        "lifecycle.order",
        "error",
    ),
    (
        DEV,
        {
            "spec.storageClass": "glacier",
            "spec.lifecycle.transitions": [
                {"days": 30, "storageClass": "standard-ia"},
                {"days": 45, "storageClass": "glacier"},
            ],
        },
        "spec.lifecycle.transitions[1].days",
        "lifecycle.ia-minimum-stay",
        "error",
    ),
    (
        DEV,
        {
            "spec.storageClass": "glacier",
            "spec.lifecycle.transitions": [
                {"days": 0, "storageClass": "glacier"},
                {"days": 0, "storageClass": "deep-archive"},
            ],
        },
        "spec.lifecycle.transitions[1].days",
        "lifecycle.same-day",
        "error",
    ),
    (
        DEV,
        {
            "spec.retentionPolicy.type": "time-bounded",
            "spec.storageClass": "glacier",
            "spec.lifecycle.transitions": [{"days": 90, "storageClass": "glacier"}],
            "spec.lifecycle.expirationDays": 60,
        },
        "spec.lifecycle.expirationDays",
        "lifecycle.expiration-before-transition",
        "error",
    ),
    (
        DEV,
        {
            "spec.retentionPolicy.type": "time-bounded",
            "spec.storageClass": "glacier",
            "spec.lifecycle.transitions": [{"days": 90, "storageClass": "glacier"}],
            "spec.lifecycle.expirationDays": 120,
        },
        "spec.lifecycle.expirationDays",
        "lifecycle.early-deletion",
        "warning",
    ),
    # storage class and lifecycle agree
    (
        DEV,
        {"spec.storageClass": "standard-ia"},
        "spec.lifecycle.transitions",
        "storage-class.no-transition",
        "error",
    ),
    (
        DEV,
        {
            "spec.storageClass": "glacier",
            "spec.lifecycle.transitions": [{"days": 30, "storageClass": "standard-ia"}],
        },
        "spec.lifecycle.transitions",
        "storage-class.no-transition",
        "error",
    ),
    # versioning
    (
        DEV,
        {"spec.lifecycle": _DELETE},
        "spec.lifecycle.noncurrentVersionExpirationDays",
        "versioning.unbounded",
        "warning",
    ),
    (
        DEV,
        {"spec.versioning": False},
        "spec.lifecycle.noncurrentVersionExpirationDays",
        "versioning.off",
        "warning",
    ),
    # tags within AWS limits
    (DEV, {"spec.tags.aws:team": "x"}, "spec.tags.aws:team", "tags.reserved-prefix", "error"),
    (DEV, {"spec.tags." + "k" * 129: "x"}, "spec.tags." + "k" * 129, "tags.key-length", "error"),
    (DEV, {"spec.tags.note": "v" * 257}, "spec.tags.note", "tags.value-length", "error"),
    (DEV, {"spec.tags.channel": "#payments"}, "spec.tags.channel", "tags.characters", "error"),
    (
        DEV,
        {"spec.tags": {"costCenter": "p-1", **{f"extra{i}": "x" for i in range(44)}}},
        "spec.tags",
        "tags.too-many",
        "error",
    ),
    (DEV, {"spec.tags.owner": "someone-else"}, "spec.tags.owner", "tags.platform-clash", "error"),
    # CORS
    (DEV, {"spec.corsEnabled": True}, "spec.corsAllowedOrigins", "cors.origins-required", "error"),
    (
        DEV,
        {"spec.corsEnabled": True, "spec.corsAllowedOrigins": ["http://app.example.com"]},
        "spec.corsAllowedOrigins[0]",
        "cors.origin-format",
        "error",
    ),
    (
        DEV,
        {"spec.corsEnabled": True, "spec.corsAllowedOrigins": ["https://app.example.com/path"]},
        "spec.corsAllowedOrigins[0]",
        "cors.origin-format",
        "error",
    ),
    (
        PROD,
        {"spec.corsEnabled": True, "spec.corsAllowedOrigins": ["https://ok.example.com", "*"]},
        "spec.corsAllowedOrigins[1]",
        "cors.wildcard",
        "error",
    ),
    (
        PROD,
        {"spec.corsEnabled": True, "spec.corsAllowedOrigins": ["https://*.example.com"]},
        "spec.corsAllowedOrigins[0]",
        "cors.wildcard",
        "error",
    ),
    (
        DEV,
        {"spec.corsEnabled": True, "spec.corsAllowedOrigins": ["*"]},
        "spec.corsAllowedOrigins[0]",
        "cors.wildcard",
        "warning",
    ),
    (
        DEV,
        {"spec.corsAllowedOrigins": ["https://app.example.com"]},
        "spec.corsAllowedOrigins",
        "cors.disabled-origins",
        "warning",
    ),
]


@pytest.mark.parametrize(
    ("base", "changes", "path", "code", "severity"),
    RULES,
    ids=[f"{rule[3]}@{rule[2][:40]}" for rule in RULES],
)
def test_each_rule_reports_its_problem(base, changes, path, code, severity):
    document = _valid_document(**base)
    for dotted, value in changes.items():
        _set(document, dotted, value if value is _DELETE else copy.deepcopy(value))

    problems = validate_contract(Contract.model_validate(document), POLICY, KNOWN_TEAMS)

    assert (path, code, severity) in [(p.path, p.code, p.severity.value) for p in problems]
    assert all(p.message.strip() for p in problems)


@pytest.mark.parametrize("case", VALID_CASES)
def test_valid_cases_have_no_errors(case):
    contract = build_contract(RequestInput.model_validate(case), "S3-0001", POLICY).contract

    assert not has_errors(validate_contract(contract, POLICY, KNOWN_TEAMS))


def test_every_problem_is_reported_at_once():
    document = _valid_document(**PROD)
    for dotted, value in {
        "spec.encryption": {"type": "sse-s3"},
        "spec.accessLogging": {"enabled": False},
        "spec.costAlertGb": 0,
        "spec.tags": {},
        "owner": "ghost-team",
    }.items():
        _set(document, dotted, value)

    problems = validate_contract(Contract.model_validate(document), POLICY, KNOWN_TEAMS)

    assert {p.code for p in problems} >= {
        "encryption.kms-required",
        "access-logging.required",
        "cost.alert-range",
        "cost.center-required",
        "owner.unknown-team",
    }


def test_too_long_bucket_name_says_how_many_characters_to_cut():
    document = _valid_document(environment="staging", purposeType="static-assets", application=LONG_APP)

    problems = validate_contract(Contract.model_validate(document), POLICY, KNOWN_TEAMS)

    [too_long] = [p for p in problems if p.code == "bucket-name.too-long"]
    assert len(document["spec"]["bucketName"]) == 64
    assert "64 characters" in too_long.message and "by 1 character" in too_long.message


def test_owner_is_not_checked_when_teams_are_unknown():
    document = _valid_document(owner="ghost-team")

    assert validate_contract(Contract.model_validate(document), POLICY, known_teams=None) == []
