"""Terraform runs: one row per execution, the source of truth for what the workers do.

A run is created ``queued`` in the transaction that approves (or retries) a request and
is handed to django-q2 after commit; the broker message only says "look at run N". The
worker, the sweeper and the cancel API all decide from this row, under a row lock.
"""

from django.conf import settings
from django.db import models

from requests_app.models import BucketRequest


class RunKind(models.TextChoices):
    """A plan run plans for the approvers (no apply); an apply run applies the approved plan.

    There is no destroy kind: the portal never destroys a bucket (docs/decisions/runner-plan-approval.md).
    """

    PLAN = "plan", "Plan"
    APPLY = "apply", "Apply"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    TIMED_OUT = "timed_out", "Timed out"
    RETURNED = "returned", "Returned to approval"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED_STATUSES = (
    RunStatus.SUCCEEDED,
    RunStatus.FAILED,
    RunStatus.CANCELLED,
    RunStatus.TIMED_OUT,
    RunStatus.RETURNED,
)


class Run(models.Model):
    request = models.ForeignKey(BucketRequest, on_delete=models.PROTECT, related_name="runs")
    kind = models.CharField(max_length=10, choices=RunKind.choices, default=RunKind.APPLY)
    status = models.CharField(
        max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    attempt = models.PositiveIntegerField(help_text="1 for the first run of the request, then 2, 3, …")
    created_at = models.DateTimeField(auto_now_add=True)
    handed_over_at = models.DateTimeField(
        null=True, blank=True, help_text="Last time the run was given to the task queue."
    )
    handover_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, db_index=True)
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker process.")
    step = models.CharField(
        max_length=20, blank=True, help_text="The Terraform step in progress or last run."
    )
    steps = models.JSONField(
        default=list,
        blank=True,
        help_text="Each step the worker ran, in order, with its start, end (UTC) and outcome (runner.step_times).",
    )
    terraform_version = models.CharField(max_length=40, blank=True)
    provider_versions = models.JSONField(
        default=dict, blank=True, help_text="Provider address → version installed (from the lock file)."
    )
    state_key = models.CharField(max_length=300, blank=True)
    state_lock_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="ID of the last state lock this run's Terraform took (S3 state).",
    )
    state_lock_path = models.CharField(max_length=400, blank=True, help_text="Where that lock lives.")
    aws_role_arn = models.CharField(
        max_length=200,
        blank=True,
        help_text="The environment's role the run assumed (empty: worker credentials).",
    )
    plan_summary = models.JSONField(default=dict, blank=True, help_text="add / change / destroy counts.")
    resource_changes = models.JSONField(default=list, blank=True)
    plan_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the plan file this run made (plan run) or applied."
    )
    outputs = models.JSONField(default=dict, blank=True)
    log = models.TextField(blank=True, help_text="Terraform's output, bounded by RUNNER_LOG_MAX_CHARS.")
    error_summary = models.TextField(blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_by = models.CharField(max_length=150, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_run_per_request",
            ),
            models.UniqueConstraint(fields=["request", "attempt"], name="unique_attempt_per_request"),
        ]
        permissions = [
            ("cancel_run", "Can cancel Terraform runs"),
            ("retry_run", "Can retry failed requests with a new run"),
        ]

    def __str__(self):
        return f"run {self.pk} ({self.kind} {self.status}) of {self.request.request_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def cancel_requested(self) -> bool:
        return self.cancel_requested_at is not None


class SavedPlan(models.Model):
    """A plan file Terraform wrote, kept in the database so that any worker can apply it.

    The plan run of a request that needs approval saves the plan approvers vote on; an apply
    run saves the plan it made when it had to plan (auto-approved, or the saved plan was
    stale) (docs/decisions/runner-plan-approval.md). Rows are kept; only the plan file is removed
    once no apply can use it any more, the rest stays as the record (runner.saved_plans.prune_plan_files,
    docs/decisions/retention-plans-and-sns-messages.md).
    """

    run = models.OneToOneField(Run, on_delete=models.PROTECT, related_name="saved_plan")
    request = models.ForeignKey(BucketRequest, on_delete=models.PROTECT, related_name="saved_plans")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the plan file; votes bind to it.")
    contract_hash = models.CharField(max_length=64, help_text="The contract the plan was made from.")
    plan_file = models.BinaryField(
        help_text="The file `terraform plan -out` wrote, applied as is (empty once removed)."
    )
    show_json = models.JSONField(help_text="`terraform show -json` of the plan file.")
    changes = models.JSONField(default=list, help_text="Each resource address with its action.")
    rendered = models.TextField(help_text="`terraform show` of the plan file: the full plan as text.")
    created_at = models.DateTimeField(auto_now_add=True)
    file_removed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the plan file was removed: no apply could use it any more."
    )

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["request", "sha256"], name="one_saved_plan_per_hash")]

    def __str__(self):
        return f"plan {self.sha256[:12]} of {self.request.request_id} (run {self.run_id})"
