"""Verification summaries (how many versions the validator verified) and pairs known before any event."""

import json
import uuid

import pytest
from django.contrib.auth.models import User

from lambdas.checksum_validator.summary import summary_documents
from lambdas.shared.replica_map import parse_replica_map
from replication.models import BucketPair, RefusalCount, SnsMessage, VerificationBatch
from replication.pair_state import NO_DATA
from replication.pairs import register_pair
from tests.support.common import make_user
from tests.support.replication import make_catalog_entry

pytestmark = pytest.mark.django_db
REPLICA_MAP = parse_replica_map(
    json.dumps({"orders-prod": {"bucket": "orders-prod-replica", "region": "eu-central-1"}})
)


def summary(count=7, **changes) -> str:
    """A summary exactly as the validator builds it."""
    from collections import Counter

    document = summary_documents(Counter({"orders-prod": count}), REPLICA_MAP)[0]
    return json.dumps({**document, **changes})


def test_a_summary_counts_its_verified_versions_for_the_pair(hook, authority, client):
    make_catalog_entry("orders-prod")
    assert hook(authority.notification(summary(7))).json() == {"status": "accepted"}
    assert hook(authority.notification(summary(3))).status_code == 200

    pair = BucketPair.objects.get()
    assert (pair.primary_bucket, pair.replica_bucket, pair.catalog_entry.bucket_name) == (
        "orders-prod",
        "orders-prod-replica",
        "orders-prod",
    )
    assert sum(VerificationBatch.objects.values_list("verified", flat=True)) == 10
    client.force_login(make_user("viewer", "requesters"))
    row = client.get("/api/v1/replication/health/").json()["results"][0]
    assert (row["verified_24h"], row["verified_7d"], row["state"]) == (10, 10, "healthy")


def test_a_summary_delivered_again_or_republished_is_counted_once(hook, authority):
    text = summary(5)
    delivery = authority.notification(text)
    hook(delivery)
    assert hook(delivery).json()["status"] == "duplicate"  # SNS redelivery: same MessageId
    republished = authority.notification(text)  # same summary_id, new MessageId
    assert hook(republished).json()["status"] == "accepted"
    assert SnsMessage.objects.get(message_id=republished["MessageId"]).outcome == "repeated"
    assert sum(VerificationBatch.objects.values_list("verified", flat=True)) == 5


@pytest.mark.parametrize(
    "changes",
    [
        {"verified": -1},
        {"verified": "5"},
        {"verified": True},
        {"verified": 10_001},
        {"summary_id": ""},
        {"summary_id": "x" * 65},
        {"primary": {}},
        {"replica": {"bucket": ""}},
        {"primary": {"bucket": "b" * 256}},
    ],
)
def test_a_signed_summary_with_impossible_values_is_refused_and_counts_nothing(hook, authority, changes):
    response = hook(authority.notification(summary(**changes)))
    assert response.status_code == 400 and response.json()["reason"] == "unreadable_message"
    assert VerificationBatch.objects.count() == 0 and BucketPair.objects.count() == 0
    assert SnsMessage.objects.get().outcome == "unreadable"
    assert RefusalCount.objects.get().reason == "unreadable_message"


def test_a_registered_pair_shows_no_data_yet_until_its_first_summary(hook, authority, client):
    register_pair("orders-prod", "orders-prod-replica")
    client.force_login(make_user("viewer", "requesters"))
    page = client.get("/replication/").content.decode()
    assert "orders-prod-replica" in page and f'<span class="badge none">{NO_DATA}</span>' in page

    hook(authority.notification(summary(2)))
    page = client.get("/replication/").content.decode()
    assert '<span class="badge ok">healthy</span>' in page and NO_DATA + "</span></td>" not in page


def test_registering_a_pair_twice_keeps_one_row_and_links_the_catalog_later():
    register_pair("orders-prod", "orders-prod-replica")
    entry = make_catalog_entry("orders-prod")
    pair = register_pair("orders-prod", "orders-prod-replica", catalog_entry=entry)
    assert BucketPair.objects.count() == 1 and pair.catalog_entry == entry


def test_the_summary_ids_of_one_invocation_are_unique_per_bucket():
    from collections import Counter

    replica_map = parse_replica_map(
        json.dumps(
            {
                "a-primary": {"bucket": "a-replica", "region": "eu-central-1"},
                "b-primary": {"bucket": "b-replica", "region": "eu-central-1"},
            }
        )
    )
    documents = summary_documents(Counter({"a-primary": 2, "b-primary": 1, "unknown": 4}), replica_map)
    assert [(d["primary"]["bucket"], d["verified"]) for d in documents] == [
        ("a-primary", 2),
        ("b-primary", 1),
    ]
    assert len({d["summary_id"] for d in documents}) == 2 and all(
        uuid.UUID(d["summary_id"]) for d in documents
    )


def test_summaries_are_listed_read_only_in_the_admin(hook, authority, client):
    hook(authority.notification(summary(4)))
    client.force_login(User.objects.create_superuser("root", password="pw-root"))
    listing = client.get("/admin/replication/verificationbatch/")
    assert listing.status_code == 200 and "orders-prod" in listing.content.decode()
    batch = VerificationBatch.objects.get()
    assert (
        client.post(f"/admin/replication/verificationbatch/{batch.pk}/change/", {"verified": 999}).status_code
        == 403
    )
    assert VerificationBatch.objects.get().verified == 4
