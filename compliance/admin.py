from django.contrib import admin

from compliance.models import BucketCompliance, Finding, RunVerification
from core.admin import ReadOnlyAdminMixin


@admin.register(BucketCompliance)
class BucketComplianceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "state", "open_findings", "checked_at", "reason"]
    list_filter = ["state"]
    search_fields = ["entry__bucket_name"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "field", "status", "first_seen_at", "last_seen_at", "cleared_at"]
    list_filter = ["status"]
    search_fields = ["entry__bucket_name", "field"]


@admin.register(RunVerification)
class RunVerificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["run", "verified", "state", "checked_at"]
    list_filter = ["verified", "state"]
