"""The tags the platform puts on every bucket, and AWS's tag limits."""

from .models import Contract
from .patterns import full_match
from .problems import Problem, error

MANAGED_BY = "bucketwise"
PLATFORM_TAG_KEYS = ("owner", "environment", "application", "purpose", "costCenter", "requestId", "managedBy")
MAX_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
RESERVED_KEY_PREFIX = "aws:"
TAG_CHARACTERS_PATTERN = r"^[A-Za-z0-9_ .:/=+@-]*$"


def platform_tags(contract: Contract) -> dict[str, str]:
    """Tags derived from the contract itself; `costCenter` comes from the contract's tags."""
    return {
        "owner": contract.owner,
        "environment": contract.environment.value,
        "application": contract.application,
        "purpose": contract.spec.purpose.type.value,
        "costCenter": contract.spec.tags.get("costCenter", ""),
        "requestId": contract.id,
        "managedBy": MANAGED_BY,
    }


def bucket_tags(contract: Contract) -> dict[str, str]:
    """Every tag for the bucket: the contract's extra tags, then ours (ours win on a clash)."""
    return {**contract.spec.tags, **platform_tags(contract)}


def tag_problems(contract: Contract) -> list[Problem]:
    problems = _clash_problems(contract)
    for key, value in contract.spec.tags.items():
        problems += _single_tag_problems(key, value, f"spec.tags.{key}")
    total = len(bucket_tags(contract))
    if total > MAX_TAGS:
        problems.append(
            error(
                "spec.tags",
                "tags.too-many",
                f"The bucket would carry {total} tags (including the {len(PLATFORM_TAG_KEYS)} the "
                f"platform adds); AWS allows {MAX_TAGS}. Remove {total - MAX_TAGS}.",
            )
        )
    return problems


def _clash_problems(contract: Contract) -> list[Problem]:
    ours = platform_tags(contract)
    return [
        error(
            f"spec.tags.{key}",
            "tags.platform-clash",
            f"The platform sets {key}={ours[key]}; remove this tag or make it equal.",
        )
        for key, value in contract.spec.tags.items()
        if key in ours and key != "costCenter" and value != ours[key]
    ]


def _single_tag_problems(key: str, value: str, path: str) -> list[Problem]:
    problems = []
    if key.lower().startswith(RESERVED_KEY_PREFIX):
        problems.append(
            error(
                path,
                "tags.reserved-prefix",
                "Tag keys starting with 'aws:' are reserved by AWS; rename the tag.",
            )
        )
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        problems.append(
            error(
                path,
                "tags.key-length",
                f"Tag keys need 1-{MAX_KEY_LENGTH} characters; this one has {len(key)}.",
            )
        )
    if len(value) > MAX_VALUE_LENGTH:
        problems.append(
            error(
                path,
                "tags.value-length",
                f"Tag values may have at most {MAX_VALUE_LENGTH} characters; cut "
                f"{len(value) - MAX_VALUE_LENGTH}.",
            )
        )
    if not (full_match(TAG_CHARACTERS_PATTERN, key) and full_match(TAG_CHARACTERS_PATTERN, value)):
        problems.append(
            error(path, "tags.characters", "Tags may use letters, digits, spaces and _ . : / = + - @ only.")
        )
    return problems
