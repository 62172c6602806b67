"""The SNS verifier as a plain function: every acceptance and refusal path, both signature versions."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from replication.sns import (
    CertificateCache,
    SnsRefusal,
    SnsVerifier,
    string_to_sign,
    validate_certificate_url,
)
from tests.replication.signing import CERT_URL, OTHER_TOPIC_ARN, TOPIC_ARN, SigningAuthority, body


@pytest.fixture(scope="module")
def authority():
    return SigningAuthority()


@pytest.fixture
def verifier(authority):
    return SnsVerifier(
        allowed_topic_arns=frozenset({TOPIC_ARN}),
        max_body_bytes=64 * 1024,
        max_age=timedelta(hours=1),
        certificates=CertificateCache(authority.fetch),
    )


def refusal(verifier, raw: bytes) -> SnsRefusal:
    with pytest.raises(SnsRefusal) as caught:
        verifier.verify(raw)
    return caught.value


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_notification_is_accepted_with_either_signature_version(authority, verifier, version):
    envelope = authority.notification('{"hello": "world"}', version=version, subject="Hi")
    verified = verifier.verify(body(envelope))
    assert verified.type == "Notification"
    assert verified.message == '{"hello": "world"}'
    assert verified.topic_arn == TOPIC_ARN and verified.subject == "Hi"


@pytest.mark.parametrize("kind", ["SubscriptionConfirmation", "UnsubscribeConfirmation"])
@pytest.mark.parametrize("version", ["1", "2"])
def test_confirmations_are_verified_over_their_own_fields(authority, verifier, kind, version):
    verified = verifier.verify(body(authority.confirmation(kind, version=version)))
    assert verified.type == kind and verified.token.startswith("token-")


def test_the_string_to_sign_leaves_out_an_absent_subject():
    envelope = {"Type": "Notification", "Message": "m", "MessageId": "i", "Timestamp": "t", "TopicArn": "a"}
    assert (
        string_to_sign(envelope)
        == b"Message\nm\nMessageId\ni\nTimestamp\nt\nTopicArn\na\nType\nNotification\n"
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("Message", '{"hello": "mallory"}'),
        ("MessageId", "another-id"),
        ("Timestamp", None),  # replaced below by a fresh but different time
        ("Subject", "Added subject"),
        ("Type", "SubscriptionConfirmation"),
    ],
)
def test_a_tampered_signed_field_is_refused_as_a_bad_signature(authority, verifier, field, value):
    envelope = authority.notification('{"hello": "world"}')
    if field == "Timestamp":
        value = (datetime.now(UTC) - timedelta(seconds=7)).isoformat()
    envelope[field] = value
    if field == "Type":
        envelope.update(Token="t", SubscribeURL="https://sns.eu-west-1.amazonaws.com/")
    caught = refusal(verifier, body(envelope))
    assert (caught.status, caught.reason) == (403, "bad_signature")


def test_a_signature_by_another_key_is_refused(verifier):
    impostor = SigningAuthority()
    caught = refusal(verifier, body(impostor.notification("x")))
    assert (caught.status, caught.reason) == (403, "bad_signature")


def test_a_topic_outside_the_allow_list_is_refused_even_when_signed(authority, verifier):
    caught = refusal(verifier, body(authority.notification("x", topic_arn=OTHER_TOPIC_ARN)))
    assert (caught.status, caught.reason) == (403, "topic_not_allowed")


def test_a_topic_outside_the_allow_list_costs_no_certificate_fetch(authority, verifier):
    authority.fetched.clear()
    refusal(verifier, body(authority.notification("x", topic_arn=OTHER_TOPIC_ARN)))
    assert authority.fetched == []


def test_a_stale_timestamp_is_refused(authority, verifier):
    old = datetime.now(UTC) - timedelta(hours=2)
    caught = refusal(verifier, body(authority.notification("x", timestamp=old)))
    assert (caught.status, caught.reason) == (403, "stale_timestamp")


def test_a_timestamp_in_the_future_is_refused(authority, verifier):
    ahead = datetime.now(UTC) + timedelta(minutes=30)
    caught = refusal(verifier, body(authority.notification("x", timestamp=ahead)))
    assert (caught.status, caught.reason) == (403, "future_timestamp")


def test_a_null_subject_is_signed_as_absent(authority, verifier):
    envelope = authority.sign({**authority.notification("x"), "Subject": None})
    assert verifier.verify(body(envelope)).subject == ""


def test_a_subject_that_is_not_a_string_is_refused_with_400(authority, verifier):
    envelope = {**authority.notification("x"), "Subject": ["not", "text"]}
    caught = refusal(verifier, body(envelope))
    assert (caught.status, caught.reason) == (400, "bad_field")


def test_an_unknown_signature_version_is_refused(authority, verifier):
    envelope = authority.notification("x")
    envelope["SignatureVersion"] = "3"
    assert refusal(verifier, body(envelope)).reason == "signature_version"


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/SimpleNotificationService-test.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/x.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-test.pem",
        "https://user@sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem",
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem?x=1",
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem#x",
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.txt",
        "https://s3.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem",
        "https://sns.x.amazonaws.com/SimpleNotificationService-test.pem",
        "https://sns.eu-west-1.amazonaws.com:notaport/x.pem",
    ],
)
def test_a_certificate_url_that_is_not_strictly_an_sns_host_is_refused_without_fetching(
    authority, verifier, url
):
    authority.fetched.clear()
    caught = refusal(verifier, body(authority.notification("x", cert_url=url)))
    assert (caught.status, caught.reason) == (403, "certificate_url")
    assert authority.fetched == []


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
        "https://sns.us-gov-west-1.amazonaws.com:443/SimpleNotificationService-abc.pem",
    ],
)
def test_real_aws_certificate_urls_pass_the_strict_check(url):
    validate_certificate_url(url)


def test_the_certificate_is_fetched_once_and_cached(authority, verifier):
    authority.fetched.clear()
    for _ in range(3):
        verifier.verify(body(authority.notification("x")))
    assert authority.fetched == [CERT_URL]


def test_a_certificate_that_cannot_be_fetched_is_refused(verifier, authority):
    url = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-missing.pem"
    caught = refusal(verifier, body(authority.notification("x", cert_url=url)))
    assert (caught.status, caught.reason) == (403, "certificate_fetch")


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"[1, 2]", "malformed_json"),
        (b'{"Type": "Advert"}', "unknown_type"),
        (json.dumps({"Type": "Notification", "Message": "m"}).encode(), "missing_field"),
    ],
)
def test_malformed_bodies_are_refused_with_400(verifier, raw, reason):
    caught = refusal(verifier, raw)
    assert (caught.status, caught.reason) == (400, reason)


def test_a_body_over_the_limit_is_refused_with_413(authority, verifier):
    caught = refusal(verifier, body(authority.notification("x" * 70 * 1024)))
    assert (caught.status, caught.reason) == (413, "body_too_large")
