"""The worker path in this process, with real Terraform on the provider-free stack."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import transaction

from core.audit_verify import verify_chain
from core.models import AuditEntry
from requests_app.models import CatalogEntry, RequestStatus
from runner import execution, outcomes
from runner.models import Run, RunStatus
from tests.contract.cases import request_input
from tests.runner.factories import approved_request
from tests.runner.waiting import applying, wait_for_run

# Migration data (ID sequences, roles, the sweeper schedule) survives the flush between tests.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_approval_queues_a_run_in_the_same_transaction(runner_settings):
    request = approved_request()

    run = Run.objects.get(request=request)
    assert (run.status, run.attempt, run.kind) == (RunStatus.QUEUED, 1, "apply")
    assert run.state_key == f"envs/dev/s3/{request.request_id}/terraform.tfstate"
    assert request.status == RequestStatus.QUEUED


def test_a_run_applies_the_stack_and_activates_the_catalog_entry(runner_settings):
    request = approved_request()
    run = Run.objects.get(request=request)

    assert execution.execute_run(run.pk) == RunStatus.SUCCEEDED

    run.refresh_from_db()
    request.refresh_from_db()
    entry = CatalogEntry.objects.get(request=request)
    assert request.status == RequestStatus.APPLIED
    assert (entry.status, entry.arn, entry.region) == (
        "active",
        f"arn:aws:s3:::{request.bucket_name}",
        "us-east-1",
    )
    assert run.plan_summary == {"add": 2, "change": 0, "destroy": 0}
    assert run.outputs["bucket_name"] == request.bucket_name
    assert run.terraform_version and len(run.plan_sha256) == 64
    assert "Apply complete! Resources: 2 added" in run.log
    state = json.loads((runner_settings_path(runner_settings, run.state_key)).read_text())
    assert state["outputs"]["bucket_arn"]["value"] == f"arn:aws:s3:::{request.bucket_name}"
    actions = list(AuditEntry.objects.filter(request_id=request.request_id).values_list("action", flat=True))
    assert {"run.started", "run.init", "run.planned", "run.applied", "run.succeeded"} <= set(actions)
    applied = AuditEntry.objects.get(request_id=request.request_id, action="run.applied")
    assert applied.detail["plan_sha256"] == run.plan_sha256
    assert verify_chain([]).ok


def test_a_second_delivery_of_a_finished_run_does_nothing(runner_settings):
    request = approved_request()
    run = Run.objects.get(request=request)
    execution.execute_run(run.pk)
    audit_count = AuditEntry.objects.count()

    assert execution.execute_run(run.pk) == RunStatus.SUCCEEDED
    assert AuditEntry.objects.count() == audit_count


def test_a_failing_precondition_fails_the_run_with_terraforms_message(runner_settings):
    def zero_cost_alert(document):
        document["spec"]["costAlertGb"] = 0

    request = approved_request(request_input(application="broken"), contract_changes=zero_cost_alert)
    run = Run.objects.get(request=request)

    assert execution.execute_run(run.pk) == RunStatus.FAILED

    run.refresh_from_db()
    request.refresh_from_db()
    assert run.step == "plan"
    assert run.error_summary == (
        "terraform plan failed: Resource precondition failed: The cost_alert_gb must be positive."
    )
    assert request.status == RequestStatus.FAILED
    assert CatalogEntry.objects.get(request=request).status == "failed"
    assert AuditEntry.objects.filter(request_id=request.request_id, action="run.failed").exists()


def runner_settings_path(runner_settings, key):
    from pathlib import Path

    return Path(runner_settings["TERRAFORM_STATE_DIR"]) / key


def test_a_run_ended_by_the_sweeper_stops_its_terraform(runner_settings, monkeypatch):
    """A worker that lost its run (the sweeper failed it) must not go on applying next to a retry."""
    monkeypatch.setenv("BUCKETWISE_FAKE_APPLY_SECONDS", "60")
    request = approved_request(request_input(application="orphaned"))
    run = Run.objects.get(request=request)
    worker = ThreadPoolExecutor(max_workers=1)
    ending = worker.submit(execution.execute_run, run.pk)
    wait_for_run(applying, run_id=run.pk)

    with transaction.atomic():  # what the sweeper does to a run whose heartbeat it found stale
        locked = Run.objects.select_for_update().select_related("request").get(pk=run.pk)
        outcomes.finish(locked, RunStatus.FAILED, actor="system", reason="The worker stopped.")

    assert ending.result(timeout=20) == RunStatus.FAILED
    worker.shutdown()
    stopped_in = Run.objects.get(pk=run.pk).steps[-1]  # the step it stopped in, never ended
    assert (stopped_in["step"], stopped_in["finished_at"]) == ("apply", None)
    actions = set(AuditEntry.objects.filter(request_id=request.request_id).values_list("action", flat=True))
    assert "run.applied" not in actions
