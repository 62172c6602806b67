"""Checkpoints in an Object Lock bucket (moto server): what they hold, how they chain, what reading them
back finds, the schedules, and verification against them."""

import json

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from core import audit, audit_checkpoints
from core.audit_checkpoints import object_key, read_checkpoints
from core.audit_verify import verify_trail
from core.models import AuditCheckpoint
from core.schedules import CHECKPOINT_SCHEDULE, RETRY_SCHEDULE
from tests.core.audit_tampering import delete_entries, edit_actor, recompute_without_key

pytestmark = pytest.mark.django_db


def write_entries(count: int) -> list:
    return [audit.record("test.step", actor="system", detail={"n": n}) for n in range(count)]


def stored_object(bucket: str, sequence: int) -> dict:
    body = audit_checkpoints.s3_client().get_object(Bucket=bucket, Key=object_key(sequence))["Body"].read()
    return json.loads(body)


def test_a_checkpoint_is_a_signed_locked_object_naming_the_head_and_the_previous_checkpoint(
    checkpoint_bucket, settings
):
    write_entries(3)
    first = audit_checkpoints.checkpoint_now()
    entries = write_entries(2)
    second = audit_checkpoints.checkpoint_now()
    assert first.written_at and second.written_at and not second.last_error
    document = stored_object(checkpoint_bucket, 2)
    assert document["entry_count"] == 5 and document["head_entry_id"] == entries[-1].id
    assert document["head_hash"] == entries[-1].entry_hash and document["key_id"] == "test"
    assert document["previous_checkpoint_hash"] == first.checkpoint_hash and document["mac"]
    head = audit_checkpoints.s3_client().head_object(Bucket=checkpoint_bucket, Key=object_key(2))
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert (
        head["ObjectLockRetainUntilDate"] - second.written_at
    ).days >= settings.AUDIT_CHECKPOINT_RETENTION_DAYS - 1
    assert verify_trail().ok


def test_a_checkpoint_forged_without_the_key_is_refused_when_read_back(checkpoint_bucket):
    write_entries(2)
    audit_checkpoints.checkpoint_now()
    forged = {**stored_object(checkpoint_bucket, 1), "sequence": 2, "entry_count": 1}
    audit_checkpoints.s3_client().put_object(
        Bucket=checkpoint_bucket, Key=object_key(2), Body=json.dumps(forged).encode()
    )
    stored, problems = read_checkpoints()
    assert [checkpoint.sequence for checkpoint in stored] == [1]
    assert problems == ["checkpoint #2: its signature does not match its content (forged or altered)"]


def test_an_overwritten_checkpoint_is_named_and_its_first_version_is_used(checkpoint_bucket):
    write_entries(2)
    audit_checkpoints.checkpoint_now()
    original = stored_object(checkpoint_bucket, 1)
    audit_checkpoints.s3_client().put_object(Bucket=checkpoint_bucket, Key=object_key(1), Body=b"{}")
    stored, problems = read_checkpoints()
    assert stored[0].document == original
    assert any("an overwrite was attempted" in problem for problem in problems)


def test_whole_chain_disguised_as_legacy_entries_is_caught_by_the_checkpoint(checkpoint_bucket):
    write_entries(3)
    audit_checkpoints.checkpoint_now()
    recompute_without_key(drop_key_id=True)
    report = verify_trail()
    assert [finding.kind for finding in report.findings] == ["checkpoint_mismatch"]


@pytest.mark.parametrize(
    "tamper, kind",
    [
        (lambda entries: edit_actor(entries[1].id, "mallory"), "edited"),
        (lambda entries: delete_entries(entries[2].id), "deleted"),
        (lambda entries: (edit_actor(entries[1].id, "mallory"), recompute_without_key()), "recomputed"),
        (lambda entries: delete_entries(entries[-1].id), "truncated"),
    ],
)
def test_each_kind_of_tampering_is_named_by_verify_audit(checkpoint_bucket, tamper, kind, capsys):
    entries = write_entries(5)
    audit_checkpoints.checkpoint_now()
    tamper(entries)
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit")
    assert exit_.value.code == 1
    assert f"{kind.upper()}:" in capsys.readouterr().err


def test_verify_audit_fails_when_the_checkpoints_cannot_be_read(settings, capsys):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    write_entries(1)
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert "cannot be read" in capsys.readouterr().err


def test_the_schedule_writes_only_when_the_chain_grew(checkpoint_bucket):
    write_entries(2)
    assert audit_checkpoints.scheduled_checkpoint() is not None
    assert audit_checkpoints.scheduled_checkpoint() is None
    write_entries(1)
    assert audit_checkpoints.scheduled_checkpoint().sequence == 2


def test_the_schedules_follow_the_interval_setting_on_every_migrate(settings):
    settings.AUDIT_CHECKPOINT_INTERVAL_MINUTES = 7
    call_command("migrate", verbosity=0)
    assert Schedule.objects.get(name=CHECKPOINT_SCHEDULE).minutes == 7
    assert Schedule.objects.get(name=CHECKPOINT_SCHEDULE).func == "core.tasks.write_audit_checkpoint"
    assert Schedule.objects.get(name=RETRY_SCHEDULE).minutes == 1


def test_a_retry_after_a_write_that_landed_finds_its_own_bytes_and_a_different_object_is_a_conflict(
    checkpoint_bucket,
):
    write_entries(1)
    checkpoint = audit_checkpoints.checkpoint_now()
    audit_checkpoints.AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(written_at=None)
    assert audit_checkpoints.write_pending() == 1  # the object is there with the same bytes: written
    other = audit_checkpoints.create_checkpoint("schedule")
    audit_checkpoints.s3_client().put_object(
        Bucket=checkpoint_bucket, Key=object_key(other.sequence), Body=b"x"
    )
    assert audit_checkpoints.write_pending() == 0
    other.refresh_from_db()
    assert other.written_at is None and "already holds a different checkpoint" in other.last_error


def test_checkpoint_sequences_stay_unique_and_linked():
    write_entries(1)
    first = audit_checkpoints.create_checkpoint("schedule")
    second = audit_checkpoints.create_checkpoint("schedule")
    assert (first.sequence, second.sequence) == (1, 2)
    assert json.loads(second.document)["previous_checkpoint_hash"] == first.checkpoint_hash
    assert AuditCheckpoint.objects.filter(written_at__isnull=True).count() == 2


def test_checkpoints_written_to_another_bucket_than_the_one_configured_are_named(checkpoint_bucket, settings):
    write_entries(2)
    audit_checkpoints.checkpoint_now()
    settings.AUDIT_CHECKPOINT_BUCKET = f"{checkpoint_bucket}-empty"
    audit_checkpoints.ensure_bucket()
    report = verify_trail()
    assert [finding.kind for finding in report.findings] == ["checkpoints"]
    assert (
        "the portal wrote checkpoints up to #1, the bucket holds them only up to #0"
        in report.findings[0].message
    )
