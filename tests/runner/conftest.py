"""Fixtures the runner's tests share."""

import boto3
import pytest

from tests.runner.factories import STATE_BUCKET


@pytest.fixture
def s3_state(local_aws, settings):
    """The S3 state backend in the local AWS: a bucket (kept for the session) set as TERRAFORM_STATE_BUCKET."""
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name=settings.AWS_REGION)
    if STATE_BUCKET not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=STATE_BUCKET)
    settings.TERRAFORM_STATE_BUCKET = STATE_BUCKET
    return s3
