"""The hook stores and answers; a worker builds events and incidents later, once, in order per pair.

What is real: the webhook (signature, storage), the drain (``replication.processing``), the database's
locks, the broker of this run (ORM or Redis) and, where stated, a worker cluster (``manage.py
qcluster``). The burst through a live server: test_sns_burst.py.
"""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Schedule

from core.models import AuditEntry
from lambdas.shared.verdicts import Reason
from replication import processing
from replication.models import BucketPair, Incident, ReplicationEvent, SnsMessage
from tests.replication.signing import body
from tests.support.common import make_user
from tests.support.replication import HOOK, failure_document, https_message

pytestmark = pytest.mark.django_db


def notify(authority, key="a/b.csv", primary="orders-prod", sent=None, **changes):
    document = failure_document(primary=primary, replica=primary + "-replica", key=key, **changes)
    return authority.notification(https_message(document), timestamp=sent)


def test_the_hook_stores_a_pending_message_with_its_pair_and_builds_nothing(hook, authority):
    response = hook(notify(authority), process=False)

    assert response.status_code == 200 and response.json() == {"status": "accepted"}
    message = SnsMessage.objects.get()
    assert (message.outcome, message.processed_at) == ("pending", None)
    assert (message.primary_bucket, message.replica_bucket) == ("orders-prod", "orders-prod-replica")
    assert ReplicationEvent.objects.count() == 0 and Incident.objects.count() == 0

    assert processing.process_pending() == 1
    message.refresh_from_db()
    assert message.outcome == "stored" and message.processed_at is not None
    assert ReplicationEvent.objects.get().sns_message == message
    assert Incident.objects.get().event_count == 1


def test_processing_twice_creates_nothing_twice(hook, authority):
    envelope = notify(authority)
    hook(envelope, process=False)
    hook(notify(authority, key="other"), process=False)

    assert processing.process_pending() == 2
    assert processing.process_pending() == 0
    assert hook(envelope).json()["status"] == "duplicate"  # a redelivery of a processed message
    assert ReplicationEvent.objects.filter(report_count=1).count() == 2
    assert Incident.objects.get().event_count == 2


def test_within_one_batch_a_republished_failure_is_a_report_and_incidents_count_each_new_event(
    hook, authority
):
    message = https_message(failure_document(key="twice"))
    first, again = authority.notification(message), authority.notification(message)  # same failure_id
    for envelope in (first, again, notify(authority, key="other")):
        hook(envelope, process=False)
    hook(notify(authority, key="size", reason=Reason.SIZE_MISMATCH), process=False)
    hook(notify(authority, key="late", primary="orders-prod"), process=False)

    assert processing.process_pending() == 5  # one batch

    outcomes = dict(SnsMessage.objects.values_list("message_id", "outcome"))
    assert (outcomes[first["MessageId"]], outcomes[again["MessageId"]]) == ("stored", "repeated")
    assert ReplicationEvent.objects.get(key="twice").report_count == 2
    assert dict(Incident.objects.values_list("reason", "event_count")) == {
        "CONTENT_MISMATCH": 3,
        "SIZE_MISMATCH": 1,
    }
    assert AuditEntry.objects.filter(action="replication.incident_opened").count() == 2
    assert set(ReplicationEvent.objects.values_list("incident__reason", "reason")) == {
        ("CONTENT_MISMATCH", "CONTENT_MISMATCH"),
        ("SIZE_MISMATCH", "SIZE_MISMATCH"),
    }

    hook(notify(authority, key="next batch"))  # joins the open incident
    assert Incident.objects.get(reason="CONTENT_MISMATCH").event_count == 4


def test_one_pairs_messages_are_processed_in_order_of_their_sns_timestamp_then_arrival(hook, authority):
    start = datetime.now(UTC) - timedelta(minutes=5)
    arrivals = [("third", 2), ("first", 0), ("second-a", 1), ("second-b", 1)]  # (key, minutes after start)
    for key, minutes in arrivals:
        hook(notify(authority, key=key, sent=start + timedelta(minutes=minutes)), process=False)
    hook(notify(authority, key="elsewhere", primary="logs-prod", sent=start), process=False)

    processing.process_pending(batch_size=2)  # batches of two: the order holds across batches

    keys = list(
        ReplicationEvent.objects.filter(pair__primary_bucket="orders-prod")
        .order_by("pk")
        .values_list("key", flat=True)
    )
    assert keys == ["first", "second-a", "second-b", "third"]
    assert ReplicationEvent.objects.get(pair__primary_bucket="logs-prod").key == "elsewhere"


def test_a_stored_message_the_worker_cannot_read_is_kept_as_unreadable_and_its_pair_goes_on(hook, authority):
    envelope = notify(authority, key="first")
    hook(envelope, process=False)
    hook(notify(authority, key="second"), process=False)
    first = SnsMessage.objects.get(message_id=envelope["MessageId"])
    first.raw = {**first.raw, "Message": "no longer understood"}
    first.save()

    assert processing.process_pending() == 2
    first.refresh_from_db()
    assert first.outcome == "unreadable" and first.processed_at is not None
    assert list(ReplicationEvent.objects.values_list("key", flat=True)) == ["second"]


