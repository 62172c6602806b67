"""Read-only admin views: deliveries, events, verification summaries, incidents (decided on the incident
page), refusals."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from replication.models import (
    BucketPair,
    Incident,
    RefusalCount,
    ReplicationEvent,
    SnsMessage,
    VerificationBatch,
)


@admin.register(SnsMessage)
class SnsMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("message_id", "type", "topic_arn", "outcome", "sent_at", "received_at", "processed_at")
    list_filter = ("type", "outcome")
    search_fields = ("message_id", "topic_arn")


@admin.register(BucketPair)
class BucketPairAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("primary_bucket", "replica_bucket", "catalog_entry", "last_event_at", "last_failure_at")
    list_select_related = ("catalog_entry",)
    search_fields = ("primary_bucket", "replica_bucket")


@admin.register(ReplicationEvent)
class ReplicationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "pair", "kind", "reason", "severity", "key", "report_count")
    list_select_related = ("pair",)
    list_filter = ("severity", "kind", "source")
    search_fields = ("key", "pair__primary_bucket", "dedupe_key")


@admin.register(VerificationBatch)
class VerificationBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("reported_at", "pair", "verified", "summary_id")
    list_select_related = ("pair",)
    search_fields = ("pair__primary_bucket", "summary_id")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "pair", "reason", "severity", "state", "event_count", "last_event_at")
    list_select_related = ("pair",)
    list_filter = ("state", "severity")


@admin.register(RefusalCount)
class RefusalCountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "reason", "count")
    list_filter = ("reason",)
