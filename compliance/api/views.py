"""``GET /api/v1/catalog/buckets/{name}/compliance/``: a bucket's compliance state and its findings."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from compliance import status
from compliance.views import VIEW_PERMISSION
from core.api.permissions import Rule
from requests_app.visibility import visible_catalog


class FindingSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="What differs, e.g. publicAccessBlock.blockPublicAcls or tags.owner."
    )
    expected = serializers.JSONField(
        allow_null=True, help_text="What the approved contract and guardrails say."
    )
    actual = serializers.JSONField(allow_null=True, help_text="What the bucket had at the last check.")
    status = serializers.CharField()
    first_seen_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    cleared_at = serializers.DateTimeField(allow_null=True)


class VerificationSerializer(serializers.Serializer):
    run = serializers.IntegerField(source="run_id")
    verified = serializers.BooleanField()
    state = serializers.CharField()
    reason = serializers.CharField()
    findings = serializers.ListField(child=serializers.CharField())
    checked_at = serializers.DateTimeField()


class ComplianceSerializer(serializers.Serializer):
    bucket_name = serializers.CharField()
    state = serializers.CharField(help_text="compliant, drifted or unknown (then `reason` says why).")
    reason = serializers.CharField()
    checked_at = serializers.DateTimeField(allow_null=True)
    compliant_since = serializers.DateTimeField(allow_null=True)
    open_findings = FindingSerializer(many=True)
    cleared_findings = FindingSerializer(many=True, help_text="The most recently cleared findings.")
    last_apply_verification = VerificationSerializer(allow_null=True)


class BucketComplianceView(GenericAPIView):
    access = {"GET": Rule("read", VIEW_PERMISSION)}
    serializer_class = ComplianceSerializer

    @extend_schema(responses=ComplianceSerializer)
    def get(self, request, bucket_name: str):
        entry = get_object_or_404(
            visible_catalog(request.user).select_related("request"), bucket_name=bucket_name
        )
        bucket = status.bucket_status(entry)
        return Response(
            self.get_serializer(
                {
                    "bucket_name": entry.bucket_name,
                    "state": bucket.state,
                    "reason": bucket.reason,
                    "checked_at": bucket.checked_at,
                    "compliant_since": bucket.compliant_since,
                    "open_findings": bucket.open_findings,
                    "cleared_findings": bucket.cleared_findings,
                    "last_apply_verification": status.latest_verification(entry.request),
                }
            ).data
        )
