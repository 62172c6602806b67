"""`make run`'s replication half, end to end: the demo's objects end as counts and incidents on the health page.

What is real: the local AWS process (moto's server with its SNS fixes and the replication emulator,
``replication.local.local_aws``), the pipeline process (``manage.py replication_pipeline``:
provisioning, SubscriptionConfirmation through the hook, both Lambda handlers under the local event
source mapping), the demo (``manage.py replication_demo``), the portal's hook on pytest-django's
live server, signature verification and storage, and a worker cluster (``manage.py qcluster``) that
builds the events and incidents from what the hook stored. What is replaced, and why: the webhook's
certificate fetcher, by the development fetch called directly (tests run with DEBUG off, where the
webhook's own fetcher refuses the local AWS; see the ``local_replication`` fixture).
"""

import pytest

from replication.models import (
    BucketPair,
    Incident,
    RefusalCount,
    ReplicationEvent,
    SnsMessage,
    VerificationBatch,
)
from tests.support.common import make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_demo_ends_as_verified_counts_and_incidents_with_keys_and_nothing_left_in_any_queue(
    worker_cluster, local_replication, client
):
    local_replication.wait_for_confirmed_subscriptions()  # the hook's normal path, for both topics
    pipeline = local_replication.pipeline
    assert BucketPair.objects.get().primary_bucket == pipeline.primary_bucket  # registered before any event

    demo = local_replication.start_demo(objects=50, corrupt=3, missing=2)
    output, _ = demo.communicate(timeout=180)
    assert demo.returncode == 0, output
    assert "Verified: 45 of 45 expected." in output

    events = {
        event.key.rsplit("/", 1)[1]: (event.kind, event.reason, event.incident.reason)
        for event in ReplicationEvent.objects.select_related("incident")
    }
    assert events == {
        **{f"object-000{n}.csv": ("MISMATCH", "CONTENT_MISMATCH", "CONTENT_MISMATCH") for n in (1, 2, 3)},
        **{f"object-000{n}.csv": ("PENDING", "RETRIES_EXHAUSTED", "RETRIES_EXHAUSTED") for n in (4, 5)},
    }
    assert sorted(Incident.objects.values_list("reason", "event_count", "state")) == [
        ("CONTENT_MISMATCH", 3, "open"),
        ("RETRIES_EXHAUSTED", 2, "open"),
    ]
    assert sum(VerificationBatch.objects.values_list("verified", flat=True)) == 45
    assert list(RefusalCount.objects.all()) == []  # every delivery verified (the notifier's carry a Subject)
    assert SnsMessage.objects.filter(outcome="confirmed").count() == 2
    assert local_replication.fetched  # moto's certificates, fetched for its own signing URLs

    # Nothing waits in any queue or DLQ: verified messages deleted, failures reported, the DLQ drained.
    local_replication.wait_until_queues_are_empty()
    assert set(local_replication.queue_depths()) == {queue.name for queue in pipeline.queues}

    client.force_login(make_user("ops", "platform-approvers", is_staff=True))
    page = client.get("/replication/").content.decode()
    assert pipeline.replica_bucket in page and '<span class="badge bad">failing</span>' in page
    assert "<td>45</td>" in page  # verified in the last 24 hours
    detail = client.get(f"/replication/pairs/{BucketPair.objects.get().pk}/").content.decode()
    assert all(f"object-000{n}.csv" in detail for n in range(1, 6)) and "RETRIES_EXHAUSTED" in detail
