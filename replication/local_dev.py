"""The local replication pair of `make run`, described from the portal's settings (development only)."""

from django.conf import settings

from replication.local.description import LocalPipeline

HOOK_PATH = "/hooks/sns/replication/"


def local_pipeline(webhook_url: str = "") -> LocalPipeline:
    return LocalPipeline(primary_region=settings.AWS_REGION, replica_region=settings.REPLICATION_REPLICA_REGION,
                         webhook_url=webhook_url)
