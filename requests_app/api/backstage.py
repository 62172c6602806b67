"""The catalog as Backstage entities, over the API (the query is in requests_app.backstage_catalog)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.permissions import Rule
from requests_app.backstage_catalog import catalog_entities
from requests_app.visibility import VIEW_CATALOG_PERMISSION


class BackstageEntities(APIView):
    """Every catalog bucket as a Backstage Resource entity."""

    access = {"GET": Rule("read", VIEW_CATALOG_PERMISSION, for_backstage=True)}

    @extend_schema(
        summary="Catalog buckets as Backstage entities",
        description="Resource entities (spec.type s3-bucket) for every bucket that is not decommissioned, "
        'in the shape of Backstage\'s catalog API: {"items": [...]}.',
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, http_request):
        return Response({"items": catalog_entities(http_request.build_absolute_uri)})
