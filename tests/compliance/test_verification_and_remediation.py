"""After an apply: the hook queues the read-back and the run is verified only when clean. The schedule
covers every active bucket in batches. Remediation goes through the runner's run creation and its rules."""

import pytest
from django.db import transaction
from django_q.brokers import get_broker
from django_q.models import Schedule
from django_q.signing import SignedPackage

from compliance import schedule
from compliance.checking import check_buckets
from compliance.models import BucketCompliance, RunVerification
from compliance.remediation import RemediationRefused, start_remediation
from compliance.verification import verify_run
from core.models import AuditEntry
from requests_app.models import CatalogStatus, RequestStatus
from runner import outcomes
from runner.models import Run, RunStatus

pytestmark = pytest.mark.django_db


def queued_tasks() -> list[dict]:
    """Take every task off the configured broker (ORM or Redis) and return them, oldest first."""
    broker = get_broker()
    tasks = []
    while got := broker.dequeue():
        for task_id, payload in got:
            tasks.append(SignedPackage.loads(payload))
            broker.acknowledge(task_id)
    return tasks


def empty_broker() -> None:
    get_broker().purge_queue()


def succeed_new_run(entry, approver) -> Run:
    """A remediation run of ``entry`` that the runner ends as succeeded (as a worker would)."""
    run = start_remediation(entry, actor=approver)
    with transaction.atomic():
        locked = Run.objects.select_for_update().select_related("request").get(pk=run.pk)
        locked.status = RunStatus.RUNNING
        locked.save(update_fields=["status"])
        from requests_app import catalog, status_machine

        status_machine.transition(locked.request, "start_apply", actor="runner")
        catalog.mark_provisioning(locked.request, actor="runner")
        outcomes.succeed(locked, actor="runner", outputs={"region": "us-east-1"}, log="")
    return run


def test_a_succeeded_apply_queues_its_verification_after_commit(
    make_bucket, aws, approver, django_capture_on_commit_callbacks
):
    entry = make_bucket()
    aws["s3"].put_bucket_versioning(Bucket=entry.bucket_name, VersioningConfiguration={"Status": "Suspended"})
    check_buckets([entry])
    empty_broker()
    with django_capture_on_commit_callbacks(execute=True):
        run = succeed_new_run(entry, approver)
    verifications = [t for t in queued_tasks() if t["func"] == "compliance.tasks.verify_run"]
    assert [t["args"] for t in verifications] == [(run.pk,)]
    assert verify_run(run.pk) == "drifted"  # the apply left versioning suspended: the run is not verified
    verification = RunVerification.objects.get(run=run)
    assert (verification.verified, verification.findings) == (False, ["versioning"])
    aws["s3"].put_bucket_versioning(Bucket=entry.bucket_name, VersioningConfiguration={"Status": "Enabled"})
    assert verify_run(run.pk) == "compliant"
    assert RunVerification.objects.get(run=run).verified is True
    assert {"run.not_verified", "run.verified"} <= set(AuditEntry.objects.values_list("action", flat=True))


def test_verification_can_be_switched_off(
    make_bucket, aws, approver, settings, django_capture_on_commit_callbacks
):
    settings.COMPLIANCE_VERIFY_AFTER_APPLY = False
    entry = make_bucket()
    aws["s3"].delete_bucket_policy(Bucket=entry.bucket_name)
    check_buckets([entry])
    empty_broker()
    with django_capture_on_commit_callbacks(execute=True):
        succeed_new_run(entry, approver)
    assert not [t for t in queued_tasks() if t["func"] == "compliance.tasks.verify_run"]


def test_the_schedule_follows_the_setting(settings):
    settings.COMPLIANCE_CHECK_MINUTES = 15
    schedule.ensure_schedule()
    row = Schedule.objects.get(name=schedule.SCHEDULE_NAME)
    assert (row.func, row.minutes, row.schedule_type) == ("compliance.tasks.check_all", 15, Schedule.MINUTES)
    settings.COMPLIANCE_CHECK_MINUTES = 0
    schedule.ensure_schedule()
    assert not Schedule.objects.filter(name=schedule.SCHEDULE_NAME).exists()


