from rest_framework import serializers

from runner.models import Run


class RunSerializer(serializers.ModelSerializer):
    request_id = serializers.CharField(source="request.request_id", read_only=True)
    cancel_requested = serializers.BooleanField(read_only=True)

    class Meta:
        model = Run
        fields = [
            "id", "request_id", "kind", "status", "attempt", "step", "created_at", "started_at", "finished_at",
            "heartbeat_at", "worker", "terraform_version", "state_key", "plan_summary", "resource_changes",
            "plan_sha256", "outputs", "error_summary", "cancel_requested", "cancel_requested_by", "log",
        ]
        read_only_fields = fields
