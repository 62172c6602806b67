"""Platform settings the contract functions need, passed in explicitly (never read from Django here)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .vocabulary import Environment

DEFAULT_PREFIX = "goldenpath"
DEFAULT_REGION = "us-east-1"


def _one_approval_each() -> Mapping[str, int]:
    return MappingProxyType({env.value: 1 for env in Environment})


@dataclass(frozen=True)
class PlatformPolicy:
    """What the platform team configures: naming prefix, approvals per environment, region, state bucket."""

    prefix: str = DEFAULT_PREFIX
    approvals_required: Mapping[str, int] = field(default_factory=_one_approval_each)
    region: str = DEFAULT_REGION
    state_bucket: str | None = None
    state_region: str | None = None

    def approvals_for(self, environment: str) -> int:
        return int(self.approvals_required.get(str(environment), 1))

    def kms_key_alias(self, environment: str) -> str:
        return f"alias/{self.prefix}-{environment}-s3"

    def access_log_bucket(self, environment: str) -> str:
        return f"{self.prefix}-{environment}-logs"

    def terraform_state_bucket(self) -> str:
        return self.state_bucket or f"{self.prefix}-terraform-state"

    def terraform_state_region(self) -> str:
        return self.state_region or self.region
