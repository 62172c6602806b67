"""API shapes. The request-input serializer is generated from ``RequestInput`` (one field list).

Input is validated by the contract package (``submission``), which reports every problem
with its field; the input serializer exists so that the OpenAPI schema documents the
exact body Backstage sends.
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from requests_app.contract.patterns import full_match
from requests_app.input_fields import BOOLEAN, CHOICE, INPUT_FIELDS, INTEGER, TEXT_LIST, TEXT_MAP, InputField


class FullMatchValidator(RegexValidator):
    """A ``RegexValidator`` (so the OpenAPI schema shows the pattern) that matches like the contract:
    the whole value, in ASCII (``requests_app.contract.patterns.full_match``)."""

    def __call__(self, value):
        if not full_match(self.regex.pattern, str(value)):
            raise ValidationError(self.message, code=self.code, params={"value": value})


def _serializer_field(spec: InputField) -> serializers.Field:
    common = {"help_text": spec.help, "label": spec.title, "required": spec.required}
    if not spec.required and spec.default is not None:
        common["default"] = spec.default
    if spec.nullable:
        common["allow_null"] = True
    if spec.kind == INTEGER:
        return serializers.IntegerField(min_value=spec.minimum, max_value=spec.maximum, **common)
    if spec.kind == BOOLEAN:
        return serializers.BooleanField(**common)
    if spec.kind == CHOICE:
        return serializers.ChoiceField(choices=spec.choices, **common)
    if spec.kind == TEXT_LIST:
        return serializers.ListField(child=serializers.CharField(), max_length=spec.max_items, **common)
    if spec.kind == TEXT_MAP:
        return serializers.DictField(child=serializers.CharField(), **common)
    validators = [FullMatchValidator(spec.pattern)] if spec.pattern else []
    return serializers.CharField(
        min_length=spec.min_length, max_length=spec.max_length, validators=validators, **common
    )


RequestInputSerializer = type(
    "RequestInputSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The request input, in the Backstage template's field names.",
        **{spec.name: _serializer_field(spec) for spec in INPUT_FIELDS},
    },
)


class ProblemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Input field to change, when one applies.")
    path = serializers.CharField(help_text="Where in the input or contract, e.g. spec.encryption.type.")
    message = serializers.CharField(help_text="What is wrong and how to fix it.")
    severity = serializers.ChoiceField(choices=["error", "warning"])
    code = serializers.CharField(help_text="Stable rule code.")


class ProblemListSerializer(serializers.Serializer):
    detail = serializers.CharField()
    problems = ProblemSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class ApprovalReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class LinksSerializer(serializers.Serializer):
    api = serializers.URLField(help_text="This request in the API.")
    portal = serializers.URLField(help_text="This request's page in the portal.")


class ApprovalSerializer(serializers.Serializer):
    approver = serializers.CharField(source="approver.username")
    decision = serializers.CharField()
    comment = serializers.CharField()
    contractHash = serializers.CharField(source="contract_hash")
    planHash = serializers.CharField(source="plan_hash", help_text="The plan this vote was cast on.")
    decidedAt = serializers.DateTimeField(source="decided_at")


class BucketRequestSerializer(serializers.Serializer):
    """A request as the API shows it (list rows and the answer to a submission)."""

    id = serializers.CharField(source="request_id", help_text="Request ID, e.g. S3-0001.")
    bucketName = serializers.CharField(source="bucket_name")
    status = serializers.CharField()
    environment = serializers.CharField()
    application = serializers.CharField()
    purpose = serializers.CharField()
    owner = serializers.CharField(source="owner.slug")
    requester = serializers.CharField()
    submittedBy = serializers.CharField(source="submitted_by.username", allow_null=True, default=None)
    approvalRequired = serializers.BooleanField(source="approval_required")
    approvalsNeeded = serializers.IntegerField(source="approvals_needed")
    approvalReasons = ApprovalReasonSerializer(source="approval_reasons", many=True)
    warnings = ProblemSerializer(many=True)
    createdAt = serializers.DateTimeField(source="created_at")
    links = serializers.SerializerMethodField()

    @extend_schema_field(LinksSerializer)
    def get_links(self, obj) -> dict:
        http_request = self.context["request"]
        return {
            "api": http_request.build_absolute_uri(
                reverse("requests-api:request-detail", args=[obj.request_id])
            ),
            "portal": http_request.build_absolute_uri(reverse("requests:detail", args=[obj.request_id])),
        }


class BucketRequestDetailSerializer(BucketRequestSerializer):
    contract = serializers.JSONField(help_text="The contract as submitted (apiVersion goldenpath.io/v1).")
    contractHash = serializers.CharField(source="contract_hash")
    planStatus = serializers.CharField(
        source="plan_status",
        help_text="planning, ready, failed, or empty when no approval is needed; a request no longer waiting for approval keeps the value it ended with.",
    )
    planHash = serializers.CharField(source="plan_hash", help_text="The plan votes bind to (GET .../plan/).")
    approvals = ApprovalSerializer(many=True)


class PreviewSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    bucketName = serializers.CharField(allow_null=True)
    applied = serializers.ListField(
        child=serializers.DictField(), help_text="Values the platform set, and why."
    )
    problems = ProblemSerializer(many=True)
    approval = serializers.DictField(allow_null=True, help_text="required, reasons, approvals_needed.")


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Why you withdraw it (optional; at most 1,000 characters); kept in the audit trail.",
    )


class DecisionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(help_text="Why; required.")
    contractHash = serializers.CharField(
        required=False,
        help_text="Hash of the contract you reviewed (required to approve); the vote is refused "
        "if it changed.",
    )
    planHash = serializers.CharField(
        required=False,
        help_text="Hash of the plan you reviewed (required to approve); the vote is refused if it changed.",
    )


class CatalogEntrySerializer(serializers.Serializer):
    bucketName = serializers.CharField(source="bucket_name")
    requestId = serializers.CharField(source="request.request_id")
    owner = serializers.CharField(source="owner.slug")
    environment = serializers.CharField()
    purpose = serializers.CharField()
    region = serializers.CharField()
    arn = serializers.CharField()
    governance = serializers.JSONField()
    status = serializers.CharField()
    updatedAt = serializers.DateTimeField(source="updated_at")


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    requestId = serializers.CharField(source="request_id")
    bucketName = serializers.CharField(source="bucket_name")
    environment = serializers.CharField()
    detail = serializers.JSONField()
    previousHash = serializers.CharField(source="previous_hash")
    entryHash = serializers.CharField(source="entry_hash")
    keyId = serializers.CharField(
        source="key_id", help_text="Key of the entry's HMAC; empty for legacy entries."
    )


class AuditFindingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            "edited",
            "recomputed",
            "deleted",
            "unkeyed",
            "unknown_key",
            "truncated",
            "checkpoint_mismatch",
            "checkpoints",
        ]
    )
    message = serializers.CharField()
    entryId = serializers.IntegerField(source="entry_id", allow_null=True)
    checkpoint = serializers.IntegerField(allow_null=True)


class CheckpointWritesSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    pending = serializers.IntegerField()
    oldestPending = serializers.IntegerField(source="oldest_pending", allow_null=True)
    oldestPendingSince = serializers.CharField(source="oldest_pending_since", allow_null=True)
    attempts = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    lastWritten = serializers.IntegerField(source="last_written", allow_null=True)
    lastWrittenAt = serializers.CharField(source="last_written_at", allow_null=True)


class LastCheckpointSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    createdAt = serializers.CharField(source="created_at")
    entryCount = serializers.IntegerField(source="entry_count")
    headEntryId = serializers.IntegerField(source="head_entry_id")
    keyId = serializers.CharField(source="key_id")


class AuditVerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    entries = serializers.IntegerField()
    legacyEntries = serializers.IntegerField(source="legacy_entries")
    checkpoints = serializers.IntegerField()
    lastCheckpoint = LastCheckpointSerializer(source="last_checkpoint", allow_null=True)
    findings = AuditFindingSerializer(many=True)
    moreFindings = serializers.IntegerField(source="more_findings")
    checkpointWrites = CheckpointWritesSerializer(source="checkpoint_writes")
    checkedAt = serializers.CharField(source="checked_at")
