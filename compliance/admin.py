from django.contrib import admin

from compliance.models import BucketCompliance, Finding, RunVerification


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the checks; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BucketCompliance)
class BucketComplianceAdmin(ReadOnlyAdmin):
    list_display = ["entry", "state", "open_findings", "checked_at", "reason"]
    list_filter = ["state"]
    search_fields = ["entry__bucket_name"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["entry", "field", "status", "first_seen_at", "last_seen_at", "cleared_at"]
    list_filter = ["status"]
    search_fields = ["entry__bucket_name", "field"]


@admin.register(RunVerification)
class RunVerificationAdmin(ReadOnlyAdmin):
    list_display = ["run", "verified", "state", "checked_at"]
    list_filter = ["verified", "state"]
