"""Rate limit for token clients, counted per token in the shared cache (all web processes)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core.api.permissions import token_of


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api-token"

    def get_rate(self):
        return settings.API_TOKEN_THROTTLE_RATE

    def get_cache_key(self, request, view):
        token = token_of(request)
        if token is None:
            return None  # browsers on a session are not throttled here
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
