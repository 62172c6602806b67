"""Turn a request input into an explicit contract, reporting every value the platform chose."""

from dataclasses import asdict, dataclass, field
from typing import Any

from .lifecycle import transition_class_for
from .models import Contract, RequestInput
from .naming import access_log_prefix, derive_bucket_name
from .policy import PlatformPolicy
from .problems import Problem, error
from .vocabulary import GUARDED_ENVIRONMENTS, EncryptionType, PurposeType, RetentionType, StorageClass

GUARDRAIL = "guardrail"
PURPOSE_DEFAULT = "purpose-default"
PLATFORM_DEFAULT = "platform-default"
DERIVED = "derived"

DEFAULT_VERSIONING = True
NONCURRENT_VERSION_DAYS = 90
# Days before the transition into a storage class when neither the requester nor the purpose says.
DEFAULT_TRANSITION_DAYS = {
    StorageClass.STANDARD_IA: 30,
    StorageClass.INTELLIGENT_TIERING: 0,
    StorageClass.GLACIER: 90,
}


@dataclass(frozen=True)
class PurposeDefaults:
    versioning: bool
    storage_class: StorageClass = StorageClass.STANDARD
    transition_days: int | None = None
    expiration_days: int | None = None
    # Seed 000 §6: backups get cross-region replication; the catalog records the replica
    # (requests_app/catalog.py), so the replication health page knows the pair before any event.
    replicated: bool = False


PURPOSE_DEFAULTS = {
    PurposeType.LOGS: PurposeDefaults(
        versioning=False, storage_class=StorageClass.STANDARD_IA, transition_days=30, expiration_days=90
    ),
    PurposeType.UPLOADS: PurposeDefaults(versioning=True),
    PurposeType.BACKUPS: PurposeDefaults(
        versioning=True, storage_class=StorageClass.GLACIER, transition_days=90, replicated=True
    ),
    PurposeType.DATA_LAKE: PurposeDefaults(
        versioning=False, storage_class=StorageClass.INTELLIGENT_TIERING, transition_days=0
    ),
    PurposeType.STATIC_ASSETS: PurposeDefaults(versioning=True),
}


@dataclass(frozen=True)
class Applied:
    """One value the platform filled in: where, what, why, and whether a guardrail or a default set it."""

    path: str
    value: Any
    source: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BuiltContract:
    contract: Contract
    applied: list[Applied] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Recorder:
    """Collects `Applied` entries while the spec is assembled."""

    def __init__(self) -> None:
        self.applied: list[Applied] = []

    def note(self, path: str, value: Any, source: str, reason: str) -> Any:
        self.applied.append(Applied(path, value, source, reason))
        return value


def build_contract(request: RequestInput, request_id: str, policy: PlatformPolicy) -> BuiltContract:
    """Apply naming, environment guardrails and purpose defaults; explicit choices win over defaults."""
    recorder = _Recorder()
    defaults = PURPOSE_DEFAULTS[request.purpose_type]
    bucket_name = recorder.note(
        "spec.bucketName",
        _bucket_name(request, policy),
        DERIVED,
        "{prefix}-{environment}-{application}-{purpose}",
    )
    spec = {
        "bucketName": bucket_name,
        "purpose": {"type": request.purpose_type, "description": request.purpose_description},
        "storageClass": _storage_class(request, defaults, recorder),
        "encryption": _encryption(request, policy, recorder),
        "versioning": _versioning(request, defaults, recorder),
        "publicAccess": request.public_access,
        "retentionPolicy": {"type": request.retention_type, "rationale": request.retention_rationale},
        "accessLogging": _access_logging(request, bucket_name, policy, recorder),
        "costAlertGb": request.cost_alert_gb,
        "corsEnabled": request.cors_enabled,
        "corsAllowedOrigins": list(request.cors_allowed_origins),
        "tags": {**request.tags, "costCenter": request.cost_center},
    }
    lifecycle, problems = _lifecycle(request, spec, defaults, recorder)
    if lifecycle:
        spec["lifecycle"] = lifecycle
    problems += _tag_input_problems(request)
    contract = Contract.model_validate(
        {
            "id": request_id,
            "environment": request.environment,
            "owner": request.owner,
            "application": request.application,
            "requester": request.requester,
            "spec": spec,
        }
    )
    return BuiltContract(contract=contract, applied=recorder.applied, problems=problems)


def _bucket_name(request: RequestInput, policy: PlatformPolicy) -> str:
    return derive_bucket_name(
        policy.prefix, request.environment.value, request.application, request.purpose_type.value
    )


def _encryption(request: RequestInput, policy: PlatformPolicy, recorder: _Recorder) -> dict:
    if request.environment in GUARDED_ENVIRONMENTS:
        recorder.note(
            "spec.encryption.type",
            EncryptionType.SSE_KMS.value,
            GUARDRAIL,
            f"{request.environment.value} requires SSE-KMS",
        )
        alias = recorder.note(
            "spec.encryption.kmsKeyAlias",
            policy.kms_key_alias(request.environment.value),
            GUARDRAIL,
            "the platform's shared key for this environment",
        )
        return {"type": EncryptionType.SSE_KMS, "kmsKeyAlias": alias}
    recorder.note(
        "spec.encryption.type",
        EncryptionType.SSE_S3.value,
        PLATFORM_DEFAULT,
        f"{request.environment.value} uses SSE-S3",
    )
    return {"type": EncryptionType.SSE_S3}


