"""A request whose purpose needs replication (backups, seed 000 §6) records its replica in the catalog,
and its pair is on the health page, "no data yet", before any replication event."""

import pytest

from core.models import AuditEntry, Team
from replication.models import BucketPair
from replication.pair_state import NO_DATA
from requests_app import catalog
from requests_app.contract import replica_bucket_name
from requests_app.submission import submit_request
from tests.contract.cases import request_input
from tests.support.common import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rita(requester):
    Team.objects.create(slug="app-team", name="App Team").members.add(requester)
    return requester


def backups_request(rita, **overrides):
    raw = request_input(
        requester="rita", purposeType="backups", storageClass=None, versioning=None, **overrides
    )
    return submit_request(raw, rita).request


def test_a_backups_bucket_records_its_replica_and_appears_on_the_health_page_before_any_event(
    rita, client, settings
):
    settings.REPLICATION_REPLICA_REGION = "eu-central-1"
    request = backups_request(rita)
    entry = catalog.mark_provisioning(request, actor="runner")

    assert (entry.replica_bucket, entry.replica_region) == (request.bucket_name + "-replica", "eu-central-1")
    pair = BucketPair.objects.get()
    assert (pair.primary_bucket, pair.replica_bucket, pair.catalog_entry) == (
        request.bucket_name,
        entry.replica_bucket,
        entry,
    )
    audited = AuditEntry.objects.filter(action="catalog.status").get()
    assert audited.detail["replica_bucket"] == entry.replica_bucket

    catalog.mark_active(request, actor="runner", region="us-east-1", arn="arn:aws:s3:::x")
    assert BucketPair.objects.count() == 1  # saving the entry again adds nothing

    client.force_login(make_user("ops", "platform-approvers", is_staff=True))
    page = client.get("/replication/").content.decode()
    assert entry.replica_bucket in page and f'<span class="badge none">{NO_DATA}</span>' in page
    catalog_page = client.get(f"/catalog/{request.bucket_name}/").content.decode()
    assert (
        "Replication health" in catalog_page and f'<span class="badge none">{NO_DATA}</span>' in catalog_page
    )


@pytest.mark.parametrize("purpose", ["uploads", "logs", "data-lake"])
def test_other_purposes_record_no_replica_and_no_pair(rita, purpose):
    raw = request_input(requester="rita", purposeType=purpose, storageClass=None, versioning=None)
    entry = catalog.mark_provisioning(submit_request(raw, rita).request, actor="runner")
    assert (entry.replica_bucket, entry.replica_region) == ("", "")
    assert BucketPair.objects.count() == 0


def test_a_replica_name_always_fits_s3s_63_characters():
    assert replica_bucket_name("goldenpath-prod-ledger-backups") == "goldenpath-prod-ledger-backups-replica"
    long_name = "goldenpath-prod-" + "a" * 38 + "-backups"  # 62 characters
    replica = replica_bucket_name(long_name)
    assert replica == "goldenpath-prod-" + "a" * 38 + "-replica"  # 62: the hyphen before the cut goes
    assert len(replica_bucket_name("b" * 63)) == 63
