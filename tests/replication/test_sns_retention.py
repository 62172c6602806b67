"""Processed SNS messages are deleted after SNS_MESSAGE_RETENTION_DAYS; nothing built from them is lost,
nothing pending is deleted, and a redelivery after the deletion builds nothing twice.

Deliveries go through the real hook (signature, storage) and the real drain. "Time passes" for stored
messages by moving their SNS Timestamp back, as the retention reads it.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F, Sum
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from replication import checks, processing, retention
from replication.models import BucketPair, Incident, ReplicationEvent, SnsMessage, VerificationBatch
from tests.replication.test_verification_summaries import summary
from tests.support.common import make_user, run_at_once
from tests.support.replication import failure_document, https_message

pytestmark = pytest.mark.django_db


def failure(authority, key="a/b.csv", **changes):
    return authority.notification(https_message(failure_document(key=key)), **changes)


def age(days: float, **which) -> None:
    """The stored messages (``which``: a filter) were sent ``days`` earlier than they were."""
    SnsMessage.objects.filter(**which).update(sent_at=F("sent_at") - timedelta(days=days))


def built() -> tuple:
    """Everything built from messages: events with their report counts, incidents, verified versions."""
    return (
        sorted(ReplicationEvent.objects.values_list("dedupe_key", "report_count", "incident_id")),
        sorted(Incident.objects.values_list("reason", "event_count", "state")),
        VerificationBatch.objects.count(),
        VerificationBatch.objects.aggregate(total=Sum("verified"))["total"],
    )


def test_processed_messages_past_the_retention_are_deleted_and_what_was_built_from_them_stays(
    hook, authority, settings, client
):
    settings.SNS_MESSAGE_RETENTION_DAYS = 30
    old_failure, old_summary = failure(authority, key="old"), authority.notification(summary(7))
    young = failure(authority, key="young")
    for envelope in (old_failure, old_summary, young):
        assert hook(envelope).status_code == 200
    before = built()
    age(31, message_id__in=[old_failure["MessageId"], old_summary["MessageId"]])
    age(29, message_id=young["MessageId"])  # processed, but within the retention

    assert retention.delete_old_messages() == 2

    assert list(SnsMessage.objects.values_list("message_id", flat=True)) == [young["MessageId"]]
    assert built() == before
    assert ReplicationEvent.objects.get(key="old").sns_message is None
    assert VerificationBatch.objects.get().sns_message is None
    assert ReplicationEvent.objects.get(key="young").sns_message.message_id == young["MessageId"]
    client.force_login(make_user("viewer", "requesters"))
    page = client.get(f"/replication/pairs/{BucketPair.objects.get().pk}/")
    assert page.status_code == 200 and "deleted after its retention" in page.content.decode()
    assert retention.delete_old_messages() == 0


def test_a_pending_message_is_never_deleted_whatever_its_age(hook, authority, settings):
    settings.SNS_MESSAGE_RETENTION_DAYS = 30
    envelope = failure(authority)
    hook(envelope, process=False)
    age(400)  # the workers were down for a long time

    assert retention.delete_old_messages() == 0
    assert SnsMessage.objects.get().outcome == "pending"

    assert processing.process_pending() == 1  # the backlog is processed, its events built
    assert ReplicationEvent.objects.get().key == "a/b.csv"
    assert retention.delete_old_messages() == 1


def test_an_unreadable_message_is_kept_for_the_retention_like_any_processed_one(hook, authority, settings):
    settings.SNS_MESSAGE_RETENTION_DAYS = 30
    assert hook(authority.notification("not a document we know")).status_code == 400
    message = SnsMessage.objects.get()
    assert message.outcome == "unreadable"

    age(29)
    assert retention.delete_old_messages() == 0 and SnsMessage.objects.filter(pk=message.pk).exists()
    age(2)
    assert retention.delete_old_messages() == 1 and not SnsMessage.objects.exists()


def test_deletion_goes_oldest_first_in_bounded_batches(hook, authority, settings):
    settings.SNS_MESSAGE_RETENTION_DAYS = 30
    for number in range(7):
        hook(failure(authority, key=f"k{number}"))
        age(31 + 7 - number, message_id=SnsMessage.objects.latest("pk").message_id)  # k0 the oldest

    with CaptureQueriesContext(connection) as queries:
        assert retention.delete_old_messages(batch_size=3, max_batches=2) == 6
    deletes = [q["sql"] for q in queries if q["sql"].startswith('DELETE FROM "replication_snsmessage"')]
    assert len(deletes) == 2  # one per batch, a transaction each
    left = SnsMessage.objects.get()
    assert ReplicationEvent.objects.get(sns_message=left).key == "k6"  # the youngest waits
    assert retention.delete_old_messages(batch_size=3, max_batches=2) == 1
    assert ReplicationEvent.objects.count() == 7


def test_a_redelivery_of_a_deleted_message_is_refused_as_stale_and_builds_nothing(hook, authority, settings):
    """SNS redelivers with the Timestamp it signed; the retention outlasts the age bound, so a message old
    enough to be deleted is too old to be accepted again, and its MessageId is not needed to know it."""
    settings.SNS_MESSAGE_RETENTION_DAYS = 30
    sent = datetime.now(UTC) - timedelta(days=31)
    delivered = [failure(authority, timestamp=sent), authority.notification(summary(5), timestamp=sent)]
    settings.SNS_MAX_MESSAGE_AGE_SECONDS = 32 * 86400  # as accepted 31 days ago, when they were young
    for envelope in delivered:
        assert hook(envelope).json() == {"status": "accepted"}
    settings.SNS_MAX_MESSAGE_AGE_SECONDS = 3600
    before = built()
    assert retention.delete_old_messages() == 2

    for envelope in delivered:
        again = hook(envelope)
        assert again.status_code == 403 and again.json()["reason"] == "stale_timestamp"
    assert not SnsMessage.objects.exists()
    assert built() == before


def test_even_a_deleted_message_accepted_again_builds_no_event_incident_or_count_twice(
    hook, authority, settings
):
    """Defence in depth (a retention shorter than the age bound is refused at startup): were a deleted
    message stored again, its facts are known by dedupe_key and summary_id; it counts one more report."""
    settings.SNS_MESSAGE_RETENTION_DAYS = 30
    delivered = [failure(authority), authority.notification(summary(5))]
    for envelope in delivered:
        hook(envelope)
    events, incidents, summaries, verified = built()
    age(31)
    assert retention.delete_old_messages() == 2

    for envelope in delivered:
        assert hook(envelope).json() == {"status": "accepted"}  # its Timestamp is still young here

    assert dict(SnsMessage.objects.values_list("message_id", "outcome")) == {
        envelope["MessageId"]: "repeated" for envelope in delivered
    }
    assert built() == (
        [(key, count + 1, incident) for key, count, incident in events],
        incidents,
        summaries,
        verified,
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_deleting_at_once_delete_each_message_once(hook, authority, settings):
    settings.SNS_MESSAGE_RETENTION_DAYS = 30
    for number in range(6):
        hook(failure(authority, key=f"k{number}"))
    age(31)
    deleted = run_at_once(lambda _: retention.delete_old_messages(batch_size=2), 2)

    assert all(isinstance(count, int) for count in deleted), deleted
    assert sum(deleted) == 6 and not SnsMessage.objects.exists()
    assert ReplicationEvent.objects.count() == 6


def test_a_retention_of_zero_keeps_every_message(hook, authority, settings):
    settings.SNS_MESSAGE_RETENTION_DAYS = 0
    hook(failure(authority))
    age(3650)
    assert retention.delete_old_messages() == 0 and SnsMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("days", "max_age", "refused"),
    [(30, 3600, False), (0, 3600, False), (1, 86399, False), (1, 86400, True), (-1, 3600, True)],
)
def test_a_retention_not_longer_than_the_age_bound_is_refused_at_startup(settings, days, max_age, refused):
    settings.SNS_MESSAGE_RETENTION_DAYS, settings.SNS_MAX_MESSAGE_AGE_SECONDS = days, max_age
    errors = checks.retention_outlasts_the_age_bound(None)
    assert [error.id for error in errors] == (["replication.E003"] if refused else [])


def test_the_schedule_follows_the_setting(settings):
    settings.SNS_MESSAGE_RETENTION_DAYS = 30
    retention.ensure_schedule()
    row = Schedule.objects.get(name=retention.SCHEDULE_NAME)
    assert (row.func, row.schedule_type) == ("replication.tasks.delete_old_messages", Schedule.HOURLY)

    settings.SNS_MESSAGE_RETENTION_DAYS = 0
    retention.ensure_schedule()
    assert not Schedule.objects.filter(name=retention.SCHEDULE_NAME).exists()
