"""The closed vocabularies of an S3 bucket request (seed 000 §1 and §2.4).

Each enum value is the spelling used in contract files and the Backstage template.
"""

from enum import StrEnum

API_VERSION = "goldenpath.io/v1"
KIND = "S3BucketRequest"
REQUEST_ID_PATTERN = r"^S3-[0-9]{4,}$"

COST_ALERT_MIN_GB = 1
COST_ALERT_MAX_GB = 10_000


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    STAGING = "staging"
    PROD = "prod"


GUARDED_ENVIRONMENTS = frozenset({Environment.STAGING, Environment.PROD})


class PurposeType(StrEnum):
    LOGS = "logs"
    UPLOADS = "uploads"
    BACKUPS = "backups"
    DATA_LAKE = "data-lake"
    STATIC_ASSETS = "static-assets"


class StorageClass(StrEnum):
    """The class where a bucket's objects spend their life; reached by lifecycle unless standard."""

    STANDARD = "standard"
    INTELLIGENT_TIERING = "intelligent-tiering"
    STANDARD_IA = "standard-ia"
    GLACIER = "glacier"


class TransitionClass(StrEnum):
    """Targets of lifecycle transitions, in the order S3 allows objects to move (warm to cold)."""

    STANDARD_IA = "standard-ia"
    INTELLIGENT_TIERING = "intelligent-tiering"
    GLACIER_IR = "glacier-ir"
    GLACIER = "glacier"
    DEEP_ARCHIVE = "deep-archive"


class EncryptionType(StrEnum):
    SSE_S3 = "sse-s3"
    SSE_KMS = "sse-kms"


class RetentionType(StrEnum):
    INDEFINITE = "indefinite"
    TIME_BOUNDED = "time-bounded"
    COMPLIANCE_DRIVEN = "compliance-driven"


class PublicAccess(StrEnum):
    BLOCKED = "blocked"
    EXCEPTION_APPROVED = "exception-approved"
