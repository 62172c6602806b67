"""``GET /api/v1/replication/health/``: the health page's per-pair rows for Backstage and scripts, and
beside them (``processing``) the SNS notifications still waiting for a worker, as the page says
"processing is behind" and ``/healthz`` reports them."""

from collections import OrderedDict

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from core.api.permissions import Rule
from replication.overview import filter_pairs, health_rows, pairs_with_counts, processing_backlog
from replication.views import VIEW_PERMISSION


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    failures = serializers.IntegerField()
    warnings = serializers.IntegerField()


class PairHealthSerializer(serializers.Serializer):
    primary_bucket = serializers.CharField(source="pair.primary_bucket")
    replica_bucket = serializers.CharField(source="pair.replica_bucket")
    state = serializers.CharField(
        help_text="healthy, degraded, failing or no data yet (docs/replication-health.md)."
    )
    catalog_bucket = serializers.CharField(
        source="pair.catalog_entry.bucket_name", allow_null=True, default=None
    )
    owner = serializers.CharField(source="pair.catalog_entry.owner.slug", allow_null=True, default=None)
    environment = serializers.CharField(
        source="pair.catalog_entry.environment", allow_null=True, default=None
    )
    last_failure_at = serializers.DateTimeField(source="pair.last_failure_at", allow_null=True)
    failures_24h = serializers.IntegerField(source="counts.failures_24h")
    failures_7d = serializers.IntegerField(source="counts.failures_7d")
    warnings_7d = serializers.IntegerField(source="counts.warnings_7d")
    open_incidents = serializers.IntegerField(source="counts.unresolved_incidents")
    verified_24h = serializers.IntegerField(
        source="counts.verified_24h", help_text="Object versions verified identical in the last 24 hours."
    )
    verified_7d = serializers.IntegerField(source="counts.verified_7d")
    daily = DaySerializer(
        many=True, help_text="Failures and warnings per day, the last 14 days, oldest first."
    )
    url = serializers.SerializerMethodField()

    def get_url(self, row) -> str:
        return self.context["request"].build_absolute_uri(reverse("replication:pair", args=[row.pair.pk]))


PROCESSING_SCHEMA = {
    "type": "object",
    "description": "SNS notifications stored by the hook and not yet built into events and incidents by a "
    "worker (the same for every page; the pair rows leave them out until they are processed).",
    "required": ["pending", "oldest_received_at", "oldest_age_seconds", "bound_seconds", "behind"],
    "properties": {
        "pending": {"type": "integer", "description": "Notifications waiting for a worker."},
        "oldest_received_at": {
            "type": "string",
            "format": "date-time",
            "nullable": True,
            "description": "When the oldest waiting notification arrived (null when none waits).",
        },
        "oldest_age_seconds": {
            "type": "number",
            "format": "double",
            "nullable": True,
            "description": "How long the oldest waiting notification has waited, in seconds.",
        },
        "bound_seconds": {
            "type": "integer",
            "description": "How long a notification may wait before processing counts as behind.",
        },
        "behind": {
            "type": "boolean",
            "description": "The oldest has waited longer than bound_seconds: is the worker cluster running? "
            "/healthz then says degraded.",
        },
    },
}


class HealthPagination(PageNumberPagination):
    """The pair rows' page, with the processing backlog (set by the view) beside ``results``."""

    processing: dict | None = None

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("count", self.page.paginator.count),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("processing", self.processing),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        properties = dict(paginated["properties"])
        results = properties.pop("results")
        paginated["properties"] = {**properties, "processing": PROCESSING_SCHEMA, "results": results}
        paginated["required"] = [*paginated.get("required", []), "processing"]
        return paginated


class ReplicationHealthView(GenericAPIView):
    access = {"GET": Rule("read", VIEW_PERMISSION)}
    serializer_class = PairHealthSerializer
    pagination_class = HealthPagination

    @extend_schema(
        summary="Per-pair replication health, and the SNS notifications waiting for a worker",
        responses=PairHealthSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "environment", str, description="Only pairs of catalog buckets in this environment."
            ),
            OpenApiParameter("owner", str, description="Only pairs of catalog buckets of this team (slug)."),
        ],
    )
    def get(self, request):
        pairs = filter_pairs(
            pairs_with_counts(),
            environment=request.query_params.get("environment", ""),
            owner=request.query_params.get("owner", ""),
        )
        page = self.paginate_queryset(pairs)
        self.paginator.processing = processing_backlog().as_dict()
        serializer = self.get_serializer(health_rows(page), many=True)
        return self.get_paginated_response(serializer.data)
