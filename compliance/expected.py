"""What a bucket must look like, derived from its contract by the renderers the Terraform variables come from.

``terraform_variables`` is the one source of truth for what the contract asks of AWS; the few fixed
values the ``s3-bucket`` module writes itself (ownership, the multipart-abort rule, the CORS rule's
methods, resource names) are named here once, and tests/compliance/test_expected.py holds them against
terraform/modules/s3-bucket so that the two cannot part silently.
"""

import json

from requests_app.contract import Contract, PlatformPolicy, terraform_variables

OBJECT_OWNERSHIP = "BucketOwnerEnforced"
ABORT_MULTIPART_RULE_ID = "abort-incomplete-multipart-uploads"
ABORT_MULTIPART_DAYS = 7
RETENTION_RULE_ID = "retention"
CORS_METHODS = ("GET", "HEAD", "PUT")
CORS_HEADERS = ("*",)
CORS_EXPOSE_HEADERS = ("ETag",)
CORS_MAX_AGE_SECONDS = 3000
BYTES_PER_GIB = 1024**3
KMS = "aws:kms"


def cost_alarm_name(bucket_name: str) -> str:
    return f"s3-cost-alert-{bucket_name}"


def app_policy_name(bucket_name: str) -> str:
    return f"bucketwise-{bucket_name}"


def cors_rule(origins) -> dict:
    """One CORS rule in the form the read-back normalises S3's answer to (sorted lists)."""
    return {
        "allowedOrigins": sorted(origins),
        "allowedMethods": sorted(CORS_METHODS),
        "allowedHeaders": sorted(CORS_HEADERS),
        "exposeHeaders": sorted(CORS_EXPOSE_HEADERS),
        "maxAgeSeconds": CORS_MAX_AGE_SECONDS,
    }


def alarm_metric(bucket_name: str, storage_type: str) -> str:
    return f"{bucket_name}/{storage_type}"


def expected_configuration(contract: Contract, policy: PlatformPolicy) -> dict:
    """Field -> expected value; the read-back (compliance.readback) produces the same fields.

    ``encryption.kmsKey`` holds the contract's key *alias* (or None); the check resolves it to the
    key ARN behind it before comparing, since that is what the bucket's configuration names.
    """
    v = terraform_variables(contract, policy)
    bucket = v["bucket_name"]
    blocked = v["public_access_blocked"]
    versioned = v["versioning_enabled"]
    retention_rule = bool(
        v["lifecycle_transitions"]
        or v["expiration_days"] is not None
        or (versioned and v["noncurrent_version_expiration_days"] is not None)
    )
    logged = v["access_log_bucket"] is not None
    return {
        "encryption.algorithm": v["sse_algorithm"],
        "encryption.kmsKey": v["kms_key_alias"],
        "encryption.bucketKey": v["sse_algorithm"] == KMS,
        "publicAccessBlock.blockPublicAcls": blocked,
        "publicAccessBlock.ignorePublicAcls": blocked,
        "publicAccessBlock.blockPublicPolicy": blocked,
        "publicAccessBlock.restrictPublicBuckets": blocked,
        "objectOwnership": OBJECT_OWNERSHIP,
        "bucketPolicy.tlsOnly": True,
        "versioning": "Enabled" if versioned else "Suspended",
        "lifecycle.rules": sorted(
            [ABORT_MULTIPART_RULE_ID] + ([RETENTION_RULE_ID] if retention_rule else [])
        ),
        "lifecycle.abortIncompleteMultipartUploadDays": ABORT_MULTIPART_DAYS,
        "lifecycle.transitions": [
            {"days": t["days"], "storageClass": t["storage_class"]} for t in v["lifecycle_transitions"]
        ],
        "lifecycle.expirationDays": v["expiration_days"],
        "lifecycle.noncurrentVersionExpirationDays": (
            v["noncurrent_version_expiration_days"] if versioned else None
        ),
        "logging.targetBucket": v["access_log_bucket"],
        "logging.targetPrefix": v["access_log_prefix"] if logged else None,
        "tags": dict(sorted(v["tags"].items())),
        "cors": [cors_rule(v["cors_allowed_origins"])] if v["cors_allowed_origins"] else [],
        "costAlarm.exists": True,
        "costAlarm.thresholdBytes": v["cost_alert_gb"] * BYTES_PER_GIB,
        "costAlarm.metrics": sorted(alarm_metric(bucket, t) for t in v["cost_alarm_storage_types"]),
        "iamPolicy.exists": True,
        "iamPolicy.document": json.loads(v["app_policy_json"]),
    }
