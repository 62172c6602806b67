"""Live read-back of active buckets: each bucket's compliance state, the findings, and run verifications.

A finding is one difference between a bucket's live configuration and what its approved contract
and the guardrails say it must be. It stays *open* (``last_seen_at`` moving on) while checks keep
seeing it and is *cleared* by the first check that no longer does; both moments are audited.
"""

import json

from django.db import models

from requests_app.models import CatalogEntry
from runner.models import Run


class ComplianceState(models.TextChoices):
    COMPLIANT = "compliant", "Compliant"
    DRIFTED = "drifted", "Drifted"
    UNKNOWN = "unknown", "Unknown"


class BucketCompliance(models.Model):
    """The outcome of the last check of one catalog bucket (no row yet: never checked, shown as unknown)."""

    entry = models.OneToOneField(CatalogEntry, on_delete=models.CASCADE, related_name="compliance")
    state = models.CharField(max_length=10, choices=ComplianceState.choices, db_index=True)
    reason = models.TextField(
        blank=True, help_text="Why the state is unknown (access denied, bucket deleted, ...)."
    )
    checked_at = models.DateTimeField(db_index=True)
    compliant_since = models.DateTimeField(null=True, blank=True)
    open_findings = models.PositiveIntegerField(default=0)
    aws_calls = models.PositiveSmallIntegerField(default=0, help_text="AWS calls the last check made for it.")

    class Meta:
        verbose_name_plural = "bucket compliance"
        permissions = [("remediate_bucket", "Can start a remediation run (re-apply the approved contract)")]

    def __str__(self):
        return f"{self.entry.bucket_name}: {self.state}"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLEARED = "cleared", "Cleared"


class Finding(models.Model):
    entry = models.ForeignKey(CatalogEntry, on_delete=models.CASCADE, related_name="findings")
    field = models.CharField(
        max_length=300, help_text="What differs, e.g. publicAccessBlock.blockPublicAcls."
    )
    expected = models.JSONField(null=True, help_text="What the contract and guardrails say.")
    actual = models.JSONField(null=True, help_text="What the bucket has (at the last check that saw it).")
    status = models.CharField(
        max_length=8, choices=FindingStatus.choices, default=FindingStatus.OPEN, db_index=True
    )
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "field", "-first_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "field"],
                condition=models.Q(status="open"),
                name="one_open_finding_per_bucket_field",
            ),
        ]

    def __str__(self):
        return f"{self.entry.bucket_name} {self.field} ({self.status})"

    @property
    def expected_text(self) -> str:
        return _shown(self.expected)

    @property
    def actual_text(self) -> str:
        return _shown(self.actual)


def _shown(value) -> str:
    """A finding's value as people read it on the page: JSON, or "(absent)"."""
    return "(absent)" if value is None else json.dumps(value, sort_keys=True)


class RunVerification(models.Model):
    """The read-back right after an apply run: the run is *verified* only when it found nothing."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="verification")
    verified = models.BooleanField()
    state = models.CharField(max_length=10, choices=ComplianceState.choices)
    reason = models.TextField(blank=True)
    findings = models.JSONField(default=list, blank=True, help_text="Fields that differed.")
    checked_at = models.DateTimeField()

    def __str__(self):
        return f"run {self.run_id}: {'verified' if self.verified else 'not verified'}"
