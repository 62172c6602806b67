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
        # The prefix, not the row id: ids come back (a restored database, a rolled-back test), and a new
        # token must not inherit an old one's count.
        return self.cache_format % {"scope": self.scope, "ident": token.prefix}
