"""The client's address, one rule for everything that counts per address (login lockout, the SNS hook).

Directly served, it is ``REMOTE_ADDR``. Behind ``TRUSTED_PROXY_COUNT`` proxies that each append the
address they saw to ``X-Forwarded-For`` (nginx's ``$proxy_add_x_forwarded_for``, an AWS load balancer,
Caddy and Traefik by default), ``REMOTE_ADDR`` is the innermost proxy's and the client is the entry
the outermost trusted proxy appended: the ``TRUSTED_PROXY_COUNT``-th from the right. Entries left of
it are what the client itself sent, so they are never read. A header with fewer entries (a request
that did not come through the proxies) or an entry that is not an address falls back to
``REMOTE_ADDR``. Written here rather than taken from django-ipware: see
docs/decisions/portal-client-address.md.
"""

import ipaddress

from django.conf import settings

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = request.META.get(FORWARDED_FOR, "").split(",")
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies].strip(" \t")))
    except ValueError:
        return remote
