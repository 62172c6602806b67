"""Admin of the platform core: teams, service accounts and their API tokens, and the audit trail (read-only)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.html import format_html

from core import audit
from core.models import ApiToken, AuditEntry, ServiceAccount, Team, TokenScope
from core.tokens import account_refusal, default_expiry, expiry_refusal, issue_token, set_revoked


class AuditedDeletionMixin:
    """Deleting in the admin, one object or the bulk action, writes one audit entry per object first
    (``audit_deletion``), in the deletion's transaction."""

    def audit_deletion(self, request, obj) -> None:
        raise NotImplementedError

    @transaction.atomic
    def delete_model(self, request, obj):
        self.audit_deletion(request, obj)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.audit_deletion(request, obj)
        super().delete_queryset(request, queryset)


@admin.register(Team)
class TeamAdmin(AuditedDeletionMixin, admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["members"]

    def get_readonly_fields(self, request, obj=None):
        """A slug is written into every contract of the team: once a request names it, it stays."""
        if obj is not None and (obj.requests.exists() or obj.buckets.exists()):
            return ["slug"]
        return []

    def save_model(self, request, obj, form, change):
        renamed_from = form.initial.get("slug") if change and "slug" in form.changed_data else None
        super().save_model(request, obj, form, change)
        if renamed_from:
            audit.record(
                "core.team_renamed", actor=request.user, detail={"from": renamed_from, "to": obj.slug}
            )

    def audit_deletion(self, request, obj):
        """Deleting a team (possible only while no request or bucket names it) removes who could file for it."""
        audit.record(
            "core.team_deleted",
            actor=request.user,
            detail={"team": obj.slug, "members": sorted(obj.members.values_list("username", flat=True))},
        )

    def save_related(self, request, form, formsets, change):
        """Who may file for the team (core.filing) changes here: the added and removed members are audited."""
        team = form.instance
        before = set(team.members.values_list("username", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(team.members.values_list("username", flat=True))
        if before != after:
            audit.record(
                "core.team_members_changed",
                actor=request.user,
                detail={
                    "team": team.slug,
                    "added": sorted(after - before),
                    "removed": sorted(before - after),
                },
            )


class ApiTokenForm(forms.ModelForm):
    """A new token. ``issuer`` (the signed-in person) is set per request by the admin."""

    scopes = forms.MultipleChoiceField(choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple)
    issuer = None

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expires_at", "revoked"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "expires_at" in self.fields:
            self.fields["expires_at"].initial = default_expiry
            self.fields[
                "expires_at"
            ].help_text = f"Pre-filled with 90 days from now; at most {settings.API_TOKEN_MAX_DAYS} days (API_TOKEN_MAX_DAYS)."
        if "user" in self.fields and not self.issuer.is_superuser:
            self.fields["user"].queryset = self.fields["user"].queryset.filter(
                service_account__isnull=False, is_staff=False, is_superuser=False
            )
            self.fields["user"].help_text = "Service accounts only (a superuser marks them)."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("user") and (refusal := account_refusal(self.issuer, cleaned["user"])):
            self.add_error(refusal.field, refusal.message)
        if cleaned.get("expires_at") and (refusal := expiry_refusal(cleaned["expires_at"])):
            self.add_error(refusal.field, refusal.message)
        return cleaned


class ApiTokenChangeForm(forms.ModelForm):
    """An issued token: only ``revoked`` changes; reinstating follows the issuing rules."""

    issuer = None

    class Meta:
        model = ApiToken
        fields = ["revoked"]

    def clean(self):
        cleaned = super().clean()
        reinstated = "revoked" in self.changed_data and not cleaned.get("revoked")
        if reinstated and (refusal := account_refusal(self.issuer, self.instance.user)):
            self.add_error("revoked", refusal.message)
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here; the text is shown once, in the confirmation message."""

    list_display = ["name", "user", "scopes", "prefix", "expires_at", "revoked", "last_used_at"]
    list_filter = ["revoked"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        # An issued token can only be revoked; a new one is issued for other scopes or expiry.
        if obj is None:
            return self.readonly_fields
        return ["user", "name", "scopes", "expires_at", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        return False  # a token is revoked (audited), never deleted: its record stays for the trail

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = ApiTokenChangeForm if obj is not None else ApiTokenForm
        kwargs["form"] = type(base.__name__, (base,), {"issuer": request.user})
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            if "revoked" in form.changed_data:
                set_revoked(obj, obj.revoked, actor=request.user)
            return
        issued = issue_token(
            obj.user, obj.name, form.cleaned_data["scopes"], token=obj, issued_by=request.user
        )
        self.message_user(
            request,
            format_html("Token created. Copy it now, it is not shown again: <code>{}</code>", issued.text),
            messages.WARNING,
        )


@admin.register(ServiceAccount)
class ServiceAccountAdmin(AuditedDeletionMixin, admin.ModelAdmin):
    """The service-account marker: staff see it, only superusers set or remove it (a marked account may
    receive tokens from staff and file requests for the people it names)."""

    list_display = ["user", "purpose", "backstage_caller", "created_at"]
    list_filter = ["backstage_caller"]
    search_fields = ["user__username", "purpose"]
    autocomplete_fields = ["user"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = "core.service_account_changed" if change else "core.service_account_marked"
        _audit_marker(action, request, obj)

    def audit_deletion(self, request, obj):
        _audit_marker("core.service_account_unmarked", request, obj)


def _audit_marker(action: str, request, marker: ServiceAccount) -> None:
    """The marker decides who receives tokens from staff and files for others: every change is audited."""
    audit.record(
        action,
        actor=request.user,
        detail={
            "account": marker.user.get_username(),
            "purpose": marker.purpose,
            "backstage_caller": marker.backstage_caller,
        },
    )


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(AuditedDeletionMixin, UserAdmin):
    """Django's user admin, with what lets a person act audited: roles (groups), direct permissions,
    staff, superuser and active status. The admin's own log is not the keyed trail."""

    def save_model(self, request, obj, form, change):
        obj._access_before = _access(obj.pk) if change else {}
        super().save_model(request, obj, form, change)

    def audit_deletion(self, request, obj):
        """The trail keeps who the account was and what it could do (its tokens go with it), and the
        teams it could file for."""
        audit.record(
            "core.user_deleted",
            actor=request.user,
            detail={
                "user": obj.get_username(),
                **_access(obj.pk),
                "teams": sorted(obj.teams.values_list("slug", flat=True)),
            },
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        before, after = getattr(user, "_access_before", {}), _access(user.pk)
        changed = sorted(name for name in after if before.get(name) != after[name])
        if change and changed:
            audit.record(
                "core.user_access_changed",
                actor=request.user,
                detail={
                    "user": user.get_username(),
                    **{name: {"from": before.get(name), "to": after[name]} for name in changed},
                },
            )


admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(AuditedDeletionMixin, GroupAdmin):
    """Django's group admin, with a role's permissions audited (core.roles: a role is a group)."""

    def save_model(self, request, obj, form, change):
        obj._permissions_before = _permission_names(obj.permissions.all()) if change else []
        super().save_model(request, obj, form, change)

    def audit_deletion(self, request, obj):
        """Deleting a role (a group) takes its permissions from every member at once."""
        audit.record(
            "core.role_deleted",
            actor=request.user,
            detail={
                "role": obj.name,
                "permissions": _permission_names(obj.permissions.all()),
                "members": sorted(obj.user_set.values_list("username", flat=True)),
            },
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        group = form.instance
        before = set(getattr(group, "_permissions_before", []))
        after = set(_permission_names(group.permissions.all()))
        if before != after:
            audit.record(
                "core.role_permissions_changed",
                actor=request.user,
                detail={
                    "role": group.name,
                    "added": sorted(after - before),
                    "removed": sorted(before - after),
                },
            )


def _permission_names(permissions) -> list[str]:
    return sorted(
        f"{perm.content_type.app_label}.{perm.codename}"
        for perm in permissions.select_related("content_type")
    )


def _access(user_pk) -> dict:
    user = User.objects.prefetch_related("groups").get(pk=user_pk)
    return {
        # A rename changes who counts as the same person (core.identity): votes, requesters, filing.
        "username": user.get_username(),
        "groups": sorted(group.name for group in user.groups.all()),
        "permissions": _permission_names(user.user_permissions.all()),
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "is_active": user.is_active,
    }


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
    readonly_fields = [
        "timestamp",
        "actor",
        "action",
        "request_id",
        "bucket_name",
        "environment",
        "detail",
        "previous_hash",
        "entry_hash",
    ]
    actions = None

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("core.view_auditentry")
