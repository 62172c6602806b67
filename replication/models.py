"""Replication events, incidents and verification counts ingested from SNS.

``SnsMessage`` keeps every accepted delivery once (unique ``message_id``: redeliveries are
acknowledged, not stored again) with its raw envelope, until it is processed and older than
``SNS_MESSAGE_RETENTION_DAYS`` (``replication.retention``: what was built from it stays); the hook stores a Notification as
``pending`` and a worker processes it later (``replication.processing``). Each replication fact
it carries becomes one ``ReplicationEvent`` of a ``BucketPair`` (unique ``dedupe_key``: the notifier's
``failure_id`` reported again only bumps ``report_count``). Failures and warnings open an
``Incident`` per pair and reason; at most one is unresolved at a time.
"""

from django.db import models

from replication.events import MAX_BUCKET_NAME, MAX_KEY, MAX_KIND, MAX_REASON
from requests_app.models import CatalogEntry


class SnsMessage(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting to be processed"
        STORED = "stored", "Events stored"
        REPEATED = "repeated", "Repeated report of known events"
        CONFIRMED = "confirmed", "Subscription confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribe recorded (not followed)"
        UNREADABLE = "unreadable", "Signed but not understood"

    message_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=40)
    topic_arn = models.CharField(max_length=300, db_index=True)
    sent_at = models.DateTimeField(help_text="The SNS Timestamp.")
    received_at = models.DateTimeField(auto_now_add=True)
    subject = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    raw = models.JSONField(help_text="The verified envelope as delivered.")
    primary_bucket = models.CharField(max_length=MAX_BUCKET_NAME, blank=True)
    replica_bucket = models.CharField(
        max_length=MAX_BUCKET_NAME,
        blank=True,
        help_text="The pair the message is about (its first fact's): one pair's messages are processed in "
        "order of their SNS Timestamp, then arrival.",
    )
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker built its events (or the hook decided it alone)."
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "SNS message"
        indexes = [
            models.Index(
                fields=["primary_bucket", "replica_bucket", "sent_at", "id"],
                condition=models.Q(outcome="pending"),
                name="replication_sns_pending",
            ),
            models.Index(  # the retention's batches: processed messages, oldest first
                fields=["sent_at", "id"],
                condition=~models.Q(outcome="pending"),
                name="replication_sns_processed",
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.message_id}"


class BucketPair(models.Model):
    """A primary bucket and its replica, as the catalog or the first event names them."""

    primary_bucket = models.CharField(max_length=MAX_BUCKET_NAME, blank=True)
    replica_bucket = models.CharField(max_length=MAX_BUCKET_NAME, blank=True)
    catalog_entry = models.ForeignKey(
        CatalogEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replication_pairs",
        help_text="The catalog entry of the primary (or replica) bucket when it is one of ours.",
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["primary_bucket", "replica_bucket"]
        constraints = [
            models.UniqueConstraint(fields=["primary_bucket", "replica_bucket"], name="unique_bucket_pair")
        ]

    def __str__(self):
        return f"{self.primary_bucket or '(unknown)'} → {self.replica_bucket or '(unknown)'}"


class Severity(models.TextChoices):
    FAILURE = "failure", "Failure"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class IncidentState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


UNRESOLVED_STATES = (IncidentState.OPEN, IncidentState.ACKNOWLEDGED)


class Incident(models.Model):
    pair = models.ForeignKey(BucketPair, on_delete=models.PROTECT, related_name="incidents")
    reason = models.CharField(max_length=MAX_REASON)
    kind = models.CharField(max_length=MAX_KIND, help_text="Verdict or S3 event name of the first event.")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    state = models.CharField(
        max_length=15, choices=IncidentState.choices, default=IncidentState.OPEN, db_index=True
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    last_event_at = models.DateTimeField()
    event_count = models.PositiveIntegerField(default=1)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="The last comment given when acknowledging or resolving.")

    class Meta:
        ordering = ["-last_event_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pair", "reason"],
                condition=models.Q(state__in=["open", "acknowledged"]),
                name="one_unresolved_incident_per_pair_and_reason",
            )
        ]
        permissions = [("manage_incident", "Can acknowledge and resolve replication incidents")]

    def __str__(self):
        return f"#{self.pk} {self.pair} {self.reason} ({self.state})"


class ReplicationEvent(models.Model):
    pair = models.ForeignKey(BucketPair, on_delete=models.PROTECT, related_name="events")
    sns_message = models.ForeignKey(
        SnsMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        help_text="The delivery it came from (empty once that message outlived SNS_MESSAGE_RETENTION_DAYS).",
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    dedupe_key = models.CharField(
        max_length=80,
        unique=True,
        help_text="failure:<failure_id> for the notifier, s3:<sha256> for S3 events.",
    )
    source = models.CharField(max_length=10)
    key = models.TextField(null=True, blank=True)
    version_id = models.CharField(max_length=MAX_KEY, null=True, blank=True)
    kind = models.CharField(max_length=MAX_KIND, help_text="The notifier's verdict or the S3 event name.")
    reason = models.CharField(max_length=MAX_REASON)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    detail = models.TextField(blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    report_count = models.PositiveIntegerField(
        default=1, help_text="How often the same failure was reported."
    )
    last_reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["pair", "occurred_at"], name="replication_event_pair_time")]

    def __str__(self):
        return f"{self.kind} {self.reason} {self.key}"


class VerificationBatch(models.Model):
    """One verification summary: how many versions of the pair one validator invocation verified."""

    pair = models.ForeignKey(BucketPair, on_delete=models.PROTECT, related_name="verifications")
    sns_message = models.OneToOneField(
        SnsMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verification",
        help_text="The delivery it came from (empty once that message outlived SNS_MESSAGE_RETENTION_DAYS).",
    )
    summary_id = models.CharField(max_length=64, unique=True)
    verified = models.PositiveIntegerField()
    reported_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["pair", "reported_at"], name="replication_verified_pair_time")]

    def __str__(self):
        return f"{self.pair}: {self.verified} verified"


class RefusalCount(models.Model):
    """Refused SNS deliveries per reason and day (the webhook's rejection counters)."""

    reason = models.CharField(max_length=40)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "reason"]
        constraints = [models.UniqueConstraint(fields=["reason", "day"], name="one_refusal_counter_per_day")]

    def __str__(self):
        return f"{self.day} {self.reason}: {self.count}"