def test_a_message_that_cannot_be_processed_is_kept_as_unreadable_and_nothing_waits_on_it(
    hook, authority, caplog
):
    """A damaged row (its envelope lost the Message: a KeyError, not an unreadable message) rolls its
    pair's batch back; the pair is processed again one message at a time, the damaged one is kept as
    unreadable with the reason in the log (never retried forever), its pair's other message and every
    other pair are processed, and the drain ends (the flag cleared)."""
    from django.core.cache import cache

    broken = notify(authority, key="broken", primary="orders-prod")
    hook(broken, process=False)
    hook(notify(authority, key="after", primary="orders-prod"), process=False)
    hook(notify(authority, key="fine", primary="billing-prod"), process=False)
    SnsMessage.objects.filter(message_id=broken["MessageId"]).update(raw={})
    cache.add(processing.DRAIN_FLAG, "queued")

    assert processing.process_pending() == 3
    assert sorted(ReplicationEvent.objects.values_list("key", flat=True)) == ["after", "fine"]
    damaged = SnsMessage.objects.get(message_id=broken["MessageId"])
    assert damaged.outcome == "unreadable" and damaged.processed_at is not None
    assert not SnsMessage.objects.filter(outcome="pending").exists()
    assert "cannot be processed: kept as unreadable" in caplog.text
    assert cache.get(processing.DRAIN_FLAG) is None
    assert processing.process_pending() == 0  # nothing left to retry


def test_a_message_whose_hand_over_was_lost_is_drained_by_the_schedule(hook, authority):
    # In a test transaction nothing is committed, so no hand-over happens: as if the process died
    # between its commit and the broker.
    hook(notify(authority), process=False)
    schedule = Schedule.objects.get(name="replication-drain")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "replication.tasks.process_pending",
        Schedule.MINUTES,
        1,
    )

    from replication.tasks import process_pending

    assert process_pending() == 1 and ReplicationEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_burst_hands_over_one_drain_after_its_commit_not_one_per_delivery(authority, settings, monkeypatch):
    from replication import webhook
    from replication.sns import CertificateCache
    from tests.replication.signing import TOPIC_ARN

    settings.SNS_ALLOWED_TOPIC_ARNS = [TOPIC_ARN]
    monkeypatch.setattr(webhook, "CERTIFICATES", CertificateCache(authority.fetch))
    broker = get_broker()
    queued_before = broker.queue_size()
    client = Client()

    answers = [
        client.post(HOOK, data=body(notify(authority, key=f"k{n}")), content_type="text/plain").status_code
        for n in range(20)
    ]

    assert answers == [200] * 20
    assert broker.queue_size() - queued_before == 1
    assert SnsMessage.objects.filter(outcome="pending").count() == 20
    assert processing.process_pending() == 20
    client.post(HOOK, data=body(notify(authority, key="after")), content_type="text/plain")
    assert broker.queue_size() - queued_before == 2  # the drain cleared its flag: a new burst, a new drain


def test_a_broker_that_refuses_the_hand_over_loses_nothing(hook, authority, monkeypatch, caplog):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise ConnectionError("broker down")

    monkeypatch.setattr(processing, "async_task", refuse)  # the one stand-in: a broker that is down
    hook(notify(authority), process=False)
    processing.request_drain()  # what the hook asks for after its commit
    processing.request_drain()  # the next delivery tries again: the flag went with the failure

    assert len(attempts) == 2 and "handover of an SNS drain failed" in caplog.text
    assert SnsMessage.objects.get().outcome == "pending"  # stored and answered, for the schedule
    assert processing.process_pending() == 1 and ReplicationEvent.objects.count() == 1


def test_the_health_page_says_when_processing_is_behind(hook, authority, client):
    client.force_login(make_user("viewer", "requesters"))
    hook(notify(authority), process=False)
    assert "Processing is behind" not in client.get("/replication/").content.decode()  # just arrived

    SnsMessage.objects.update(received_at=timezone.now() - timedelta(minutes=10))
    page = client.get("/replication/").content.decode()
    assert "Processing is behind: 1 notification received and not yet processed" in page

    processing.process_pending()
    assert "Processing is behind" not in client.get("/replication/").content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pair_another_worker_holds_is_skipped_then_waited_for_and_other_pairs_go_on(hook, authority):
    hook(notify(authority, key="held"), process=False)
    hook(notify(authority, key="free", primary="logs-prod"), process=False)
    held = BucketPair.objects.create(primary_bucket="orders-prod", replica_bucket="orders-prod-replica")
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            BucketPair.objects.select_for_update().get(pk=held.pk)
            locked.set()
            release.wait(30)
        connection.close()

    holder = threading.Thread(target=other_worker)
    holder.start()
    locked.wait(10)
    result = []
    drainer = threading.Thread(
        target=lambda: (result.append(processing.process_pending()), connection.close())
    )
    drainer.start()

    deadline = time.monotonic() + 30
    while not ReplicationEvent.objects.filter(key="free").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ReplicationEvent.objects.filter(key="free").exists()  # the other pair did not wait
    time.sleep(0.5)
    assert not ReplicationEvent.objects.filter(key="held").exists() and drainer.is_alive()

    release.set()
    holder.join(10)
    drainer.join(30)
    assert result == [2] and ReplicationEvent.objects.filter(key="held").count() == 1
