"""The client's address, one rule for everything that counts per address (login lockout, the SNS hook).

Directly served, it is ``REMOTE_ADDR``. Behind ``TRUSTED_PROXY_COUNT`` proxies that each append the
address they saw to ``X-Forwarded-For`` (nginx's ``$proxy_add_x_forwarded_for``, an AWS load balancer,
Caddy and Traefik by default), ``REMOTE_ADDR`` is the innermost proxy's and the client is the entry
the outermost trusted proxy appended: the ``TRUSTED_PROXY_COUNT``-th from the right. Entries left of
it are what the client itself sent, so they are never read. A header with fewer entries (a request
that did not come through the proxies) or an entry that is not an address falls back to
``REMOTE_ADDR``. An IPv6 client counts as its /64: one host or customer gets a whole /64 and can take a
new address from it for every attempt (an IPv4-mapped address counts as the IPv4 address). Written here
rather than taken from django-ipware: see docs/decisions/portal-client-address.md.
"""

import ipaddress

from django.conf import settings

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def client_address(request) -> str:
    remote = _counted(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = request.META.get(FORWARDED_FOR, "").split(",")
    if len(hops) < proxies:
        return remote
    return _counted(hops[-proxies].strip(" \t")) or remote


def _counted(text: str) -> str:
    """The address as counted: IPv4 as is, IPv6 as its /64; "" when ``text`` is not an address."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return ""
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