def _access_logging(
    request: RequestInput, bucket_name: str, policy: PlatformPolicy, recorder: _Recorder
) -> dict:
    if request.environment in GUARDED_ENVIRONMENTS:
        target = recorder.note(
            "spec.accessLogging.targetBucket",
            policy.access_log_bucket(request.environment.value),
            GUARDRAIL,
            f"{request.environment.value} requires access logging",
        )
        return {"enabled": True, "targetBucket": target, "targetPrefix": access_log_prefix(bucket_name)}
    recorder.note(
        "spec.accessLogging.enabled",
        False,
        PLATFORM_DEFAULT,
        f"access logging is optional in {request.environment.value}",
    )
    return {"enabled": False}


def _versioning(request: RequestInput, defaults: PurposeDefaults, recorder: _Recorder) -> bool:
    if request.versioning is not None:
        return request.versioning
    return recorder.note(
        "spec.versioning",
        defaults.versioning,
        PURPOSE_DEFAULT,
        f"default for {request.purpose_type.value} buckets",
    )


def _storage_class(request: RequestInput, defaults: PurposeDefaults, recorder: _Recorder) -> StorageClass:
    if request.storage_class is not None:
        return request.storage_class
    recorder.note(
        "spec.storageClass",
        defaults.storage_class.value,
        PURPOSE_DEFAULT,
        f"default for {request.purpose_type.value} buckets",
    )
    return defaults.storage_class


def _lifecycle(
    request, spec: dict, defaults: PurposeDefaults, recorder: _Recorder
) -> tuple[dict, list[Problem]]:
    lifecycle: dict = {}
    problems: list[Problem] = []
    transition = _transition(request, spec["storageClass"], defaults, recorder)
    if transition:
        lifecycle["transitions"] = [transition]
    elif request.transition_days is not None:
        problems.append(
            _input_error(
                "transitionDays",
                "input.transition-without-class",
                "Objects stay in the standard class, so there is nothing to transition to; "
                "choose a storage class other than standard or leave the days empty.",
            )
        )
    expiration = _expiration(request, defaults, recorder)
    if expiration is not None:
        lifecycle["expirationDays"] = expiration
    if spec["versioning"]:
        lifecycle["noncurrentVersionExpirationDays"] = _noncurrent_days(request, expiration, recorder)
    return lifecycle, problems


def _transition(request, storage_class: StorageClass, defaults: PurposeDefaults, recorder) -> dict | None:
    target = transition_class_for(storage_class)
    if target is None:
        return None
    days = request.transition_days
    if days is None:
        if storage_class == defaults.storage_class and defaults.transition_days is not None:
            days = recorder.note(
                "spec.lifecycle.transitions[0].days",
                defaults.transition_days,
                PURPOSE_DEFAULT,
                f"{request.purpose_type.value} buckets move to {storage_class.value} then",
            )
        else:
            days = recorder.note(
                "spec.lifecycle.transitions[0].days",
                DEFAULT_TRANSITION_DAYS[storage_class],
                PLATFORM_DEFAULT,
                f"objects reach {storage_class.value} by a lifecycle transition",
            )
    return {"days": days, "storageClass": target}


def _expiration(request, defaults: PurposeDefaults, recorder: _Recorder) -> int | None:
    if request.expiration_days is not None or defaults.expiration_days is None:
        return request.expiration_days
    if request.retention_type == RetentionType.INDEFINITE:
        return recorder.note(
            "spec.lifecycle.expirationDays",
            None,
            PURPOSE_DEFAULT,
            f"{request.purpose_type.value} buckets expire objects after {defaults.expiration_days} "
            f"days by default, but the requested retention is indefinite, so objects are kept",
        )
    return recorder.note(
        "spec.lifecycle.expirationDays",
        defaults.expiration_days,
        PURPOSE_DEFAULT,
        f"default for {request.purpose_type.value} buckets",
    )


def _noncurrent_days(request, expiration: int | None, recorder: _Recorder) -> int:
    if request.retention_type == RetentionType.COMPLIANCE_DRIVEN and expiration is not None:
        return recorder.note(
            "spec.lifecycle.noncurrentVersionExpirationDays",
            expiration,
            PLATFORM_DEFAULT,
            "compliance-driven data keeps old versions as long as current ones",
        )
    return recorder.note(
        "spec.lifecycle.noncurrentVersionExpirationDays",
        NONCURRENT_VERSION_DAYS,
        PLATFORM_DEFAULT,
        "old versions are removed after this many days",
    )


def _tag_input_problems(request: RequestInput) -> list[Problem]:
    if "costCenter" in request.tags and request.tags["costCenter"] != request.cost_center:
        return [
            _input_error(
                "tags.costCenter",
                "input.cost-center-tag",
                "Set the cost center in the costCenter field, not as an extra tag.",
            )
        ]
    return []


def _input_error(field_name: str, code: str, message: str) -> Problem:
    problem = error(field_name, code, message)
    return Problem(
        problem.path, problem.message, problem.severity, problem.code, field=field_name.split(".")[0]
    )
