"""Guardrail validation of a contract: every problem at once, each with a path and a fix."""

from collections.abc import Callable, Iterable

from .lifecycle import TRANSITIONS_PATH, transition_class_for, transition_problems
from .models import APPLICATION_PATTERN, RATIONALE_MIN, Contract
from .naming import bucket_name_problems, derive_bucket_name
from .patterns import full_match
from .policy import PlatformPolicy
from .problems import Problem, error, warning
from .tags import tag_problems
from .vocabulary import (
    COST_ALERT_MAX_GB,
    COST_ALERT_MIN_GB,
    GUARDED_ENVIRONMENTS,
    EncryptionType,
    PublicAccess,
    RetentionType,
)

HTTPS_ORIGIN_PATTERN = (
    r"^https://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$"
)


def validate_contract(
    contract: Contract, policy: PlatformPolicy, known_teams: Iterable[str] | None = None
) -> list[Problem]:
    """Run every rule; `known_teams=None` means the caller cannot know the teams, so ownership is not checked."""
    teams = None if known_teams is None else frozenset(known_teams)
    rules: list[Callable[[], list[Problem]]] = [
        lambda: _naming_problems(contract, policy),
        lambda: _owner_problems(contract, teams),
        lambda: _encryption_problems(contract, policy),
        lambda: _access_logging_problems(contract, policy),
        lambda: _public_access_problems(contract),
        lambda: _cost_problems(contract),
        lambda: _retention_problems(contract),
        lambda: transition_problems(contract.lifecycle),
        lambda: _storage_class_problems(contract),
        lambda: _versioning_problems(contract),
        lambda: tag_problems(contract),
        lambda: _cors_problems(contract),
    ]
    return [problem for rule in rules for problem in rule()]


def _naming_problems(contract: Contract, policy: PlatformPolicy) -> list[Problem]:
    problems = []
    if not full_match(APPLICATION_PATTERN, contract.application):
        problems.append(
            error(
                "application",
                "application.pattern",
                "Use 3-31 lowercase letters, digits and single hyphens, starting with a letter and "
                "ending with a letter or digit (e.g. payments-api).",
            )
        )
    expected = derive_bucket_name(
        policy.prefix, contract.environment.value, contract.application, contract.spec.purpose.type.value
    )
    if contract.spec.bucket_name != expected:
        problems.append(
            error(
                "spec.bucketName",
                "bucket-name.not-derived",
                f"The bucket name must be '{expected}' ({{prefix}}-{{environment}}-{{application}}-"
                f"{{purpose}}); set spec.bucketName to it.",
            )
        )
    return problems + bucket_name_problems(contract.spec.bucket_name)


def as_existing_bucket(problems: list[Problem]) -> list[Problem]:
    """The problems of a contract for a bucket that already exists: its legacy name is kept, with a warning.

    Only importing an existing bucket may keep a name that is not derived; new requests never do.
    """
    return [
        warning(p.path, "bucket-name.legacy", f"Legacy bucket name kept for an existing bucket. {p.message}")
        if p.code == "bucket-name.not-derived"
        else p
        for p in problems
    ]


def _owner_problems(contract: Contract, teams: frozenset | None) -> list[Problem]:
    if teams is None or contract.owner in teams:
        return []
    choices = f"use one of: {', '.join(sorted(teams))}, or" if teams else "no teams are registered yet;"
    return [
        error(
            "owner",
            "owner.unknown-team",
            f"'{contract.owner}' is not a team the platform knows; {choices} ask the platform team to "
            f"register it.",
        )
    ]


def _encryption_problems(contract: Contract, policy: PlatformPolicy) -> list[Problem]:
    encryption = contract.spec.encryption
    env = contract.environment.value
    expected_alias = policy.kms_key_alias(env)
    if contract.environment in GUARDED_ENVIRONMENTS and encryption.type != EncryptionType.SSE_KMS:
        return [
            error(
                "spec.encryption.type",
                "encryption.kms-required",
                f"{env} buckets must use sse-kms with kmsKeyAlias {expected_alias}.",
            )
        ]
    if encryption.type != EncryptionType.SSE_KMS:
        return []
    if not encryption.kms_key_alias:
        return [
            error(
                "spec.encryption.kmsKeyAlias",
                "encryption.alias-missing",
                f"sse-kms needs a key alias; set kmsKeyAlias to {expected_alias}.",
            )
        ]
    if encryption.kms_key_alias != expected_alias:
        return [
            error(
                "spec.encryption.kmsKeyAlias",
                "encryption.alias-mismatch",
                f"{env} buckets use the platform key; set kmsKeyAlias to {expected_alias}.",
            )
        ]
    return []


def _access_logging_problems(contract: Contract, policy: PlatformPolicy) -> list[Problem]:
    logging = contract.spec.access_logging
    env = contract.environment.value
    expected = policy.access_log_bucket(env)
    if contract.environment in GUARDED_ENVIRONMENTS and not logging.enabled:
        return [
            error(
                "spec.accessLogging.enabled",
                "access-logging.required",
                f"{env} buckets must log access; set enabled: true and targetBucket: {expected}.",
            )
        ]
    if not logging.enabled:
        return []
    if not logging.target_bucket:
        return [
            error(
                "spec.accessLogging.targetBucket",
                "access-logging.target-missing",
                f"Access logging needs a target bucket; set targetBucket to {expected}.",
            )
        ]
    if contract.environment in GUARDED_ENVIRONMENTS and logging.target_bucket != expected:
        return [
            error(
                "spec.accessLogging.targetBucket",
                "access-logging.target-mismatch",
                f"{env} buckets log to the platform log bucket; set targetBucket to {expected}.",
            )
        ]
    if logging.target_bucket == contract.spec.bucket_name:
        return [
            error(
                "spec.accessLogging.targetBucket",
                "access-logging.self-target",
                f"A bucket cannot log into itself; set targetBucket to {expected}.",
            )
        ]
    return []


