"""``Authorization: Bearer bw_...``: service-account tokens for Backstage and scripts."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.tokens import TOKEN_MARK, InvalidToken, authenticate_token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, text = header.partition(" ")
        if scheme != self.keyword or not text.strip().startswith(TOKEN_MARK):
            return None  # not ours: let session authentication try
        try:
            token = authenticate_token(text.strip())
        except InvalidToken as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="bucketwise"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the token scheme in the OpenAPI schema."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "bw_<prefix>_<secret>",
            "description": "A service-account token created in the admin (shown once), with scopes "
            "read, submit and/or approve and an expiry.",
        }
