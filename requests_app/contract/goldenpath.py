"""GoldenPath's contract vocabulary, read into ours and written back (docs/decisions/goldenpath-mapping.md).

GoldenPath (the seeds' GitOps workflow) writes the same `S3BucketRequest` documents with other
spellings: its schema's snake_case keys (`bucket_name`, `retention_policy`, `lifecycle.expire_days`,
`tags.cost-center`), its parser's camelCase lifecycle keys (`expireDays`, `transitionToIaDays`,
`transitionToGlacierDays`), and free extra tags that repeat a platform tag (`purpose: logging`).
`normalise` maps a raw document into our model's vocabulary before validation; every change is a
warning naming the field as written and what it became. Our vocabulary stays the canonical one:
nothing here is written into new contracts, and `to_goldenpath` is only for exports.
"""

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from .models import Contract
from .problems import Problem, error, warning
from .tags import PLATFORM_TAG_KEYS
from .vocabulary import TransitionClass

# GoldenPath's snake_case spelling -> ours, per object of the document (keys of `spec` and below).
SPEC_KEYS = {
    "bucket_name": "bucketName",
    "storage_class": "storageClass",
    "public_access": "publicAccess",
    "retention_policy": "retentionPolicy",
    "access_logging": "accessLogging",
    "cost_alert_gb": "costAlertGb",
    "cors_enabled": "corsEnabled",
    "cors_allowed_origins": "corsAllowedOrigins",
}
NESTED_KEYS = {
    "encryption": {"kms_key_alias": "kmsKeyAlias"},
    "accessLogging": {"target_bucket": "targetBucket", "target_prefix": "targetPrefix"},
    "lifecycle": {
        "noncurrent_version_expiration_days": "noncurrentVersionExpirationDays",
        "expiration_days": "expirationDays",
    },
}
TAG_KEYS = {"cost-center": "costCenter"}

# GoldenPath lifecycle keys (both spellings) -> what they become in ours, with GoldenPath's schema bounds.
EXPIRE_KEYS = ("expire_days", "expireDays")
EXPIRE_MAX_DAYS = 3650
TRANSITION_KEYS = {
    "transition_to_ia_days": (TransitionClass.STANDARD_IA, 30),
    "transitionToIaDays": (TransitionClass.STANDARD_IA, 30),
    "transition_to_glacier_days": (TransitionClass.GLACIER, 90),
    "transitionToGlacierDays": (TransitionClass.GLACIER, 90),
}
EXPORTED_TRANSITION_KEYS = {
    TransitionClass.STANDARD_IA: "transitionToIaDays",
    TransitionClass.GLACIER: "transitionToGlacierDays",
}
CODE = "goldenpath.normalised"


def normalise(data: Mapping[str, Any]) -> tuple[dict, list[Problem]]:
    """A copy of ``data`` in our vocabulary, and a warning (or error, on a conflict) per change made."""
    document = copy.deepcopy(dict(data))
    spec = document.get("spec")
    if not isinstance(spec, dict):
        return document, []
    problems = _rename(spec, SPEC_KEYS, "spec")
    for parent, keys in NESTED_KEYS.items():
        if isinstance(spec.get(parent), dict):
            problems += _rename(spec[parent], keys, f"spec.{parent}")
    if isinstance(spec.get("lifecycle"), dict):
        problems += _lifecycle(spec["lifecycle"])
    if isinstance(spec.get("tags"), dict):
        problems += _rename(spec["tags"], TAG_KEYS, "spec.tags")
        problems += _platform_tag_clashes(document, spec["tags"])
    return document, problems


def _rename(mapping: dict, keys: Mapping[str, str], path: str) -> list[Problem]:
    problems = []
    for theirs, ours in keys.items():
        if theirs not in mapping:
            continue
        if ours in mapping:
            problems.append(
                error(
                    f"{path}.{theirs}",
                    "goldenpath.both-spellings",
                    f"Both {theirs} and {ours} are given; keep only {ours}.",
                )
            )
            continue
        mapping[ours] = mapping.pop(theirs)
        problems.append(warning(f"{path}.{theirs}", CODE, f"Read GoldenPath's {theirs} as {path}.{ours}."))
    return problems


def _lifecycle(lifecycle: dict) -> list[Problem]:
    problems = []
    for key in [key for key in EXPIRE_KEYS if key in lifecycle]:
        problems += _expiration(lifecycle, key)
    added = [key for key in TRANSITION_KEYS if key in lifecycle]
    for key in added:
        problems += _transition(lifecycle, key)
    if added and isinstance(lifecycle.get("transitions"), list):
        # In day order, as S3 applies them and as our form builds them; unsortable entries stay put.
        try:
            lifecycle["transitions"].sort(key=lambda item: item["days"])
        except (KeyError, TypeError):
            pass
    return problems


