"""Runner faults through a real `manage.py qcluster` running real Terraform (the provider-free twin stack).

tests/runner/test_worker_cluster.py already proves that a worker killed with SIGKILL mid-apply is
detected and that its retry succeeds, and that a request approved while the broker is down is
handed over by the sweeper. These tests add what those leave open: nothing is applied twice, even
when the broker delivers the same work again afterwards.
"""

import time
from contextlib import contextmanager

import pytest
from django.conf import settings as live_settings
from django_q.conf import Conf
from django_q.models import Task
from django_q.tasks import async_task, result

from core.models import AuditEntry
from requests_app.models import CatalogEntry
from runner import dispatch
from runner.models import Run, RunStatus
from tests.contract.cases import request_input
from tests.runner.factories import approved_request
from tests.runner.waiting import applying, finished, wait_for_run

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

APPLY_ONCE_ACTIONS = ("run.started", "run.applied", "request.mark_applied")


def apply_counts(request) -> dict:
    actions = list(AuditEntry.objects.filter(request_id=request.request_id).values_list("action", flat=True))
    return {action: actions.count(action) for action in APPLY_ONCE_ACTIONS}


def state_file(request):
    return (
        live_settings.TERRAFORM_STATE_DIR
        / f"envs/{request.environment}/s3/{request.request_id}/terraform.tfstate"
    )


def deliver_again(run_id: int) -> str:
    """What a broker does with a task whose worker died: deliver it once more; its outcome."""
    return result(async_task(dispatch.EXECUTE_TASK, run_id), wait=60_000)


def test_after_a_killed_apply_and_its_retry_late_redeliveries_apply_nothing(
    runner_settings, start_worker_cluster, approver, settings
):
    cluster = start_worker_cluster(**runner_settings, BUCKETWISE_FAKE_APPLY_SECONDS="60")
    request = approved_request(request_input(application="killedonce"))
    killed = wait_for_run(applying, request=request)
    cluster.kill()
    settings.RUNNER_HEARTBEAT_STALE_SECONDS = 1
    time.sleep(1.5)
    assert dispatch.sweep()["failed"] == [killed.pk]
    retry = dispatch.retry_request(request, actor=approver)
    start_worker_cluster(**runner_settings)
    retry = wait_for_run(finished, run_id=retry.pk)
    assert retry.status == RunStatus.SUCCEEDED, retry.error_summary
    state_after_retry = state_file(request).read_bytes()

    assert [deliver_again(killed.pk), deliver_again(retry.pk)] == [RunStatus.FAILED, RunStatus.SUCCEEDED]

    assert apply_counts(request) == {"run.started": 2, "run.applied": 1, "request.mark_applied": 1}
    assert state_file(request).read_bytes() == state_after_retry
    assert CatalogEntry.objects.filter(bucket_name=request.bucket_name).count() == 1
    assert list(Run.objects.filter(request=request).order_by("attempt").values_list("status", flat=True)) == [
        RunStatus.FAILED,
        RunStatus.SUCCEEDED,
    ]


@contextmanager
def broker_down(monkeypatch):
    """Redis: a real refused connection (nothing listens on port 1). ORM broker: it is the database
    the approval commits to, so it cannot be down while that commit works; a stand-in refuses."""
    with monkeypatch.context() as down:
        if live_settings.REDIS_URL:
            down.setattr(Conf, "REDIS", "redis://127.0.0.1:1/15")
        else:
            down.setattr(dispatch, "async_task", _refuse)
        yield


def _refuse(*args, **kwargs):
    raise ConnectionError("broker unreachable")


def test_approved_while_the_broker_is_down_then_handed_over_three_times_applies_once(
    runner_settings, start_worker_cluster, monkeypatch, settings
):
    with broker_down(monkeypatch):
        request = approved_request(request_input(application="brokerback"))
    run = Run.objects.get(request=request)
    assert (run.status, run.handed_over_at) == (RunStatus.QUEUED, None)

    settings.RUNNER_HANDOVER_GRACE_SECONDS = 0  # every sweep hands the queued run over again
    for _ in range(3):
        assert run.pk in dispatch.sweep()["handed_over"]
    start_worker_cluster(**runner_settings)
    run = wait_for_run(finished, run_id=run.pk)
    wait_for_deliveries(f"run-{run.pk}", at_least=3)

    assert run.status == RunStatus.SUCCEEDED, run.error_summary
    assert apply_counts(request) == {"run.started": 1, "run.applied": 1, "request.mark_applied": 1}
    assert CatalogEntry.objects.filter(bucket_name=request.bucket_name).count() == 1


def wait_for_deliveries(task_name: str, *, at_least: int, timeout: float = 30) -> None:
    """Until the cluster has finished ``at_least`` tasks of that name (django-q saves each result)."""
    deadline = time.monotonic() + timeout
    while Task.objects.filter(name=task_name).count() < at_least:
        assert time.monotonic() < deadline, f"fewer than {at_least} deliveries of {task_name} finished"
        time.sleep(0.2)
