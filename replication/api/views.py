"""``GET /api/v1/replication/health/``: the health page's per-pair rows for Backstage and scripts."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from core.api.permissions import Rule
from replication.overview import filter_pairs, health_rows, pairs_with_counts
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


class ReplicationHealthView(GenericAPIView):
    access = {"GET": Rule("read", VIEW_PERMISSION)}
    serializer_class = PairHealthSerializer

    @extend_schema(
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
        serializer = self.get_serializer(health_rows(page), many=True)
        return self.get_paginated_response(serializer.data)
