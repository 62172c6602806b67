"""The catalog as Backstage entities: the API view and the query both it and the export command use."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from requests_app.api.permissions import CanRead
from requests_app.backstage import CatalogBucket, bucket_entities
from requests_app.models import CatalogEntry, CatalogStatus

def backstage_system() -> str:
    return settings.BACKSTAGE_SYSTEM


def exported_entries():
    """Catalog entries Backstage should know: all but decommissioned buckets, in one query."""
    return (CatalogEntry.objects.exclude(status=CatalogStatus.DECOMMISSIONED)
            .select_related("owner", "request").order_by("bucket_name"))


def catalog_bucket(entry: CatalogEntry, absolute_url) -> CatalogBucket:
    """``absolute_url(path)`` turns a portal path into the URL people follow from Backstage."""
    access_logging = entry.request.contract.get("spec", {}).get("accessLogging", {})
    return CatalogBucket(
        bucket_name=entry.bucket_name,
        request_id=entry.request.request_id,
        owner=entry.owner.slug,
        environment=entry.environment,
        purpose=entry.purpose,
        status=entry.status,
        portal_url=absolute_url(reverse("requests:catalog-detail", args=[entry.bucket_name])),
        request_url=absolute_url(reverse("requests:detail", args=[entry.request.request_id])),
        region=entry.region,
        arn=entry.arn,
        access_log_bucket=access_logging.get("targetBucket") if access_logging.get("enabled") else None,
    )


def catalog_entities(absolute_url) -> list[dict]:
    return bucket_entities((catalog_bucket(entry, absolute_url) for entry in exported_entries()),
                           backstage_system())


class BackstageEntities(APIView):
    """Every catalog bucket as a Backstage Resource entity (read scope)."""

    permission_classes = [CanRead]

    @extend_schema(
        summary="Catalog buckets as Backstage entities",
        description="Resource entities (spec.type s3-bucket) for every bucket that is not decommissioned, "
                    "in the shape of Backstage's catalog API: {\"items\": [...]}.",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, http_request):
        return Response({"items": catalog_entities(http_request.build_absolute_uri)})
