from rest_framework import serializers

from runner.models import Run, SavedPlan


class RunStepSerializer(serializers.Serializer):
    """One step of a run as the worker recorded it (runner/step_times.py)."""

    step = serializers.CharField(
        help_text="claim, prepare, a Terraform command (init, plan, …), save plan, finish."
    )
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(
        allow_null=True, help_text="Null: the step was in progress when the run stopped (or still is)."
    )
    seconds = serializers.FloatField(allow_null=True)
    outcome = serializers.CharField(
        help_text="succeeded, failed, cancelled, timed_out; empty while unfinished."
    )


class AbandonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why nobody will retry the request; kept in the audit trail.")


class RunSerializer(serializers.ModelSerializer):
    request_id = serializers.CharField(source="request.request_id", read_only=True)
    cancel_requested = serializers.BooleanField(read_only=True)
    steps = RunStepSerializer(many=True, read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "request_id",
            "kind",
            "status",
            "attempt",
            "step",
            "steps",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "worker",
            "terraform_version",
            "provider_versions",
            "aws_role_arn",
            "state_lock_id",
            "state_lock_path",
            "state_key",
            "plan_summary",
            "resource_changes",
            "plan_sha256",
            "outputs",
            "error_summary",
            "cancel_requested",
            "cancel_requested_by",
            "log",
        ]
        read_only_fields = fields


class PlanChangeSerializer(serializers.Serializer):
    address = serializers.CharField()
    type = serializers.CharField(
        help_text="Resource type (a twin-stack stand-in reports the type it stands for)."
    )
    action = serializers.ChoiceField(
        choices=["create", "update", "delete", "replace", "import", "import-update", "read", "no-op"]
    )


class SavedPlanSerializer(serializers.ModelSerializer):
    runId = serializers.IntegerField(source="run_id")
    planHash = serializers.CharField(source="sha256", help_text="SHA-256 of the plan file; votes bind to it.")
    contractHash = serializers.CharField(source="contract_hash")
    changes = PlanChangeSerializer(many=True)
    text = serializers.CharField(source="rendered", help_text="The full plan as `terraform show` renders it.")
    createdAt = serializers.DateTimeField(source="created_at")
    fileRemovedAt = serializers.DateTimeField(
        source="file_removed_at",
        allow_null=True,
        help_text="When the plan file was removed, no apply being able to use it any more (null: kept).",
    )

    class Meta:
        model = SavedPlan
        fields = ["runId", "planHash", "contractHash", "changes", "text", "createdAt", "fileRemovedAt"]


class RequestPlanSerializer(serializers.Serializer):
    """The plan of a request: where it is, and the newest plan Terraform made for it."""

    requestId = serializers.CharField(source="request.request_id")
    status = serializers.CharField(
        source="request.plan_status",
        help_text="planning, ready, failed, or empty when no vote needs a plan; a request no longer waiting for approval keeps the value it ended with.",
    )
    votePlanHash = serializers.CharField(
        source="request.plan_hash", help_text="The plan approvals bind to (empty until one is ready)."
    )
    problem = serializers.CharField(source="request.plan_problem", help_text="Why the last plan failed.")
    plan = SavedPlanSerializer(allow_null=True, help_text="The newest plan made for the request, if any.")
