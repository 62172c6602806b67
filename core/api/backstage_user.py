"""The API edge of Backstage identity: a Backstage caller's requester, or a 401/403/503 saying why not."""

from rest_framework import exceptions, status

from core.api.permissions import token_of
from core.backstage_identity import USER_TOKEN_HEADER, IdentityRefused, IdentityUnavailable, proven_requester


class BackstageKeysUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Backstage's signing keys could not be fetched; try again shortly."
    default_code = "backstage-keys-unavailable"


def backstage_requester(http_request, named_requester) -> str | None:
    """The proven requester when the caller's token is a Backstage caller's, else ``None``."""
    try:
        return proven_requester(token_of(http_request), http_request.headers.get(USER_TOKEN_HEADER),
                                named_requester)
    except IdentityRefused as refused:
        if refused.status == status.HTTP_401_UNAUTHORIZED:
            raise exceptions.AuthenticationFailed(refused.detail, code="backstage-user-unproven") from refused
        raise exceptions.PermissionDenied(refused.detail, code="backstage-user-refused") from refused
    except IdentityUnavailable as unavailable:
        raise BackstageKeysUnavailable() from unavailable
