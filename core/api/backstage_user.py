"""The API edge of Backstage identity: a Backstage caller's requester, or a 401/403/503 saying why not."""

from rest_framework import exceptions, status

from core.backstage_filing import proven_requester
from core.backstage_identity import USER_TOKEN_HEADER, IdentityRefused, IdentityUnavailable


class BackstageKeysUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Backstage's signing keys could not be fetched; try again shortly."
    default_code = "backstage-keys-unavailable"


def backstage_requester(http_request, named_requester) -> str | None:
    """The proven requester when the caller is a Backstage caller, else ``None``."""
    try:
        user_token = http_request.headers.get(USER_TOKEN_HEADER)
        return proven_requester(http_request.user, user_token, named_requester)
    except IdentityRefused as refused:
        if refused.status == status.HTTP_401_UNAUTHORIZED:
            raise exceptions.AuthenticationFailed(refused.detail, code="backstage-user-unproven") from refused
        raise exceptions.PermissionDenied(refused.detail, code="backstage-user-refused") from refused
    except IdentityUnavailable as unavailable:
        raise BackstageKeysUnavailable() from unavailable