def test_every_active_bucket_is_queued_in_batches_least_recently_checked_first(make_bucket, aws):
    entries = [make_bucket(application=f"batch-app{n}") for n in range(5)]
    check_buckets(entries[:2])
    entries[4].status = CatalogStatus.FAILED
    entries[4].save(update_fields=["status"])
    empty_broker()
    assert schedule.queue_all(batch_size=2) == 2
    batches = [t["args"][0] for t in queued_tasks() if t["func"] == schedule.BATCH_TASK]
    assert batches == [[entries[2].pk, entries[3].pk], [entries[0].pk, entries[1].pk]]
    assert schedule.check_batch(batches[0] + [entries[4].pk]) == {
        "buckets": 2,
        "aws_calls": 2 * 11 + 2,
        "compliant": 2,
    }  # + STS and CloudWatch once per batch
    assert not BucketCompliance.objects.filter(entry=entries[4]).exists()  # not active: not checked


def test_remediation_queues_an_apply_of_the_approved_contract(
    make_bucket, aws, approver, django_capture_on_commit_callbacks
):
    entry = make_bucket()
    aws["s3"].delete_bucket_policy(Bucket=entry.bucket_name)
    check_buckets([entry])
    with django_capture_on_commit_callbacks(execute=False):
        run = start_remediation(entry, actor=approver)
    entry.request.refresh_from_db()
    assert (run.status, run.kind, run.attempt) == (RunStatus.QUEUED, "apply", 2)
    assert entry.request.status == RequestStatus.QUEUED
    audit = AuditEntry.objects.filter(
        request_id=entry.request.request_id, action="compliance.remediation_started"
    )
    assert audit.get().detail["open_findings"] == ["bucketPolicy.tlsOnly"]
    with pytest.raises(RemediationRefused, match=r"active \(queued\)"):
        start_remediation(entry, actor=approver)


def test_remediation_refusals(make_bucket, aws, approver, requester, client):
    entry = make_bucket()
    with pytest.raises(RemediationRefused, match="not checked|not drifted|nothing to remediate"):
        start_remediation(entry, actor=approver)
    check_buckets([entry])
    with pytest.raises(RemediationRefused, match="nothing to remediate"):
        start_remediation(entry, actor=approver)  # compliant
    aws["s3"].delete_bucket_policy(Bucket=entry.bucket_name)
    check_buckets([entry])
    with pytest.raises(RemediationRefused, match="Only platform approvers"):
        start_remediation(entry, actor=requester)
    request = entry.request
    request.contract["spec"]["costAlertGb"] = 5000  # edited behind the approval's back
    request.save(update_fields=["contract"])
    with pytest.raises(RemediationRefused, match="not the one approved"):
        start_remediation(entry, actor=approver)
    assert not Run.objects.filter(request=request, attempt=2).exists()
    client.force_login(
        requester
    )  # the page refuses who may not remediate: 403 (tests/portal/test_page_access.py)
    assert client.post(f"/catalog/{entry.bucket_name}/remediate/").status_code == 403
    assert not Run.objects.filter(request=request, attempt=2).exists()
    assert client.get(f"/catalog/{entry.bucket_name}/remediate/").status_code == 405


def test_an_approver_remediates_from_the_page(make_bucket, aws, approver, client):
    entry = make_bucket()
    aws["s3"].delete_public_access_block(Bucket=entry.bucket_name)
    check_buckets([entry])
    client.force_login(approver)
    response = client.post(f"/catalog/{entry.bucket_name}/remediate/", follow=True)
    run = Run.objects.get(request=entry.request, attempt=2)
    assert f"Remediation run #{run.pk} queued" in response.content.decode()
    assert run.created_by == approver
