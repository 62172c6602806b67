"""Admin of the platform core: teams, service-account API tokens, and the audit trail (read-only)."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from core.models import ApiToken, AuditEntry, Team, TokenScope
from core.tokens import issue_token, set_revoked


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["members"]


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expires_at", "backstage_caller", "revoked"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here; the text is shown once, in the confirmation message."""

    form = ApiTokenForm
    list_display = ["name", "user", "scopes", "backstage_caller", "prefix", "expires_at", "revoked",
                    "last_used_at"]
    list_filter = ["revoked", "backstage_caller"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        # An issued token can only be revoked; a new one is issued for other scopes or expiry.
        if obj is None:
            return self.readonly_fields
        return ["user", "name", "scopes", "expires_at", "backstage_caller", *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            if "revoked" in form.changed_data:
                set_revoked(obj, obj.revoked, actor=request.user)
            return
        issued = issue_token(obj.user, obj.name, form.cleaned_data["scopes"], token=obj, issued_by=request.user)
        self.message_user(request, format_html(
            "Token created. Copy it now, it is not shown again: <code>{}</code>", issued.text), messages.WARNING)


class ReadOnlyAdminMixin:
    """Shown, never added, changed or deleted in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "timestamp", "actor", "action", "request_id", "environment"]
    list_filter = ["environment", "action"]
    search_fields = ["request_id", "actor", "bucket_name"]
    readonly_fields = ["timestamp", "actor", "action", "request_id", "bucket_name", "environment", "detail",
                       "previous_hash", "entry_hash"]
    actions = None

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("core.view_auditentry")