def _public_access_problems(contract: Contract) -> list[Problem]:
    if contract.spec.public_access == PublicAccess.BLOCKED:
        return []
    return [
        warning(
            "spec.publicAccess",
            "public-access.exception",
            "Public access stays blocked unless the platform team approved an exception; this request "
            "needs platform approval.",
        )
    ]


def _cost_problems(contract: Contract) -> list[Problem]:
    problems = []
    if not COST_ALERT_MIN_GB <= contract.spec.cost_alert_gb <= COST_ALERT_MAX_GB:
        problems.append(
            error(
                "spec.costAlertGb",
                "cost.alert-range",
                f"Set costAlertGb between {COST_ALERT_MIN_GB} and {COST_ALERT_MAX_GB} GiB.",
            )
        )
    if not contract.spec.tags.get("costCenter", "").strip():
        problems.append(
            error(
                "spec.tags.costCenter",
                "cost.center-required",
                "Every bucket needs a cost center; add tags.costCenter (e.g. payments-123).",
            )
        )
    return problems


def _retention_problems(contract: Contract) -> list[Problem]:
    retention = contract.spec.retention_policy
    expiration = contract.lifecycle.expiration_days
    problems = []
    if len(retention.rationale.strip()) < RATIONALE_MIN:
        problems.append(
            error(
                "spec.retentionPolicy.rationale",
                "retention.rationale-required",
                f"Explain in at least {RATIONALE_MIN} characters why this retention is right for the data.",
            )
        )
    if retention.type == RetentionType.INDEFINITE and expiration is not None:
        problems.append(
            error(
                "spec.lifecycle.expirationDays",
                "retention.indefinite-expires",
                "Indefinite retention keeps objects; remove expirationDays or choose time-bounded retention.",
            )
        )
    if retention.type != RetentionType.INDEFINITE and expiration is None:
        problems.append(
            error(
                "spec.lifecycle.expirationDays",
                "retention.expiration-required",
                f"{retention.type.value} retention needs a lifecycle rule; set expirationDays to the "
                f"number of days objects must be kept.",
            )
        )
    return problems


def _storage_class_problems(contract: Contract) -> list[Problem]:
    storage_class = contract.spec.storage_class
    target = transition_class_for(storage_class)
    if target is None or any(t.storage_class == target for t in contract.lifecycle.transitions):
        return []
    return [
        error(
            TRANSITIONS_PATH,
            "storage-class.no-transition",
            f"Objects reach {storage_class.value} only by a lifecycle transition; add a transition to "
            f"{target.value} or set storageClass to standard.",
        )
    ]


def _versioning_problems(contract: Contract) -> list[Problem]:
    noncurrent = contract.lifecycle.noncurrent_version_expiration_days
    if contract.spec.versioning and noncurrent is None:
        return [
            warning(
                "spec.lifecycle.noncurrentVersionExpirationDays",
                "versioning.unbounded",
                "Versioning keeps every old version forever; set noncurrentVersionExpirationDays.",
            )
        ]
    if not contract.spec.versioning and noncurrent is not None:
        return [
            warning(
                "spec.lifecycle.noncurrentVersionExpirationDays",
                "versioning.off",
                "Versioning is off, so there are no old versions to expire; remove this setting.",
            )
        ]
    return []


def _cors_problems(contract: Contract) -> list[Problem]:
    origins = contract.spec.cors_allowed_origins
    if not contract.spec.cors_enabled:
        return (
            []
            if not origins
            else [
                warning(
                    "spec.corsAllowedOrigins",
                    "cors.disabled-origins",
                    "CORS is disabled, so these origins are ignored; enable CORS or remove them.",
                )
            ]
        )
    if not origins:
        return [
            error(
                "spec.corsAllowedOrigins",
                "cors.origins-required",
                "CORS is enabled; list the https origins allowed to call the bucket "
                "(e.g. https://app.example.com).",
            )
        ]
    guarded = contract.environment in GUARDED_ENVIRONMENTS
    return [
        problem
        for index, origin in enumerate(origins)
        for problem in _origin_problems(origin, f"spec.corsAllowedOrigins[{index}]", guarded)
    ]


def _origin_problems(origin: str, path: str, guarded: bool) -> list[Problem]:
    if "*" in origin and guarded:
        return [
            error(
                path,
                "cors.wildcard",
                "Wildcard origins are not allowed in staging or prod; name each "
                "origin (e.g. https://app.example.com).",
            )
        ]
    if origin == "*":
        return [warning(path, "cors.wildcard", "Any website may call this bucket; name the origins instead.")]
    if not full_match(HTTPS_ORIGIN_PATTERN, origin):
        return [
            error(
                path,
                "cors.origin-format",
                f"'{origin}' is not an https origin; use https://host[:port] "
                f"without a path (e.g. https://app.example.com).",
            )
        ]
    return []
