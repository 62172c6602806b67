"""Subscription handshakes: confirmed with AWS (moto server) only for an allowed topic; unsubscribe never followed."""

import boto3
import pytest

from core.models import AuditEntry
from replication import aws
from replication.models import RefusalCount, SnsMessage
from tests.replication.signing import OTHER_TOPIC_ARN, TOPIC_ARN

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmations(monkeypatch):
    """Records each call and passes it on to the real confirmation (against moto)."""
    calls = []
    real = aws.confirm_subscription

    def recording(topic_arn, token):
        calls.append((topic_arn, token))
        real(topic_arn, token)

    monkeypatch.setattr(aws, "confirm_subscription", recording)
    return calls


@pytest.fixture
def allowed_topic(local_aws):
    """The allowed topic exists in the local AWS (moto refuses to confirm for a missing topic)."""
    region = TOPIC_ARN.split(":")[3]
    sns = boto3.client("sns", region_name=region, endpoint_url=local_aws)
    assert sns.create_topic(Name=TOPIC_ARN.rsplit(":", 1)[1])["TopicArn"] == TOPIC_ARN
    yield TOPIC_ARN
    sns.delete_topic(TopicArn=TOPIC_ARN)


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_subscription_confirmation_for_an_allowed_topic_is_confirmed_with_aws(
    hook, authority, allowed_topic, confirmations, version
):
    envelope = authority.confirmation(version=version)
    response = hook(envelope)
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    assert confirmations == [(TOPIC_ARN, envelope["Token"])]
    assert SnsMessage.objects.get().outcome == "confirmed"
    assert AuditEntry.objects.filter(action="replication.sns_subscription_confirmed").count() == 1
    assert hook(envelope).json()["status"] == "duplicate" and len(confirmations) == 1


def test_a_subscription_confirmation_for_another_topic_is_refused_and_not_confirmed(
    hook, authority, local_aws, confirmations
):
    response = hook(authority.confirmation(topic_arn=OTHER_TOPIC_ARN))
    assert response.status_code == 403 and response.json()["reason"] == "topic_not_allowed"
    assert confirmations == [] and SnsMessage.objects.count() == 0
    assert RefusalCount.objects.get().reason == "topic_not_allowed"


def test_a_confirmation_aws_refuses_is_answered_502_and_nothing_is_stored(hook, authority, local_aws):
    response = hook(authority.confirmation())  # the topic does not exist in the local AWS
    assert response.status_code == 502 and response.json()["reason"] == "confirmation_failed"
    assert SnsMessage.objects.count() == 0


def test_an_unsubscribe_confirmation_is_recorded_and_never_followed(hook, authority, confirmations):
    response = hook(authority.confirmation("UnsubscribeConfirmation"))
    assert response.status_code == 200 and response.json()["status"] == "unsubscribed"
    assert confirmations == []
    assert AuditEntry.objects.filter(action="replication.sns_unsubscribe_recorded").count() == 1
