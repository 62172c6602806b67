"""The runner's AWS access: which role an environment's runs assume, and boto3 clients made with it.

``AWS_ROLE_ARN_<ENV>`` (optional) names one role per environment. Terraform assumes it in the provider
and in the S3 backend (runner.workspace); the runner's own calls on a run's behalf (the state lock,
adopting resources a killed apply created) assume the same role here, so no part of a dev run
holds credentials that reach prod.
"""

from __future__ import annotations

import boto3
from django.conf import settings

SESSION_NAME = "bucketwise-runner"


def role_arn(environment: str) -> str:
    """The role runs of ``environment`` assume ('' = the worker's own credentials)."""
    return settings.AWS_ROLE_ARNS.get(environment, "")


def client(service: str, environment: str, *, region: str = ""):
    """A boto3 client for ``service`` acting as ``environment``'s role (when one is set)."""
    region = region or settings.AWS_REGION
    endpoint = settings.AWS_ENDPOINT_URL or None
    arn = role_arn(environment)
    if not arn:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)
    sts = boto3.client("sts", region_name=region, endpoint_url=endpoint)
    credentials = sts.assume_role(RoleArn=arn, RoleSessionName=SESSION_NAME)["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
