"""Who may call what: a token's scope AND its account's permission; sessions need the permission."""

from rest_framework.permissions import BasePermission

from requests_app.models import ApiToken


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def _scoped(scope: str, permission: str | None = None):
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


CanRead = _scoped("read")
CanSubmit = _scoped("submit", "requests_app.submit_bucketrequest")
# Deciding checks the approver permission itself (requests_app.approvals), with the other rules.
CanApprove = _scoped("approve")
CanReadAudit = _scoped("read", "requests_app.view_auditentry")
CanExportAudit = _scoped("read", "requests_app.export_auditentry")
