"""Renderers: the fixed tfvars interface, the least-privilege IAM policy and the backend settings."""

import json

import pytest

from requests_app.contract import (
    PlatformPolicy,
    RequestInput,
    backend_settings,
    build_contract,
    iam_policy,
    terraform_variables,
)
from tests.contract.cases import VALID_CASES

POLICY = PlatformPolicy(region="eu-west-1")
TFVARS_TYPES = {
    "request_id": str,
    "bucket_name": str,
    "environment": str,
    "application": str,
    "owner": str,
    "purpose": str,
    "storage_class": str,
    "versioning_enabled": bool,
    "sse_algorithm": str,
    "kms_key_alias": (str, type(None)),
    "public_access_blocked": bool,
    "access_log_bucket": (str, type(None)),
    "access_log_prefix": str,
    "lifecycle_transitions": list,
    "expiration_days": (int, type(None)),
    "noncurrent_version_expiration_days": (int, type(None)),
    "cost_alert_gb": int,
    "cost_alarm_storage_types": list,
    "cors_allowed_origins": list,
    "tags": dict,
    "app_policy_json": str,
}
AWS_CLASSES = {"STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}


def _contract(**overrides):
    from tests.contract.cases import request_input

    return build_contract(RequestInput.model_validate(request_input(**overrides)), "S3-0007", POLICY).contract


@pytest.mark.parametrize("case", VALID_CASES)
def test_tfvars_follow_the_interface(case):
    contract = build_contract(RequestInput.model_validate(case), "S3-0007", POLICY).contract

    variables = terraform_variables(contract, POLICY)

    assert set(variables) == set(TFVARS_TYPES)
    assert all(isinstance(variables[key], kind) for key, kind in TFVARS_TYPES.items())
    days = [t["days"] for t in variables["lifecycle_transitions"]]
    assert days == sorted(days)
    assert {t["storage_class"] for t in variables["lifecycle_transitions"]} <= AWS_CLASSES
    assert json.loads(json.dumps(variables)) == variables


@pytest.mark.parametrize(
    ("overrides", "storage_types"),
    [
        ({"storageClass": "standard"}, ["StandardStorage"]),
        ({"storageClass": "standard-ia"}, ["StandardStorage", "StandardIAStorage"]),
        (
            {"storageClass": "intelligent-tiering"},
            [
                "StandardStorage",
                "IntelligentTieringFAStorage",
                "IntelligentTieringIAStorage",
                "IntelligentTieringAIAStorage",
            ],
        ),
        (
            {"storageClass": "glacier"},
            ["StandardStorage", "GlacierStorage", "GlacierObjectOverhead", "GlacierS3ObjectOverhead"],
        ),
    ],
)
def test_cost_alarm_watches_the_storage_types_the_bucket_uses(overrides, storage_types):
    assert terraform_variables(_contract(**overrides), POLICY)["cost_alarm_storage_types"] == storage_types


def test_prod_tfvars_carry_the_guardrails():
    variables = terraform_variables(
        _contract(
            environment="prod",
            purposeType="logs",
            storageClass=None,
            versioning=None,
            retentionType="time-bounded",
        ),
        POLICY,
    )

    assert variables["sse_algorithm"] == "aws:kms"
    assert variables["kms_key_alias"] == "alias/goldenpath-prod-s3"
    assert variables["access_log_bucket"] == "goldenpath-prod-logs"
    assert variables["access_log_prefix"] == "s3/goldenpath-prod-payments-api-logs/"
    assert variables["lifecycle_transitions"] == [{"days": 30, "storage_class": "STANDARD_IA"}]
    assert variables["expiration_days"] == 90
    assert variables["noncurrent_version_expiration_days"] is None


def test_dev_tfvars_leave_kms_and_logging_off():
    variables = terraform_variables(_contract(environment="dev"), POLICY)

    assert (variables["sse_algorithm"], variables["kms_key_alias"], variables["access_log_bucket"]) == (
        "AES256",
        None,
        None,
    )


def test_tags_are_ours_plus_the_contracts():
    variables = terraform_variables(_contract(tags={"dataClassification": "internal"}), POLICY)

    assert variables["tags"] == {
        "dataClassification": "internal",
        "owner": "app-team",
        "environment": "dev",
        "application": "payments-api",
        "purpose": "uploads",
        "costCenter": "payments-123",
        "requestId": "S3-0007",
        "managedBy": "bucketwise",
    }


def test_cors_origins_only_when_enabled():
    on = _contract(corsEnabled=True, corsAllowedOrigins=["https://app.example.com"])

    assert terraform_variables(on, POLICY)["cors_allowed_origins"] == ["https://app.example.com"]
    assert terraform_variables(_contract(), POLICY)["cors_allowed_origins"] == []


def test_iam_policy_is_least_privilege_for_sse_s3():
    document = iam_policy(_contract(), POLICY)
    arn = "arn:aws:s3:::goldenpath-dev-payments-api-uploads"

    assert document["Statement"] == [
        {"Sid": "ListBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [arn]},
        {
            "Sid": "ObjectAccess",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [f"{arn}/*"],
        },
    ]


def test_iam_policy_limits_kms_to_the_platform_key_s3_and_this_bucket():
    document = iam_policy(_contract(environment="prod"), POLICY)
    arn = "arn:aws:s3:::goldenpath-prod-payments-api-uploads"

    [kms] = [s for s in document["Statement"] if any(a.startswith("kms:") for a in s["Action"])]
    assert sorted(kms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert kms["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert kms["Condition"]["StringLike"] == {"kms:EncryptionContext:aws:s3:arn": [arn, f"{arn}/*"]}
    assert kms["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": "alias/goldenpath-prod-s3"}


def test_tfvars_embed_the_same_iam_policy():
    contract = _contract(environment="staging")

    assert json.loads(terraform_variables(contract, POLICY)["app_policy_json"]) == iam_policy(
        contract, POLICY
    )


def test_backend_settings_isolate_state_per_request():
    policy = PlatformPolicy(state_bucket="tf-state", state_region="ap-southeast-2")

    settings = backend_settings(_contract(environment="staging"), policy)

    assert settings == {
        "bucket": "tf-state",
        "key": "envs/staging/s3/S3-0007/terraform.tfstate",
        "region": "ap-southeast-2",
        "encrypt": True,
        "use_lockfile": True,
    }
