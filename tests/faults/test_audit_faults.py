"""The audit trail under attack and outage, as issue 16 lists: the real moto server with Object Lock, raw SQL
for whoever holds the database (not the key)."""

import pytest
from botocore.exceptions import ClientError
from django.urls import reverse
from django_q.models import Schedule

from core import audit, audit_checkpoints
from core.audit_verify import verify_chain, verify_trail
from core.models import AuditCheckpoint, AuditEntry
from core.schedules import CHECKPOINT_SCHEDULE, RETRY_SCHEDULE
from tests.core.audit_tampering import delete_entries, edit_actor, recompute_without_key
from tests.support.common import free_port

pytestmark = pytest.mark.django_db


def write_entries(count: int) -> list:
    return [
        audit.record("test.step", actor="system", detail={"n": n}, environment="prod") for n in range(count)
    ]


def test_an_edit_with_the_chain_recomputed_without_the_key_is_detected(checkpoint_bucket):
    entries = write_entries(8)
    audit_checkpoints.checkpoint_now()
    edit_actor(entries[3].id, "mallory")
    recompute_without_key()
    report = verify_trail()
    assert not report.ok
    assert {"recomputed", "checkpoint_mismatch"} <= {finding.kind for finding in report.findings}


def test_deleting_the_last_5_entries_is_detected_by_the_checkpoint(checkpoint_bucket):
    entries = write_entries(12)
    audit_checkpoints.checkpoint_now()
    delete_entries(*[entry.id for entry in entries[-5:]])
    assert verify_chain([]).ok  # the chain alone cannot see a cut tail ...
    report = verify_trail()  # ... the checkpoint does
    assert [finding.kind for finding in report.findings] == ["truncated"]
    assert f"up to #{entries[-1].id}" in report.findings[0].message
    assert f"ends at #{entries[-6].id}" in report.findings[0].message


def test_deleting_a_checkpoint_object_is_refused_by_object_lock(checkpoint_bucket):
    write_entries(2)
    audit_checkpoints.checkpoint_now()
    client = audit_checkpoints.s3_client()
    version = client.list_object_versions(Bucket=checkpoint_bucket)["Versions"][0]
    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=checkpoint_bucket, Key=version["Key"], VersionId=version["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # A plain DELETE only adds a delete marker: the locked version stays and is still used (and the attempt named).
    client.delete_object(Bucket=checkpoint_bucket, Key=version["Key"])
    report = verify_trail()
    assert report.checkpoints == 1
    assert [finding.kind for finding in report.findings] == ["checkpoints"]
    assert "delete marker" in report.findings[0].message


@pytest.mark.slow
def test_with_the_bucket_down_entries_are_written_health_degrades_and_the_next_checkpoint_catches_up(
    checkpoint_bucket, settings, client, auditor, start_worker_cluster
):
    # A real worker cluster, so /healthz can say "degraded" (everything else healthy). Its checkpoint
    # schedules are removed first: this test drives checkpoints itself (they are restored afterwards).
    Schedule.objects.filter(name__in=[CHECKPOINT_SCHEDULE, RETRY_SCHEDULE]).delete()
    start_worker_cluster()
    write_entries(2)
    audit_checkpoints.checkpoint_now()
    reachable = settings.AWS_ENDPOINT_URL
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"  # the bucket's endpoint stops answering

    during = write_entries(3)  # audit writing does not wait on the bucket
    assert AuditEntry.objects.filter(id__in=[entry.id for entry in during]).count() == 3
    pending = audit_checkpoints.scheduled_checkpoint()
    assert pending.written_at is None and pending.attempts == 1 and pending.last_error
    health = client.get(reverse("healthz"))
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert health.json()["checks"]["audit_checkpoints"]["pending"] == 1
    client.force_login(auditor)
    page = client.get(reverse("requests:audit")).content.decode()
    assert "checkpoints degraded" in page and "audit entries are still written" in page

    settings.AWS_ENDPOINT_URL = reachable  # the bucket is back
    later = write_entries(1)
    audit_checkpoints.write_pending()  # the retry schedule's work
    caught_up = audit_checkpoints.scheduled_checkpoint()
    assert AuditCheckpoint.objects.filter(written_at__isnull=True).count() == 0
    assert caught_up.head_entry_id == later[-1].id and caught_up.entry_count == 6
    assert client.get(reverse("healthz")).json()["checks"]["audit_checkpoints"]["ok"] is True
    report = verify_trail()
    assert report.ok and report.checkpoints == 3
