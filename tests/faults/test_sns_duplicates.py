"""1,000 signed SNS deliveries of which 100 are redeliveries: every message and event is stored once.

SNS delivers at least once: a redelivery repeats the envelope byte for byte (same MessageId).
Deliveries go through the real webhook (signature, topic, age checks, storage) via Django's test
client, then the worker's drain runs once in this process, as after a burst; only the certificate
fetch is served locally (tests/replication/signing.py). The same burst against a live server with
a real worker cluster: tests/replication/test_sns_burst.py.
"""

import random

import pytest

from replication.models import Incident, ReplicationEvent, SnsMessage
from replication.processing import process_pending
from tests.support.replication import failure_document, https_message

pytestmark = pytest.mark.django_db

DISTINCT = 900
REDELIVERED = 100


def test_a_thousand_deliveries_with_ten_percent_duplicates_are_stored_once_each(hook, authority):
    originals = [
        authority.notification(https_message(failure_document(key=f"objects/{number}.csv")))
        for number in range(DISTINCT)
    ]
    shuffler = random.Random(9)
    deliveries = originals + shuffler.sample(originals, REDELIVERED)
    shuffler.shuffle(deliveries)

    answers = [hook(envelope, process=False) for envelope in deliveries]

    assert {response.status_code for response in answers} == {200}
    statuses = [response.json()["status"] for response in answers]
    assert (statuses.count("accepted"), statuses.count("duplicate")) == (DISTINCT, REDELIVERED)
    assert process_pending() == DISTINCT
    assert process_pending() == 0  # processed once: nothing pending is left
    assert SnsMessage.objects.count() == DISTINCT
    assert set(SnsMessage.objects.values_list("outcome", flat=True)) == {"stored"}
    assert set(SnsMessage.objects.values_list("message_id", flat=True)) == {e["MessageId"] for e in originals}
    assert ReplicationEvent.objects.count() == DISTINCT
    assert ReplicationEvent.objects.filter(report_count=1).count() == DISTINCT
    assert Incident.objects.get().event_count == DISTINCT
