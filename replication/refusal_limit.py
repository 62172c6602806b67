"""Refusals per source address for the SNS hook: a source refused too often is refused at once.

Verification costs work (and, for a new certificate URL, an outbound fetch) before it can refuse.
A source that keeps sending deliveries the hook refuses (bad signatures, unknown certificate URLs,
forged allowed topics) is stopped after ``SNS_REFUSALS_PER_SOURCE`` refusals within
``SNS_REFUSAL_WINDOW_SECONDS``: until the window ends, its deliveries get 429 before any parsing or
fetching. AWS itself is refused rarely (only when misconfigured), and SNS retries later.

Counted in the shared cache (Redis in scale-out, the file cache on one machine), in fixed windows.
"""

import time

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "sns-refusals"


def _key(source: str) -> str:
    window = int(time.time() // settings.SNS_REFUSAL_WINDOW_SECONDS)
    return f"{KEY_PREFIX}:{window}:{source}"


def is_limited(source: str) -> bool:
    """Whether ``source`` has used up its refusals in the current window."""
    return (cache.get(_key(source)) or 0) >= settings.SNS_REFUSALS_PER_SOURCE


def count(source: str) -> None:
    """One more refusal for ``source`` in the current window."""
    key = _key(source)
    if not cache.add(key, 1, timeout=settings.SNS_REFUSAL_WINDOW_SECONDS * 2):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=settings.SNS_REFUSAL_WINDOW_SECONDS * 2)


def forget(source: str) -> None:
    """Drop ``source``'s count for the current window (tests; an operator unblocking a source)."""
    cache.delete(_key(source))
