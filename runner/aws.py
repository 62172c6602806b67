"""The runner's AWS access: which role an environment's runs assume, and boto3 clients made with it.

``AWS_ROLE_ARN_<ENV>`` (optional) names one role per environment. Terraform assumes it in the provider
and in the S3 backend (runner.workspace); the runner's own calls on a run's behalf (the state lock,
adopting resources a killed apply created) assume the same role here, so no part of a dev run
holds credentials that reach prod.
"""

from __future__ import annotations

import boto3
from botocore.config import Config
from django.conf import settings

SESSION_NAME = "bucketwise-runner"
# Tries of each call made with check_config(): one retry, so a blip is survived and a dead endpoint is not
# waited on three times (botocore's default), each for its 60-second timeouts.
CHECK_ATTEMPTS = 2


def role_arn(environment: str) -> str:
    """The role runs of ``environment`` assume ('' = the worker's own credentials)."""
    return settings.AWS_ROLE_ARNS.get(environment, "")


def check_config() -> Config:
    """Timeouts and retries for the calls a person waits for on a page (abandoning a request's checks).

    An endpoint that does not answer then refuses within about CHECK_ATTEMPTS × (connect + read timeout)
    plus one backoff (at most a second) per call: ``ABANDON_AWS_TIMEOUT_SECONDS``.
    """
    seconds = settings.ABANDON_AWS_TIMEOUT_SECONDS
    return Config(
        connect_timeout=seconds,
        read_timeout=seconds,
        retries={"mode": "standard", "total_max_attempts": CHECK_ATTEMPTS},
    )


def client(service: str, environment: str, *, region: str = "", config: Config | None = None):
    """A boto3 client for ``service`` acting as ``environment``'s role (when one is set).

    ``config`` (timeouts, retries) applies to assuming the role too; None keeps botocore's defaults.
    """
    region = region or settings.AWS_REGION
    endpoint = settings.AWS_ENDPOINT_URL or None
    arn = role_arn(environment)
    if not arn:
        return boto3.client(service, region_name=region, endpoint_url=endpoint, config=config)
    sts = boto3.client("sts", region_name=region, endpoint_url=endpoint, config=config)
    credentials = sts.assume_role(RoleArn=arn, RoleSessionName=SESSION_NAME)["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=config,
    )
