"""The S3 bucket request contract: models, build, guardrail validation, approval matrix and renderers.

Pure Python (pydantic + PyYAML): no Django, ORM or HTTP. Callers pass a `PlatformPolicy` built from their
settings (see `requests_app.platform_policy.current_policy`).
"""

from .approval import ApprovalDecision, ApprovalReason, approval_decision
from .build import PURPOSE_DEFAULTS, Applied, BuiltContract, build_contract
from .evaluation import PREVIEW_REQUEST_ID, RequestEvaluation, evaluate_request, with_input_field
from .lifecycle import cost_alarm_storage_types
from .loading import (
    ContractParseError,
    ContractSchemaError,
    load_contract,
    load_contract_yaml,
    parse_request_input,
    problems_from_validation_error,
)
from .models import Contract, RequestInput
from .naming import bucket_name_problems, derive_bucket_name, replica_bucket_name
from .policy import PlatformPolicy
from .problems import Problem, Severity, has_errors
from .render import backend_settings, contract_to_yaml, iam_policy, state_key, terraform_variables
from .schemas import generated_schema_files, json_schema, stale_schema_files, write_schema_files
from .tags import PLATFORM_TAG_KEYS, bucket_tags, platform_tags
from .validation import validate_contract
from .vocabulary import (
    API_VERSION,
    KIND,
    EncryptionType,
    Environment,
    PublicAccess,
    PurposeType,
    RetentionType,
    StorageClass,
    TransitionClass,
)

__all__ = [
    "API_VERSION",
    "KIND",
    "Applied",
    "ApprovalDecision",
    "ApprovalReason",
    "BuiltContract",
    "Contract",
    "ContractParseError",
    "ContractSchemaError",
    "EncryptionType",
    "Environment",
    "PLATFORM_TAG_KEYS",
    "PREVIEW_REQUEST_ID",
    "PURPOSE_DEFAULTS",
    "PlatformPolicy",
    "Problem",
    "PublicAccess",
    "PurposeType",
    "RequestEvaluation",
    "RequestInput",
    "RetentionType",
    "Severity",
    "StorageClass",
    "TransitionClass",
    "approval_decision",
    "backend_settings",
    "bucket_name_problems",
    "bucket_tags",
    "build_contract",
    "replica_bucket_name",
    "contract_to_yaml",
    "cost_alarm_storage_types",
    "derive_bucket_name",
    "evaluate_request",
    "generated_schema_files",
    "has_errors",
    "iam_policy",
    "json_schema",
    "load_contract",
    "load_contract_yaml",
    "parse_request_input",
    "platform_tags",
    "problems_from_validation_error",
    "stale_schema_files",
    "state_key",
    "terraform_variables",
    "validate_contract",
    "with_input_field",
    "write_schema_files",
]
