"""Data of the request side: bucket requests, approvals, the catalog (teams and the audit trail are in core).

Models hold data and their invariants; the logic that moves a request through its life
lives in plain modules (``lifecycle``, ``ids``, and ``core.audit`` for the trail) that every edge calls.
"""

from django.conf import settings
from django.db import models

from core.identity import identity_digest
from requests_app.contract.vocabulary import Environment as ContractEnvironment

# The contract's environments (requests_app.contract.vocabulary) as database choices: one list, derived.
Environment = models.TextChoices(
    "Environment", [(member.name, (member.value, member.value)) for member in ContractEnvironment]
)


class RequestStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    QUEUED = "queued", "Queued"
    APPLYING = "applying", "Applying"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class PlanStatus(models.TextChoices):
    """Where the plan approvers vote on is (requests_app.plans); empty when no vote is needed."""

    NOT_NEEDED = "", "Not needed"
    PLANNING = "planning", "Planning"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class IdSequence(models.Model):
    """A named counter, locked row by row, so that request IDs are contiguous and unique."""

    name = models.CharField(max_length=40, primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.last_value}"


class BucketRequest(models.Model):
    request_id = models.CharField(max_length=20, unique=True, editable=False)
    number = models.PositiveIntegerField(unique=True, editable=False)
    environment = models.CharField(max_length=16, choices=Environment.choices, db_index=True)
    application = models.CharField(max_length=63)
    purpose = models.CharField(max_length=32)
    bucket_name = models.CharField(max_length=255, db_index=True)
    owner = models.ForeignKey("core.Team", on_delete=models.PROTECT, related_name="requests")
    requester = models.CharField(
        max_length=150, db_index=True, help_text="The person named in the contract as requester."
    )
    requester_key = models.CharField(
        max_length=64,
        db_index=True,
        editable=False,
        default="",
        help_text="Digest of the requester's identity key (core.identity.identity_digest), kept by save().",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submitted_requests",
        help_text="The account that submitted it (a person or a service account).",
    )
    contract = models.JSONField(help_text="The contract as submitted.")
    contract_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical contract.")
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING_APPROVAL, db_index=True
    )
    approval_required = models.BooleanField(default=True)
    approvals_needed = models.PositiveSmallIntegerField(default=1)
    approval_reasons = models.JSONField(default=list, blank=True)
    plan_status = models.CharField(
        max_length=10, choices=PlanStatus.choices, blank=True, default=PlanStatus.NOT_NEEDED
    )
    plan_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="SHA-256 of the plan file approvals bind to (set when it is ready).",
    )
    plan_problem = models.TextField(blank=True, default="", help_text="Why the last plan failed.")
    warnings = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True, default="")
    input_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_idempotency_key_per_account",
            )
        ]
        permissions = [
            ("submit_bucketrequest", "Can submit bucket requests"),
            ("view_all_bucketrequests", "Can see every bucket request"),
            ("decide_bucketrequest", "Can approve or reject bucket requests"),
        ]

    def __str__(self):
        return f"{self.request_id} {self.bucket_name}"

    def save(self, *args, **kwargs):
        # The key follows the name on every save, so SQL compares people as core.identity does.
        self.requester_key = identity_digest(self.requester)
        super().save(*args, **kwargs)


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class Approval(models.Model):
    request = models.ForeignKey(BucketRequest, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField()
    contract_hash = models.CharField(max_length=64, help_text="The contract this vote was cast on.")
    plan_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The plan this vote was cast on (SHA-256 of the plan file).",
    )
    approver_key = models.CharField(
        max_length=64,
        editable=False,
        default="",
        help_text="Digest of the approver's identity key when voting (core.identity.identity_digest), kept by save().",
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at"]
        constraints = [
            # One vote per person on each contract and plan: a request back from a stale plan is voted on again.
            models.UniqueConstraint(
                fields=["request", "approver", "contract_hash", "plan_hash"],
                name="one_vote_per_approver_per_plan",
            )
        ]

    def __str__(self):
        return f"{self.decision} {self.request.request_id} by {self.approver}"

    def save(self, *args, **kwargs):
        self.approver_key = identity_digest(self.approver.get_username())
        super().save(*args, **kwargs)


class CatalogStatus(models.TextChoices):
    PROVISIONING = "provisioning", "Provisioning"
    ACTIVE = "active", "Active"
    FAILED = "failed", "Failed"
    DECOMMISSIONED = "decommissioned", "Decommissioned"


class CatalogEntry(models.Model):
    """One bucket the platform knows of, whatever state its provisioning is in."""

    bucket_name = models.CharField(max_length=255, unique=True)
    request = models.OneToOneField(BucketRequest, on_delete=models.PROTECT, related_name="catalog_entry")
    owner = models.ForeignKey("core.Team", on_delete=models.PROTECT, related_name="buckets")
    environment = models.CharField(max_length=16, choices=Environment.choices, db_index=True)
    purpose = models.CharField(max_length=32, db_index=True)
    region = models.CharField(max_length=32, blank=True)
    arn = models.CharField(max_length=300, blank=True)
    replica_bucket = models.CharField(
        max_length=63, blank=True, help_text="The replica of a bucket whose purpose needs replication."
    )
    replica_region = models.CharField(max_length=32, blank=True)
    governance = models.JSONField(
        default=dict, blank=True, help_text="Encryption, versioning, public access, logging, cost alert."
    )
    status = models.CharField(
        max_length=20, choices=CatalogStatus.choices, default=CatalogStatus.PROVISIONING, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["bucket_name"]
        verbose_name_plural = "catalog entries"

    def __str__(self):
        return self.bucket_name
