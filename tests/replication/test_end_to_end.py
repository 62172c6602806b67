"""moto's SNS delivers the notifier's message to the portal running on a live server; it ends as an incident.

What is real: moto server (SNS signs the delivery with its own key and certificate, SignatureVersion 2,
POSTs it synchronously on Publish), the portal's webhook in pytest-django's live server thread, the
strict certificate-URL check (moto names https://sns.<region>.amazonaws.com/…pem), the signature
check, storage, the worker's drain (run in this process after the publishes) and the health page.
What is replaced, and why: the certificate *fetcher*. moto's
certificate cannot be fetched from sns.<region>.amazonaws.com here (no network), so the fetcher asks
moto's own endpoint for the same path. The notifier's message building is the Lambda's code;
publishing happens here without a Subject because moto leaves Subject out of what it signs.
"""

import json
from urllib.parse import urlsplit

import pytest

from lambdas.failure_notifier.message import message_attributes, sns_message
from replication.models import Incident, RefusalCount, ReplicationEvent
from replication.processing import process_pending
from tests.support.common import SNS_REGION as REGION
from tests.support.replication import failure_document, make_catalog_entry


@pytest.mark.django_db(transaction=True)
def test_a_notifier_failure_published_through_moto_sns_becomes_an_incident_on_the_health_page(topic, client):
    from tests.support.common import make_user

    sns, topic_arn, fetched = topic
    make_catalog_entry("orders-prod")
    document = failure_document()
    publish = dict(
        TopicArn=topic_arn,
        Message=sns_message(document),
        MessageStructure="json",
        MessageAttributes=message_attributes(document),
    )  # no Subject: see the module docstring

    sns.publish(**publish)
    sns.publish(**publish)  # the notifier reporting the same failure again
    assert process_pending() == 2

    event = ReplicationEvent.objects.get()
    assert event.dedupe_key == "failure:" + document["failure_id"] and event.report_count == 2
    assert json.loads(event.sns_message.raw["Message"])["failure_id"] == document["failure_id"]
    incident = Incident.objects.get()
    assert (incident.state, incident.reason, incident.pair.catalog_entry.bucket_name) == (
        "open",
        "CONTENT_MISMATCH",
        "orders-prod",
    )
    assert len(fetched) >= 1 and all(urlsplit(u).hostname == f"sns.{REGION}.amazonaws.com" for u in fetched)

    client.force_login(make_user("ops", "platform-approvers", is_staff=True))
    page = client.get("/replication/").content.decode()
    assert "orders-prod-replica" in page and '<span class="badge bad">failing</span>' in page


@pytest.mark.django_db(transaction=True)
def test_a_delivery_from_a_topic_outside_the_allow_list_is_refused(topic, local_aws, settings):
    sns, topic_arn, _ = topic
    settings.SNS_ALLOWED_TOPIC_ARNS = ["arn:aws:sns:eu-west-1:123456789012:another-topic"]
    sns.publish(TopicArn=topic_arn, Message=sns_message(failure_document()), MessageStructure="json")
    assert ReplicationEvent.objects.count() == 0
    assert dict(RefusalCount.objects.values_list("reason", "count")) == {"topic_not_allowed": 1}
