"""A forger naming an allowed topic cannot make the portal fetch certificates on demand:
failed certificate URLs are remembered, and a source refused too often is refused at once."""

import pytest
from django.test import Client

from replication import webhook
from replication.sns import CertificateCache, SnsRefusal
from tests.replication.signing import CERT_URL, TOPIC_ARN, SigningAuthority, body
from tests.support.replication import HOOK, failure_document, https_message

pytestmark = pytest.mark.django_db
FORGED_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-forged-{}.pem"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failed_certificate_url_is_not_fetched_again_until_the_failure_expires():
    authority, clock = SigningAuthority(), Clock()
    certificates = CertificateCache(authority.fetch, failure_seconds=300, clock=clock)
    url = FORGED_URL.format(1)

    for _ in range(5):
        with pytest.raises(SnsRefusal) as refused:
            certificates.public_key(url)
        assert refused.value.reason == "certificate_fetch"
    assert authority.fetched == [url]

    clock.now += 301
    with pytest.raises(SnsRefusal):
        certificates.public_key(url)
    assert authority.fetched == [url, url]
    assert certificates.public_key(CERT_URL) is certificates.public_key(CERT_URL)  # good URLs unaffected
    assert authority.fetched == [url, url, CERT_URL]


def test_remembered_failures_are_bounded():
    authority = SigningAuthority()
    certificates = CertificateCache(authority.fetch, max_entries=4)
    for number in range(10):
        with pytest.raises(SnsRefusal):
            certificates.public_key(FORGED_URL.format(number))

    with pytest.raises(SnsRefusal):
        certificates.public_key(FORGED_URL.format(0))  # forgotten (least recently used): fetched again
    assert len(authority.fetched) == 11


@pytest.fixture
def forger(settings, monkeypatch):
    """Deliveries of an allowed topic, signed with a key AWS never had, naming certificate URLs that fail."""
    settings.SNS_ALLOWED_TOPIC_ARNS = [TOPIC_ARN]
    settings.SNS_REFUSALS_PER_SOURCE = 20
    real_aws = SigningAuthority()
    monkeypatch.setattr(webhook, "CERTIFICATES", CertificateCache(real_aws.fetch))
    forged = SigningAuthority()
    message = https_message(failure_document())

    def post(url: str, source: str = "127.0.0.1", **headers):
        delivery = forged.notification(message, topic_arn=TOPIC_ARN, cert_url=url)
        return Client(REMOTE_ADDR=source).post(
            HOOK, data=body(delivery), content_type="text/plain", **headers
        )

    post.fetched = real_aws.fetched
    return post


def test_the_same_forged_url_is_fetched_once(forger):
    answers = [forger(FORGED_URL.format("same")).status_code for _ in range(10)]

    assert answers == [403] * 10
    assert forger.fetched == [FORGED_URL.format("same")]


def test_a_source_refused_too_often_gets_429_before_anything_is_fetched(forger):
    answers = [forger(FORGED_URL.format(number)).status_code for number in range(25)]

    assert answers == [403] * 20 + [429] * 5
    assert len(forger.fetched) == 20
    assert forger(FORGED_URL.format("other"), source="192.0.2.7").status_code == 403  # another source
    assert len(forger.fetched) == 21


def test_behind_the_proxy_sources_are_told_apart_by_the_address_the_proxy_appended(forger, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    through_proxy = {"source": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    answers = [forger(FORGED_URL.format(number), **through_proxy).status_code for number in range(21)]

    assert answers == [403] * 20 + [429]
    other = forger(FORGED_URL.format("other"), source="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert other.status_code == 403  # another client behind the same proxy: not refused for load
