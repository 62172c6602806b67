"""Renderers: contract YAML, Terraform variables, the application's IAM policy, backend settings."""

import json
from enum import Enum

import yaml

from .lifecycle import AWS_TRANSITION_CLASS, cost_alarm_storage_types, sorted_transitions
from .models import Contract
from .naming import access_log_prefix
from .policy import PlatformPolicy
from .tags import bucket_tags
from .vocabulary import EncryptionType, PublicAccess

SSE_ALGORITHM = {EncryptionType.SSE_S3: "AES256", EncryptionType.SSE_KMS: "aws:kms"}
OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
BUCKET_ACTIONS = ["s3:ListBucket"]
KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


class _ContractDumper(yaml.SafeDumper):
    """Writes enum members as their plain values."""


_ContractDumper.add_multi_representer(Enum, lambda dumper, member: dumper.represent_data(member.value))


def contract_to_yaml(contract: Contract) -> str:
    """YAML in the field order of seed 000 §2.4; fields the source left out stay out."""
    data = contract.model_dump(by_alias=True, exclude_unset=True)
    data = {"apiVersion": contract.api_version, "kind": contract.kind, **data}
    return yaml.dump(data, Dumper=_ContractDumper, sort_keys=False, allow_unicode=True)


def terraform_variables(contract: Contract, policy: PlatformPolicy) -> dict:
    """The stack's variables (the fixed tfvars interface), except the runner's aws_region/aws_endpoint_url."""
    spec = contract.spec
    lifecycle = contract.lifecycle
    kms = spec.encryption.type == EncryptionType.SSE_KMS
    return {
        "request_id": contract.id,
        "bucket_name": spec.bucket_name,
        "environment": contract.environment.value,
        "application": contract.application,
        "owner": contract.owner,
        "purpose": spec.purpose.type.value,
        "storage_class": spec.storage_class.value,
        "versioning_enabled": spec.versioning,
        "sse_algorithm": SSE_ALGORITHM[spec.encryption.type],
        "kms_key_alias": spec.encryption.kms_key_alias if kms else None,
        "public_access_blocked": spec.public_access == PublicAccess.BLOCKED,
        "access_log_bucket": spec.access_logging.target_bucket if spec.access_logging.enabled else None,
        "access_log_prefix": spec.access_logging.target_prefix or access_log_prefix(spec.bucket_name),
        "lifecycle_transitions": [
            {"days": t.days, "storage_class": AWS_TRANSITION_CLASS[t.storage_class]}
            for t in sorted_transitions(lifecycle)
        ],
        "expiration_days": lifecycle.expiration_days,
        "noncurrent_version_expiration_days": lifecycle.noncurrent_version_expiration_days
        if spec.versioning
        else None,
        "cost_alert_gb": spec.cost_alert_gb,
        "cost_alarm_storage_types": cost_alarm_storage_types(lifecycle),
        "cors_allowed_origins": list(spec.cors_allowed_origins) if spec.cors_enabled else [],
        "tags": bucket_tags(contract),
        "app_policy_json": json.dumps(iam_policy(contract, policy), sort_keys=True),
    }


def iam_policy(contract: Contract, policy: PlatformPolicy) -> dict:
    """Least privilege for the application: list the bucket, read/write/delete its objects, and for SSE-KMS
    use the key only through S3 for this bucket (`kms:ViaService` plus the `aws:s3:arn` encryption context)."""
    bucket_arn = f"arn:aws:s3:::{contract.spec.bucket_name}"
    statements = [
        {"Sid": "ListBucket", "Effect": "Allow", "Action": BUCKET_ACTIONS, "Resource": [bucket_arn]},
        {"Sid": "ObjectAccess", "Effect": "Allow", "Action": OBJECT_ACTIONS, "Resource": [f"{bucket_arn}/*"]},
    ]
    if contract.spec.encryption.type == EncryptionType.SSE_KMS:
        statements.append(_kms_statement(bucket_arn, contract.spec.encryption.kms_key_alias, policy.region))
    return {"Version": "2012-10-17", "Statement": statements}


def _kms_statement(bucket_arn: str, key_alias: str, region: str) -> dict:
    # The key's ARN is unknown here (the contract names an alias), so the conditions do the limiting:
    # only the key behind the contract's alias, only through S3, only for this bucket. The context is
    # the bucket ARN with S3 Bucket Keys and the object ARN without them.
    return {
        "Sid": "KmsThroughS3ForThisBucket",
        "Effect": "Allow",
        "Action": KMS_ACTIONS,
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": key_alias},
        },
    }


def backend_settings(contract: Contract, policy: PlatformPolicy) -> dict:
    """Settings for the partial `backend "s3" {}`: one state file per request."""
    return {
        "bucket": policy.terraform_state_bucket(),
        "key": state_key(contract.environment.value, contract.id),
        "region": policy.terraform_state_region(),
        "encrypt": True,
        "use_lockfile": True,
    }


def state_key(environment: str, request_id: str) -> str:
    return f"envs/{environment}/s3/{request_id}/terraform.tfstate"
