"""The client's address (core.client_address): REMOTE_ADDR, or behind trusted proxies the entry the
outermost one appended to X-Forwarded-For; what the client itself sends is never believed."""

import pytest
from django.test import RequestFactory

from core.client_address import client_address

PROXY = "10.0.0.2"


def address(forwarded_for: str | None, remote: str = PROXY) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client_address(RequestFactory().get("/", **meta))


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def test_served_directly_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert address("198.51.100.1", remote="203.0.113.9") == "203.0.113.9"


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the left entry is what the client sent
        ("198.51.100.1,203.0.113.9", "203.0.113.9"),
        ("2001:DB8::1", "2001:db8::"),  # IPv6: its /64, one spelling
        ("2001:db8::ffff:1:2:3", "2001:db8::"),  # another address of the same /64
        ("2001:db8:0:1::1", "2001:db8:0:1::"),  # the next /64: another client
        ("::ffff:203.0.113.9", "203.0.113.9"),  # IPv4-mapped: the IPv4 client, not everyone's ::/64
    ],
)
def test_behind_one_proxy_the_client_is_the_entry_the_proxy_appended(behind_one_proxy, forwarded_for, client):
    assert address(forwarded_for) == client


@pytest.mark.parametrize(
    "forwarded_for",
    [
        None,  # not through the proxy
        "",
        "unknown",
        "203.0.113.9\n",  # a trailing newline is not an address
        "203.0.113.9, not-an-address",
        "２０３.０.１１３.９",  # non-ASCII digits
        "203.0.113.256",
        "203.0.113.9:443",
        "x" * 100_000,
    ],
)
def test_anything_but_an_address_in_the_trusted_entry_falls_back_to_the_proxys(
    behind_one_proxy, forwarded_for
):
    assert address(forwarded_for) == PROXY


def test_behind_two_proxies_the_client_is_second_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert address("198.51.100.1, 203.0.113.9, 10.0.0.1") == "203.0.113.9"
    assert address("203.0.113.9") == PROXY  # fewer entries than proxies: not through both


def test_served_directly_an_ipv6_client_counts_as_its_64(settings):
    """One host gets a /64 and could take a new address for every attempt at a lockout."""
    settings.TRUSTED_PROXY_COUNT = 0
    assert address(None, remote="2001:db8:1:2:aaaa::1") == address(None, remote="2001:db8:1:2:bbbb::9")
    assert address(None, remote="2001:db8:1:2::1") == "2001:db8:1:2::"
