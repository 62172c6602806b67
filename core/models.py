"""Data of the platform core: teams (who owns what), service-account API tokens and the audit trail
(an append-only chain, see ``core.audit``).

The tables keep the names they had in ``requests_app`` (the models moved, the data did not).
"""

from django.conf import settings
from django.db import models


class Team(models.Model):
    """An owning team. Teams are data the platform team manages (in the admin)."""

    slug = models.SlugField(max_length=63, unique=True, help_text="As used in contracts, e.g. app-team.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")

    class Meta:
        db_table = "requests_app_team"
        ordering = ["slug"]

    def __str__(self):
        return self.slug


class TokenScope(models.TextChoices):
    READ = "read", "Read requests, catalog and audit"
    SUBMIT = "submit", "Submit and preview requests"
    APPROVE = "approve", "Approve and reject requests, cancel and retry runs"


class ApiToken(models.Model):
    """A service account's API credential. Only a SHA-256 of the secret is stored.

    The token text is ``bw_<prefix>_<secret>``; ``prefix`` finds the row, the hash proves
    the secret. Written through ``core.tokens`` (the admin shows the text once).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The service account the token acts as.",
    )
    name = models.CharField(max_length=100, help_text="What uses it, e.g. backstage-prod.")
    scopes = models.JSONField(default=list, help_text="Any of: read, submit, approve.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(help_text="The token stops working at this time.")
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "requests_app_apitoken"
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} (bw_{self.prefix}_…)"


class ServiceAccount(models.Model):
    """Marks an account as a service account (Backstage, a script), not a person.

    Staff may issue API tokens only for service accounts; only superusers mark accounts (admin).
    A service account files requests for the person it names (``core.filing``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="service_account"
    )
    purpose = models.CharField(max_length=200, help_text="What uses this account, e.g. Backstage (prod).")
    backstage_caller = models.BooleanField(
        default=False,
        verbose_name="Backstage caller",
        help_text="The account the Backstage proxy's token belongs to: what it submits must carry the "
        "signed-in Backstage user's token (Backstage-User-Token header), and it files only for "
        "that user (core.backstage_filing).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]
        permissions = [("file_for_any_team", "Can file requests for people of any team")]

    def __str__(self):
        return self.user.get_username()


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit entries are append-only; they cannot be updated.")

    def delete(self):
        raise PermissionError("Audit entries are append-only; they cannot be deleted.")


class AuditEntry(models.Model):
    """One link of the audit chain. Written only through ``core.audit.record``."""

    timestamp = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    request_id = models.CharField(max_length=20, blank=True, db_index=True)
    bucket_name = models.CharField(max_length=255, blank=True)
    environment = models.CharField(max_length=16, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="Id of the key whose HMAC entry_hash is; empty for legacy (unkeyed) entries.",
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had in requests_app (moved with SeparateDatabaseAndState).
        db_table = "requests_app_auditentry"
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        permissions = [("export_auditentry", "Can export the audit trail")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only; they cannot be deleted.")

    def __str__(self):
        return f"#{self.pk} {self.action} {self.request_id}"


class AuditChainLock(models.Model):
    """Lock rows: every append locks row 1, so two writers never link to the same predecessor;
    creating a checkpoint locks row 2, so two never take the same sequence number."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)

    def __str__(self):
        return "audit chain lock"


class AuditCheckpoint(models.Model):
    """A checkpoint of the audit chain, as written (or still to be written) to the Object Lock bucket.

    The bucket holds the proof; this row is the portal's record of what it wrote: the exact
    document (so a retry writes the same bytes), and whether and when the write succeeded.
    Written through ``core.audit_checkpoints``.
    """

    sequence = models.PositiveIntegerField(unique=True)
    reason = models.CharField(max_length=16)
    entry_count = models.PositiveBigIntegerField()
    head_entry_id = models.PositiveBigIntegerField()
    document = models.TextField(help_text="The signed JSON document, byte for byte as written to the bucket.")
    checkpoint_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    written_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["sequence"]

    def __str__(self):
        return f"checkpoint #{self.sequence} ({self.entry_count} entries)"
