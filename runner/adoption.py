"""Adopting what a killed apply created: import blocks for resources that exist but are not in state.

A worker killed during apply may have created the bucket, the application's IAM policy or the cost
alarm before Terraform wrote them to the state. The retry's plan then creates them again and AWS
refuses (``BucketAlreadyOwnedByYou``, ``EntityAlreadyExists``). So, on a retry, the runner looks at
every create the plan holds of a kind listed in :data:`LOOKUPS` that an earlier run of the same
request had planned too, asks AWS whether it exists under the name the plan gives, and imports it:
the retry converges on what is there (import, then update), with no destroy and no manual step.

Only names an earlier run of this request planned are adopted, so a first run never takes over an
object someone else made. The bucket's sub-resources (policy, versioning, encryption, ...) need no
import on a retry: their "create" is a put that overwrites.

The one exception is a request imported to adopt a bucket that already exists (`s3_contract import
--adopt`, docs/decisions/goldenpath-mapping.md): its plans import the bucket and every setting of it
the stack manages that exists live (:data:`ADOPT_LOOKUPS`), so approvers see imports and updates of
what is there, and creates only for what is not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from botocore.exceptions import ClientError

IMPORTS_FILE = "adopt_imports.tf.json"


def _bucket(after: dict, client: Callable) -> str | None:
    name = after.get("bucket")
    if not name:
        return None
    try:
        client("s3").head_bucket(Bucket=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
            return None
        raise  # 403: it exists but is not ours; never adopt it, let the apply say so
    return name


def _policy(after: dict, client: Callable) -> str | None:
    name, path = after.get("name"), after.get("path") or "/"
    if not name:
        return None
    for page in client("iam").get_paginator("list_policies").paginate(Scope="Local", PathPrefix=path):
        for policy in page["Policies"]:
            if policy["PolicyName"] == name:
                return policy["Arn"]
    return None


def _alarm(after: dict, client: Callable) -> str | None:
    name = after.get("alarm_name")
    if not name:
        return None
    return name if client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"] else None


# Resource type → how to find an existing object from the plan's planned values (its import ID).
LOOKUPS: dict[str, Callable[[dict, Callable], str | None]] = {
    "aws_s3_bucket": _bucket,
    "aws_iam_policy": _policy,
    "aws_cloudwatch_metric_alarm": _alarm,
}


def _bucket_setting(read: str, missing: tuple[str, ...], present: Callable[[dict], bool] = lambda _: True):
    """A lookup for a bucket sub-resource imported by bucket name: it exists when ``read`` answers
    (and ``present`` holds for the answer), not when S3 answers one of the ``missing`` codes."""

    def lookup(after: dict, client: Callable) -> str | None:
        name = after.get("bucket")
        if not name:
            return None
        try:
            answer = getattr(client("s3"), read)(Bucket=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in missing:
                return None
            raise
        return name if present(answer) else None

    return lookup


# An existing bucket's settings the stack manages, by resource type (import ID: the bucket name).
BUCKET_SETTING_LOOKUPS: dict[str, Callable[[dict, Callable], str | None]] = {
    "aws_s3_bucket_ownership_controls": _bucket_setting(
        "get_bucket_ownership_controls", ("OwnershipControlsNotFoundError",)
    ),
    "aws_s3_bucket_public_access_block": _bucket_setting(
        "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",)
    ),
    "aws_s3_bucket_versioning": _bucket_setting(
        "get_bucket_versioning", (), lambda answer: bool(answer.get("Status"))
    ),
    "aws_s3_bucket_server_side_encryption_configuration": _bucket_setting(
        "get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",)
    ),
    "aws_s3_bucket_logging": _bucket_setting(
        "get_bucket_logging", (), lambda answer: bool(answer.get("LoggingEnabled"))
    ),
    "aws_s3_bucket_lifecycle_configuration": _bucket_setting(
        "get_bucket_lifecycle_configuration", ("NoSuchLifecycleConfiguration",)
    ),
    "aws_s3_bucket_policy": _bucket_setting("get_bucket_policy", ("NoSuchBucketPolicy",)),
    "aws_s3_bucket_cors_configuration": _bucket_setting("get_bucket_cors", ("NoSuchCORSConfiguration",)),
}
ADOPT_LOOKUPS = {**LOOKUPS, **BUCKET_SETTING_LOOKUPS}


def planned_creates(plan: dict, lookups: dict = LOOKUPS) -> dict[str, tuple[str, dict]]:
    """``{address: (type, planned values)}`` of every adoptable resource the plan (``show -json``) creates."""
    return {
        change["address"]: (change["type"], change["change"].get("after") or {})
        for change in plan.get("resource_changes", [])
        if change.get("type") in lookups and change["change"]["actions"] == ["create"]
    }


def existing_objects(
    plan: dict, earlier_creates: set[str], client: Callable[[str], object], lookups: dict = LOOKUPS
) -> dict[str, str]:
    """``{address: import ID}`` for the planned creates (also planned by an earlier run) that exist."""
    found = {}
    for address, (kind, after) in planned_creates(plan, lookups).items():
        if address not in earlier_creates:
            continue
        import_id = lookups[kind](after, client)
        if import_id:
            found[address] = import_id
    return found


def adopted_objects(plan: dict, client: Callable[[str], object]) -> dict[str, str]:
    """``{address: import ID}`` for every planned create of an adopted bucket that already exists.

    Before the bucket is imported its settings' ``bucket`` is unknown to the plan (it is the bucket's
    computed ID), so they are looked up under the name the plan gives the stack's one bucket.
    """
    creates = planned_creates(plan, ADOPT_LOOKUPS)
    bucket = next((after.get("bucket") for kind, after in creates.values() if kind == "aws_s3_bucket"), None)
    found = {}
    for address, (kind, after) in creates.items():
        if kind in BUCKET_SETTING_LOOKUPS and not after.get("bucket"):
            after = {**after, "bucket": bucket}
        import_id = ADOPT_LOOKUPS[kind](after, client)
        if import_id:
            found[address] = import_id
    return found


def write_imports(config_dir: Path, imports: dict[str, str]) -> Path:
    """The import blocks, next to the stack (Terraform reads import blocks in the root module only)."""
    path = config_dir / IMPORTS_FILE
    blocks = [{"to": address, "id": import_id} for address, import_id in sorted(imports.items())]
    path.write_text(json.dumps({"import": blocks}, indent=2) + "\n")
    return path