def _expiration(lifecycle: dict, key: str) -> list[Problem]:
    path = f"spec.lifecycle.{key}"
    days = lifecycle.pop(key)
    if "expirationDays" in lifecycle:
        return [
            error(
                path,
                "goldenpath.both-spellings",
                f"Both {key} and expirationDays are given; keep only expirationDays.",
            )
        ]
    if isinstance(days, int) and not isinstance(days, bool) and days > EXPIRE_MAX_DAYS:
        return [
            error(
                path,
                "goldenpath.expire-range",
                f"GoldenPath allows {key} up to {EXPIRE_MAX_DAYS} days; set at most {EXPIRE_MAX_DAYS}.",
            )
        ]
    lifecycle["expirationDays"] = days
    return [warning(path, CODE, f"Read GoldenPath's {key}: {days} as spec.lifecycle.expirationDays: {days}.")]


def _transition(lifecycle: dict, key: str) -> list[Problem]:
    path = f"spec.lifecycle.{key}"
    target, minimum = TRANSITION_KEYS[key]
    days = lifecycle.pop(key)
    transitions = lifecycle.setdefault("transitions", [])
    if not isinstance(transitions, list):
        return [error(path, "goldenpath.transitions-shape", "spec.lifecycle.transitions must be a list.")]
    if any(isinstance(item, dict) and item.get("storageClass") == target.value for item in transitions):
        return [
            error(
                path,
                "goldenpath.both-spellings",
                f"{key} and a transition to {target.value} are both given; keep only one.",
            )
        ]
    if isinstance(days, int) and not isinstance(days, bool) and days < minimum:
        return [
            error(
                path,
                "goldenpath.transition-range",
                f"GoldenPath moves objects to {target.value} after at least {minimum} days; set {key} "
                f"to {minimum} or more.",
            )
        ]
    transitions.append({"days": days, "storageClass": target.value})
    return [
        warning(
            path,
            CODE,
            f"Read GoldenPath's {key}: {days} as a lifecycle transition to "
            f"{target.value} after {days} days (spec.lifecycle.transitions).",
        )
    ]


def _platform_tag_clashes(document: dict, tags: dict) -> list[Problem]:
    """Extra tags named like a platform tag are dropped: the platform's value is the one the bucket gets."""
    problems = []
    for key in [key for key in PLATFORM_TAG_KEYS if key in tags and key != "costCenter"]:
        value = tags[key]
        ours = _platform_value(document, key)
        if ours is not None and value == ours:
            continue
        del tags[key]
        kept = f"the platform's {key}={ours}" if ours is not None else f"the platform's own {key} tag"
        problems.append(
            warning(
                f"spec.tags.{key}",
                "goldenpath.platform-tag",
                f"The extra tag {key}={value} names a platform tag; the bucket gets {kept} "
                f"instead. Remove the tag or rename it (e.g. {key}Detail).",
            )
        )
    return problems


def _platform_value(document: dict, key: str) -> str | None:
    """The value the platform will tag ``key`` with, read from the raw document (None when not known yet)."""
    spec = document.get("spec") or {}
    purpose = spec.get("purpose") if isinstance(spec.get("purpose"), dict) else {}
    values = {
        "owner": document.get("owner"),
        "environment": document.get("environment"),
        "application": document.get("application"),
        "purpose": purpose.get("type"),
        "requestId": document.get("id"),
        "managedBy": "bucketwise",
    }
    value = values.get(key)
    return value if isinstance(value, str) else None


def to_goldenpath(contract: Contract) -> dict:
    """The contract as GoldenPath's parser reads it, where its vocabulary can say it; ours elsewhere.

    Lifecycle: one transition each to Standard-IA and Glacier become ``transitionToIaDays`` /
    ``transitionToGlacierDays`` and ``expirationDays`` becomes ``expireDays``; any other transition
    keeps our ``transitions`` list (GoldenPath has no word for it). Reading the result back with
    `normalise` gives the same contract.
    """
    document = contract.model_dump(mode="json", by_alias=True, exclude_none=True)
    document = {"apiVersion": contract.api_version, "kind": contract.kind, **document}
    lifecycle = document["spec"].get("lifecycle")
    if lifecycle:
        document["spec"]["lifecycle"] = _lifecycle_to_goldenpath(lifecycle)
    return document


def _lifecycle_to_goldenpath(lifecycle: dict) -> dict:
    result = {key: value for key, value in lifecycle.items() if key not in ("transitions", "expirationDays")}
    if "expirationDays" in lifecycle:
        days = lifecycle["expirationDays"]
        result["expireDays" if days <= EXPIRE_MAX_DAYS else "expirationDays"] = days
    kept = []
    for transition in lifecycle.get("transitions", []):
        target = TransitionClass(transition["storageClass"])
        key = EXPORTED_TRANSITION_KEYS.get(target)
        if key and key not in result and transition["days"] >= TRANSITION_KEYS[key][1]:
            result[key] = transition["days"]
        else:
            kept.append(transition)
    if kept:
        result["transitions"] = kept
    return result


def goldenpath_file(contract: Contract) -> tuple[str, str]:
    """Where GoldenPath keeps the contract (``{env}/S3-XXXX.yaml``) and its text there."""
    text = yaml.safe_dump(to_goldenpath(contract), sort_keys=False, allow_unicode=True)
    return f"{contract.environment.value}/{contract.id}.yaml", text
