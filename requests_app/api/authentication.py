"""``Authorization: Bearer bw_...``: service-account tokens for Backstage and scripts."""

from rest_framework import authentication, exceptions

from requests_app.tokens import TOKEN_MARK, InvalidToken, authenticate_token


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
