"""The two documents: what a requester chooses (`RequestInput`) and the explicit contract (`Contract`).

Field names follow the Backstage template and the contract files (camelCase aliases); Python code uses
snake_case attributes. Every input field carries a title, a description, examples and its constraints so
the JSON schema can drive the Backstage template, the web form and the API serializer.
"""

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .patterns import FullMatch
from .vocabulary import (
    API_VERSION,
    COST_ALERT_MAX_GB,
    COST_ALERT_MIN_GB,
    KIND,
    REQUEST_ID_PATTERN,
    EncryptionType,
    Environment,
    PublicAccess,
    PurposeType,
    RetentionType,
    StorageClass,
    TransitionClass,
)

APPLICATION_PATTERN = r"^[a-z](?!.*--)[a-z0-9-]{1,29}[a-z0-9]$"
APPLICATION_MIN, APPLICATION_MAX = 3, 31
TEAM_PATTERN = r"^[a-z][a-z0-9-]{1,62}$"
REQUESTER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$"
COST_CENTER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._:/=+@-]{0,127}$"
MAX_LIFECYCLE_DAYS = 36_500
# GoldenPath's schema bounds (docs/decisions/goldenpath-mapping.md), the same for requests and contracts.
PURPOSE_DESCRIPTION_MIN, PURPOSE_DESCRIPTION_MAX = 10, 200
RATIONALE_MIN, RATIONALE_MAX = 10, 500


