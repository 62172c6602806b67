"""Releasing a dead run's state lock: only the lock whose ID that run recorded, never another.

The lock objects are written the way Terraform's S3 backend writes them (``<key>.tflock`` holding
its lock info) into a moto server bucket; the full path with real Terraform killed mid-apply is
tests/faults/test_real_provider_kill.py.
"""

import json

import pytest
from django.db import transaction

from core.models import AuditEntry
from runner import dispatch, outcomes
from runner.models import Run, RunStatus
from runner.state_backend import release_dead_runs_lock
from tests.contract.cases import request_input
from tests.runner.factories import STATE_BUCKET, approved_request

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def put_lock(s3, run: Run, lock_id: str) -> str:
    key = run.state_key + ".tflock"
    s3.put_object(
        Bucket=STATE_BUCKET,
        Key=key,
        Body=json.dumps(
            {
                "ID": lock_id,
                "Operation": "OperationTypeApply",
                "Info": "",
                "Who": "root@worker-1",
                "Version": "1.11.4",
                "Created": "2026-12-02T13:55:19.123456789Z",
                "Path": f"{STATE_BUCKET}/{run.state_key}",
            }
        ).encode(),
    )
    return key


def lock_exists(s3, key: str) -> bool:
    return "Contents" in s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=key)


def dead_run(request, lock_id: str) -> Run:
    """The request's run as the sweeper leaves it: failed, having recorded ``lock_id`` while it ran."""
    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("request").get(request=request)
        run.status, run.step, run.state_lock_id = RunStatus.RUNNING, "apply", lock_id
        run.save()
        outcomes.finish(run, RunStatus.FAILED, actor="system", reason="The worker stopped.")
    return run


def test_the_lock_a_dead_run_recorded_is_released_and_audited(s3_state):
    request = approved_request(request_input(application="lockdead"))
    run = dead_run(request, "11111111-aaaa-bbbb-cccc-000000000001")
    key = put_lock(s3_state, run, run.state_lock_id)

    assert release_dead_runs_lock(request) == run.state_lock_id

    assert not lock_exists(s3_state, key)
    entry = AuditEntry.objects.get(request_id=request.request_id, action="run.state_lock_released")
    assert entry.detail == {
        "run": run.pk,
        "lock_id": run.state_lock_id,
        "lock": f"s3://{STATE_BUCKET}/{run.state_key}.tflock",
    }


def test_a_lock_with_another_id_is_left_alone(s3_state):
    """Someone (a person, another tool) holds the state now: not the dead run's lock, not ours to remove."""
    request = approved_request(request_input(application="lockother"))
    run = dead_run(request, "11111111-aaaa-bbbb-cccc-000000000002")
    key = put_lock(s3_state, run, "99999999-aaaa-bbbb-cccc-000000000000")

    assert release_dead_runs_lock(request) == ""
    assert lock_exists(s3_state, key)


def test_the_lock_of_a_live_run_is_never_released(s3_state):
    request = approved_request(request_input(application="locklive"))
    run = Run.objects.get(request=request)
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, step="apply", state_lock_id="11111111-aaaa-bbbb-cccc-000000000003"
    )
    key = put_lock(s3_state, run, "11111111-aaaa-bbbb-cccc-000000000003")

    assert release_dead_runs_lock(request) == ""
    assert dispatch.sweep()["lock_released"] == []  # its heartbeat is fresh: not abandoned
    assert lock_exists(s3_state, key)


def test_local_state_has_no_lock_to_release(runner_settings):
    request = approved_request(request_input(application="locklocal"))
    dead_run(request, "11111111-aaaa-bbbb-cccc-000000000004")

    assert release_dead_runs_lock(request) == ""
