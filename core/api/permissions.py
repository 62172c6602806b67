"""Who may call what: a token's scope AND its account's permission; sessions need the permission."""

from rest_framework.permissions import BasePermission

from core.models import ApiToken


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def scoped_permission(scope: str, permission: str | None = None):
    """A DRF permission: a token needs ``scope``; every caller needs ``permission`` (if given)."""
    class ScopePermission(BasePermission):
        message = f"This needs the '{scope}' scope" + (f" and the {permission} permission." if permission else ".")

        def has_permission(self, request, view):
            if not (request.user and request.user.is_authenticated):
                return False
            token = token_of(request)
            if token is not None and scope not in token.scopes:
                return False
            return permission is None or request.user.has_perm(permission)

    ScopePermission.__name__ = f"Can{scope.title()}" + (permission.split(".")[-1].title() if permission else "")
    return ScopePermission


CanRead = scoped_permission("read")
CanSubmit = scoped_permission("submit", "requests_app.submit_bucketrequest")
# Deciding checks the approver permission itself (requests_app.approvals), with the other rules.
CanApprove = scoped_permission("approve")
CanReadAudit = scoped_permission("read", "core.view_auditentry")
CanExportAudit = scoped_permission("read", "core.export_auditentry")