class _Document(BaseModel):
    """Shared config: camelCase on the wire, unknown keys rejected; patterns are `FullMatch` (ASCII, whole value)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
    )


class RequestInput(_Document):
    """What a requester chooses in the Backstage template, the web form or the API."""

    model_config = ConfigDict(title="S3 bucket request input")

    application: Annotated[str, FullMatch(APPLICATION_PATTERN)] = Field(
        title="Application",
        description="Application name: 3-31 lowercase letters, digits and single hyphens, starting with a "
        "letter and ending with a letter or digit. Becomes part of the bucket name.",
        min_length=APPLICATION_MIN,
        max_length=APPLICATION_MAX,  # also in the pattern; checked first, so too long says so
        examples=["payments-api"],
    )
    purpose_type: PurposeType = Field(
        title="Purpose",
        description="What the bucket holds; sets purpose defaults (versioning, storage class, lifecycle) "
        "and becomes the last part of the bucket name.",
        examples=["uploads"],
    )
    purpose_description: str = Field(
        title="Purpose description",
        description="One or two sentences on what is stored and who uses it (10-200 characters).",
        min_length=PURPOSE_DESCRIPTION_MIN,
        max_length=PURPOSE_DESCRIPTION_MAX,
        examples=["User file uploads for payment receipts"],
    )
    owner: Annotated[str, FullMatch(TEAM_PATTERN)] = Field(
        title="Owning team",
        description="The team that owns the bucket; must be a team known to the platform.",
        examples=["app-team"],
    )
    requester: Annotated[str, FullMatch(REQUESTER_PATTERN)] = Field(
        title="Requester",
        description="User name of the person asking for the bucket.",
        examples=["daniel-deans"],
    )
    environment: Environment = Field(
        title="Environment",
        description="Target environment. Staging and prod get SSE-KMS encryption and access logging and "
        "need platform approval.",
        examples=["dev"],
    )
    cost_center: Annotated[str, FullMatch(COST_CENTER_PATTERN)] = Field(
        title="Cost center",
        description="Cost allocation code, put on the bucket as the costCenter tag.",
        examples=["payments-123"],
    )
    cost_alert_gb: int = Field(
        title="Cost alert threshold (GiB)",
        description=f"A CloudWatch alarm fires when the bucket holds more than this many GiB "
        f"({COST_ALERT_MIN_GB}-{COST_ALERT_MAX_GB}).",
        ge=COST_ALERT_MIN_GB,
        le=COST_ALERT_MAX_GB,
        examples=[100],
    )
    storage_class: StorageClass | None = Field(
        default=None,
        title="Storage class",
        description="Where objects spend their life. Leave empty for the purpose default. Standard-IA, "
        "Glacier and Intelligent-Tiering are reached by a lifecycle transition.",
        examples=["standard"],
    )
    versioning: bool | None = Field(
        default=None,
        title="Versioning",
        description="Keep previous versions of objects. Leave empty for the purpose default.",
        examples=[True],
    )
    cors_enabled: bool = Field(
        default=False,
        title="CORS",
        description="Allow browsers on the listed origins to call the bucket directly.",
        examples=[False],
    )
    cors_allowed_origins: list[str] = Field(
        default_factory=list,
        title="CORS allowed origins",
        description="https origins allowed when CORS is enabled, e.g. https://app.example.com. "
        "A wildcard is only accepted in dev and test.",
        examples=[["https://app.example.com"]],
        max_length=20,
    )
    retention_type: RetentionType = Field(
        title="Retention",
        description="indefinite keeps objects; time-bounded and compliance-driven expire them after "
        "expirationDays.",
        examples=["indefinite"],
    )
    retention_rationale: str = Field(
        title="Retention rationale",
        description="Why this retention is right for the data: who needs it, for how long, which rule "
        "(10-500 characters).",
        min_length=RATIONALE_MIN,
        max_length=RATIONALE_MAX,
        examples=["User data retained for account lifetime"],
    )
    public_access: PublicAccess = Field(
        default=PublicAccess.BLOCKED,
        title="Public access",
        description="blocked unless the platform team granted an exception; an exception needs approval.",
        examples=["blocked"],
    )
    transition_days: int | None = Field(
        default=None,
        title="Days before transition",
        description="Days after upload before objects move to the storage class (Standard-IA needs "
        "at least 30). Leave empty for the default of the storage class.",
        ge=0,
        le=MAX_LIFECYCLE_DAYS,
        examples=[30],
    )
    expiration_days: int | None = Field(
        default=None,
        title="Days before expiration",
        description="Days after upload before objects are deleted; required for time-bounded and "
        "compliance-driven retention, later than the transition.",
        ge=1,
        le=MAX_LIFECYCLE_DAYS,
        examples=[365],
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        title="Extra tags",
        description="Additional tags for the bucket, besides the ones the platform adds.",
        examples=[{"dataClassification": "internal"}],
    )


class Metadata(BaseModel):
    """Free-form document metadata written by the GoldenPath workflow; unknown keys are kept."""

    model_config = ConfigDict(extra="allow")

    title: str | None = None
    description: str | None = None
    created: dt.datetime | dt.date | str | None = None


class Purpose(_Document):
    type: PurposeType
    description: str = Field(min_length=PURPOSE_DESCRIPTION_MIN, max_length=PURPOSE_DESCRIPTION_MAX)


class Encryption(_Document):
    type: EncryptionType
    kms_key_alias: str | None = None


class RetentionPolicy(_Document):
    type: RetentionType
    rationale: str = Field(default="", max_length=RATIONALE_MAX)  # its minimum is a guardrail (validation)


class Transition(_Document):
    days: int = Field(ge=0, le=MAX_LIFECYCLE_DAYS)
    storage_class: TransitionClass


class Lifecycle(_Document):
    transitions: list[Transition] = Field(default_factory=list)
    expiration_days: int | None = Field(default=None, ge=1, le=MAX_LIFECYCLE_DAYS)
    noncurrent_version_expiration_days: int | None = Field(default=None, ge=1, le=MAX_LIFECYCLE_DAYS)


class AccessLogging(_Document):
    enabled: bool
    target_bucket: str | None = None
    target_prefix: str | None = None


class Spec(_Document):
    bucket_name: str
    purpose: Purpose
    storage_class: StorageClass
    encryption: Encryption
    versioning: bool
    public_access: PublicAccess
    retention_policy: RetentionPolicy
    lifecycle: Lifecycle | None = None
    access_logging: AccessLogging
    cost_alert_gb: int
    cors_enabled: bool = False
    cors_allowed_origins: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)


class Contract(_Document):
    """The full, explicit request document (seed 000 §2.4); what Terraform and reviewers see."""

    model_config = ConfigDict(title="S3 bucket request contract")

    api_version: Literal["goldenpath.io/v1"] = Field(default=API_VERSION, alias="apiVersion")
    kind: Literal["S3BucketRequest"] = KIND
    id: Annotated[str, FullMatch(REQUEST_ID_PATTERN)] = Field(examples=["S3-0001"])
    environment: Environment
    owner: str = Field(min_length=1)
    application: str = Field(min_length=1)
    requester: str = Field(min_length=1)
    metadata: Metadata | None = None
    spec: Spec

    @property
    def lifecycle(self) -> Lifecycle:
        return self.spec.lifecycle or Lifecycle()
