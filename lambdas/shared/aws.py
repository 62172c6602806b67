"""boto3 clients (one per service and region, reused across invocations) and error classification.

Endpoints come from boto3's own configuration (``AWS_ENDPOINT_URL`` in tests), never from code here.
"""

from __future__ import annotations

import functools

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)

NOT_FOUND_CODES = {"NoSuchKey", "NoSuchVersion", "NotFound", "404"}
PERMANENT_CODES = {
    "AccessDenied",
    "403",
    "AllAccessDisabled",
    "InvalidObjectState",
    "NoSuchBucket",
    "KMS.DisabledException",
    "KMS.NotFoundException",
    "KMS.AccessDeniedException",
}


@functools.cache
def client(service: str, region: str | None = None):
    return boto3.client(service, region_name=region, config=_CONFIG)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_not_found(exc: ClientError) -> bool:
    return error_code(exc) in NOT_FOUND_CODES


def is_delete_marker(exc: ClientError) -> bool:
    headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return headers.get("x-amz-delete-marker") == "true"


def is_retryable(exc: Exception) -> bool:
    """Throttling, timeouts, 5xx and unknown errors may heal; access and configuration errors do not."""
    if isinstance(exc, ClientError):
        return error_code(exc) not in PERMANENT_CODES
    return isinstance(exc, BotoCoreError)
