"""The local replication pair of `make run`, described from the portal's settings (development only)."""

from django.conf import settings

from replication.local.description import LocalPipeline

HOOK_PATH = "/hooks/sns/replication/"
# moto accepts any credentials; runportal gives these to every child.
LOCAL_AWS_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local-development",
    "AWS_SECRET_ACCESS_KEY": "local-development",
}


def local_aws_endpoint() -> str:
    """The configured endpoint, else the one `make run` starts (so the demo runs from a second terminal)."""
    return settings.AWS_ENDPOINT_URL or f"http://127.0.0.1:{settings.LOCAL_AWS_PORT}"


def local_aws_client_arguments() -> dict:
    return {
        "endpoint_url": local_aws_endpoint(),
        "aws_access_key_id": LOCAL_AWS_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": LOCAL_AWS_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def local_pipeline(webhook_url: str = "") -> LocalPipeline:
    return LocalPipeline(
        primary_region=settings.AWS_REGION,
        replica_region=settings.REPLICATION_REPLICA_REGION,
        webhook_url=webhook_url,
    )
