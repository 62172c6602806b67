"""Building a contract: naming, environment guardrails, purpose defaults, explicit choices, the applied report."""

import pytest

from requests_app.contract import PlatformPolicy, RequestInput, build_contract
from tests.contract.cases import request_input

UNSET = {"storageClass": None, "versioning": None}


def _applied(built) -> dict:
    return {entry.path: (entry.value, entry.source) for entry in built.applied}


@pytest.mark.parametrize(
    ("prefix", "environment", "application", "purpose", "expected"),
    [
        ("goldenpath", "dev", "payments-api", "uploads", "goldenpath-dev-payments-api-uploads"),
        ("acme", "prod", "ledger", "data-lake", "acme-prod-ledger-data-lake"),
    ],
)
def test_bucket_name_is_prefix_env_app_purpose(prefix, environment, application, purpose, expected):
    request = RequestInput.model_validate(
        request_input(environment=environment, application=application, purposeType=purpose, **UNSET)
    )

    built = build_contract(request, "S3-0001", PlatformPolicy(prefix=prefix))

    assert built.contract.spec.bucket_name == expected
    assert _applied(built)["spec.bucketName"] == (expected, "derived")


@pytest.mark.parametrize(
    ("environment", "encryption", "alias", "log_bucket"),
    [
        ("dev", "sse-s3", None, None),
        ("test", "sse-s3", None, None),
        ("staging", "sse-kms", "alias/goldenpath-staging-s3", "goldenpath-staging-logs"),
        ("prod", "sse-kms", "alias/goldenpath-prod-s3", "goldenpath-prod-logs"),
    ],
)
def test_environment_guardrails(build, environment, encryption, alias, log_bucket):
    built = build(environment=environment)
    spec = built.contract.spec

    assert (spec.encryption.type.value, spec.encryption.kms_key_alias) == (encryption, alias)
    assert (spec.access_logging.enabled, spec.access_logging.target_bucket) == (
        log_bucket is not None,
        log_bucket,
    )
    expected_source = "guardrail" if log_bucket else "platform-default"
    assert _applied(built)["spec.encryption.type"] == (encryption, expected_source)


def test_guardrails_follow_the_configured_prefix():
    request = RequestInput.model_validate(request_input(environment="prod"))

    spec = build_contract(request, "S3-0001", PlatformPolicy(prefix="acme")).contract.spec

    assert spec.encryption.kms_key_alias == "alias/acme-prod-s3"
    assert spec.access_logging.target_bucket == "acme-prod-logs"


@pytest.mark.parametrize(
    ("purpose", "retention", "versioning", "storage_class", "transitions", "expiration"),
    [
        ("logs", "time-bounded", False, "standard-ia", [(30, "standard-ia")], 90),
        ("uploads", "indefinite", True, "standard", [], None),
        ("backups", "indefinite", True, "glacier", [(90, "glacier")], None),
        ("data-lake", "indefinite", False, "intelligent-tiering", [(0, "intelligent-tiering")], None),
        ("static-assets", "indefinite", True, "standard", [], None),
    ],
)
def test_purpose_defaults(build, purpose, retention, versioning, storage_class, transitions, expiration):
    contract = build(purposeType=purpose, retentionType=retention, **UNSET).contract

    assert contract.spec.versioning is versioning
    assert contract.spec.storage_class.value == storage_class
    assert [(t.days, t.storage_class.value) for t in contract.lifecycle.transitions] == transitions
    assert contract.lifecycle.expiration_days == expiration


@pytest.mark.parametrize(
    ("overrides", "attribute", "expected"),
    [
        ({"purposeType": "logs", "versioning": True, "storageClass": None}, "versioning", True),
        (
            {"purposeType": "data-lake", "storageClass": "standard", "versioning": None},
            "storage_class",
            "standard",
        ),
        ({"purposeType": "backups", "versioning": False, "storageClass": None}, "versioning", False),
    ],
)
def test_explicit_choices_win_over_purpose_defaults(build, overrides, attribute, expected):
    built = build(**overrides)

    value = getattr(built.contract.spec, attribute)
    assert getattr(value, "value", value) == expected
    assert f"spec.{'storageClass' if attribute == 'storage_class' else attribute}" not in _applied(built)


def test_explicit_lifecycle_days_win(build):
    lifecycle = build(
        storageClass="standard-ia", transitionDays=60, retentionType="time-bounded", expirationDays=365
    ).contract.lifecycle

    assert [(t.days, t.storage_class.value) for t in lifecycle.transitions] == [(60, "standard-ia")]
    assert lifecycle.expiration_days == 365


def test_indefinite_logs_keep_objects_and_say_why(build):
    built = build(purposeType="logs", retentionType="indefinite", **UNSET)

    assert built.contract.lifecycle.expiration_days is None
    value, source = _applied(built)["spec.lifecycle.expirationDays"]
    assert (value, source) == (None, "purpose-default")


@pytest.mark.parametrize(
    ("overrides", "expected_days"),
    [
        ({"versioning": True, "retentionType": "indefinite"}, 90),
        ({"versioning": True, "retentionType": "compliance-driven", "expirationDays": 2555}, 2555),
        ({"versioning": False}, None),
    ],
)
def test_noncurrent_versions_expire_when_versioning_is_on(build, overrides, expected_days):
    assert build(**overrides).contract.lifecycle.noncurrent_version_expiration_days == expected_days


def test_transition_days_without_a_class_to_move_to_is_an_input_problem(build):
    built = build(storageClass="standard", transitionDays=30)

    assert [(p.field, p.code) for p in built.problems] == [
        ("transitionDays", "input.transition-without-class")
    ]


def test_contract_carries_cost_center_and_extra_tags(build):
    tags = build(costCenter="payments-123", tags={"dataClassification": "internal"}).contract.spec.tags

    assert tags == {"dataClassification": "internal", "costCenter": "payments-123"}


def test_conflicting_cost_center_tag_is_an_input_problem(build):
    built = build(costCenter="payments-123", tags={"costCenter": "other"})

    assert [p.field for p in built.problems] == ["tags"]
