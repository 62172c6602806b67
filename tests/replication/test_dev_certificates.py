"""The development certificate fetcher (moto's certificate from the local AWS) cannot reach production.

What is real: settings, the system check framework, moto's server serving its own certificate.
"""

import boto3
import pytest
from django.core.checks import run_checks

from replication.dev_certificates import fetch_certificate, local_certificates_problem
from replication.sns import CertificateFetchError
from tests.support.common import SNS_REGION

LOCAL = "http://127.0.0.1:5005"


@pytest.mark.parametrize(
    "debug, endpoint, allowed",
    [
        (True, LOCAL, True),
        (True, "http://localhost:5005", True),
        (True, "http://[::1]:5005", True),
        (False, LOCAL, False),  # production mode
        (True, "", False),  # real AWS
        (True, "https://s3.eu-west-1.amazonaws.com", False),
        (True, "http://127.0.0.1.attacker.example:5005", False),
        (True, "http://10.0.0.5:5005", False),
    ],
)
def test_local_certificates_are_allowed_only_with_debug_and_a_loopback_endpoint(debug, endpoint, allowed):
    assert (local_certificates_problem(debug, endpoint) is None) is allowed


def test_with_debug_off_the_system_check_refuses_the_development_fetcher(settings):
    settings.DEBUG = False
    settings.AWS_ENDPOINT_URL = LOCAL
    settings.SNS_CERTIFICATES_FROM_LOCAL_AWS = True
    assert [error.id for error in run_checks() if error.id.startswith("replication.")] == ["replication.E001"]


def test_with_debug_off_the_fetcher_itself_refuses_and_never_calls_the_local_aws(settings, monkeypatch):
    """Even where checks are not run (gunicorn), a fetch with the flag on and DEBUG off is refused."""
    settings.DEBUG = False
    settings.AWS_ENDPOINT_URL = LOCAL
    settings.SNS_CERTIFICATES_FROM_LOCAL_AWS = True
    called = []
    monkeypatch.setattr("replication.dev_certificates.fetch_from_local_aws", lambda *a: called.append(a))
    with pytest.raises(CertificateFetchError, match="DEBUG is off"):
        fetch_certificate("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem")
    assert called == []


def test_with_the_flag_off_certificates_come_from_aws_over_https(settings, monkeypatch):
    settings.DEBUG = True
    settings.AWS_ENDPOINT_URL = LOCAL
    settings.SNS_CERTIFICATES_FROM_LOCAL_AWS = False
    fetched = []
    monkeypatch.setattr(
        "replication.dev_certificates.fetch_certificate_over_https", lambda url: fetched.append(url)
    )
    fetch_certificate("https://sns.eu-west-1.amazonaws.com/a.pem")
    assert fetched == ["https://sns.eu-west-1.amazonaws.com/a.pem"]
    assert not [error for error in run_checks() if error.id == "replication.E001"]


def test_in_development_the_fetcher_reads_the_certificate_moto_signed_with(settings, local_aws):
    """moto signs a publish, and serves the certificate of its signing URL only to an SNS-region request."""
    settings.DEBUG = True
    settings.SNS_CERTIFICATES_FROM_LOCAL_AWS = True
    from moto.sns.models import sns_backends

    sns = boto3.client("sns", region_name=SNS_REGION, endpoint_url=local_aws)
    topic_arn = sns.create_topic(Name="dev-certificates")["TopicArn"]
    subscription_arn = sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint="http://127.0.0.1:9/")[
        "SubscriptionArn"
    ]
    subscription = sns_backends["123456789012"][SNS_REGION].subscriptions[subscription_arn]
    url = subscription.get_post_data("m", "id", None)["SigningCertURL"]
    assert fetch_certificate(url).startswith(b"-----BEGIN CERTIFICATE-----")
    sns.delete_topic(TopicArn=topic_arn)
