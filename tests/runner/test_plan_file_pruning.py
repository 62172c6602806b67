"""Saved plan files are removed once no apply can use them, never before; the record stays.

Real runs on the provider-free twin stack, run in this process (as in test_plan_approval.py): the
plans pruned are the files Terraform wrote, and the applies that follow a prune use the file that
survived it.
"""

import pytest
from rest_framework.test import APIClient

from requests_app import approvals
from requests_app.models import RequestStatus
from requests_app.withdrawal import withdraw_request
from runner import dispatch, saved_plans
from runner.models import Run, RunKind, RunStatus, SavedPlan
from runner.saved_plans import PlanFileDamaged, prune_plan_files, sha256_of, write_plan_file
from tests.runner.factories import approved_request
from tests.runner.test_plan_approval import execute, plan_run, prod_request
from tests.support.common import run_at_once

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def planned(requester, **overrides):
    """A prod request pending approval with its plan ready: (request, plan)."""
    request = prod_request(requester, **overrides)
    execute(plan_run(request))
    request.refresh_from_db()
    return request, SavedPlan.objects.get(request=request, sha256=request.plan_hash)


def file_kept(plan: SavedPlan) -> bool:
    plan.refresh_from_db()
    return plan.file_removed_at is None and sha256_of(bytes(plan.plan_file)) == plan.sha256


def test_a_pending_and_an_approved_requests_plan_survives_the_prune_and_is_the_one_applied(
    runner_settings, requester, approver
):
    request, plan = planned(requester)
    assert prune_plan_files() == 0 and file_kept(plan)  # pending approval: votes may come

    approvals.decide(request, approver, "approve", "plan reviewed", plan_hash=plan.sha256)
    assert prune_plan_files() == 0 and file_kept(plan)  # approved, its apply run queued

    apply_run = execute(Run.objects.get(request=request, kind=RunKind.APPLY))
    assert apply_run.status == RunStatus.SUCCEEDED and apply_run.plan_sha256 == plan.sha256
    assert "terraform plan" not in apply_run.log  # the surviving file was applied as is


def test_an_applied_plans_file_is_removed_and_its_record_stays(runner_settings, requester, approver):
    request, plan = planned(requester)
    rendered, changes = plan.rendered, plan.changes
    approvals.decide(request, approver, "approve", "ok")
    execute(Run.objects.get(request=request, kind=RunKind.APPLY))

    assert prune_plan_files() == 1
    plan.refresh_from_db()
    assert bytes(plan.plan_file) == b"" and plan.file_removed_at is not None
    assert (plan.rendered, plan.changes, plan.sha256) == (rendered, changes, request.plan_hash)
    assert plan.show_json["resource_changes"]
    api = APIClient()
    api.force_login(approver)
    body = api.get(f"/api/v1/s3-requests/{request.request_id}/plan/").json()["plan"]
    assert body["planHash"] == plan.sha256 and body["fileRemovedAt"] is not None
    assert "Terraform will perform the following actions" in body["text"]
    page = api.get(f"/requests/{request.request_id}/").content.decode()
    assert "Terraform will perform the following actions" in page  # the request page still shows it

    assert prune_plan_files() == 0  # idempotent


def test_an_auto_approved_runs_own_plan_is_removed_once_the_run_ended(runner_settings):
    request = approved_request()
    run = execute(Run.objects.get(request=request))
    assert run.status == RunStatus.SUCCEEDED

    assert prune_plan_files() == 1
    assert SavedPlan.objects.get(run=run).file_removed_at is not None


def test_a_superseded_plan_is_removed_and_the_new_one_kept(runner_settings, requester, approver):
    request, first = planned(requester)
    dispatch.plan_again(request, actor=approver)
    assert prune_plan_files() == 1 and not file_kept(first)  # votes on it stopped counting

    execute(plan_run(request))
    request.refresh_from_db()
    second = SavedPlan.objects.get(request=request, sha256=request.plan_hash)
    assert prune_plan_files() == 0 and file_kept(second)


def test_a_plan_saved_by_a_running_run_survives_a_prune_at_that_moment(
    runner_settings, requester, monkeypatch
):
    """Between saving its plan and ending (when the plan becomes the one votes bind to), a plan run's
    plan matches nothing on the request: a prune from another worker right then must keep it."""
    save_plan = saved_plans.save_plan
    pruned_meanwhile = []

    def save_then_prune(*args, **kwargs):
        saved = save_plan(*args, **kwargs)
        pruned_meanwhile.append(prune_plan_files())
        return saved

    monkeypatch.setattr(saved_plans, "save_plan", save_then_prune)
    request, plan = planned(requester)

    assert pruned_meanwhile == [0]
    assert file_kept(plan) and request.plan_hash == plan.sha256


@pytest.mark.parametrize("ending", ["rejected", "withdrawn"])
def test_a_rejected_or_withdrawn_requests_plan_is_removed(runner_settings, requester, approver, ending):
    request, plan = planned(requester, application=f"ends-{ending}")
    if ending == "rejected":
        approvals.decide(request, approver, "reject", "not this one")
    else:
        withdraw_request(request, requester, reason="no longer needed")
    request.refresh_from_db()
    assert request.status in (RequestStatus.REJECTED, RequestStatus.CANCELLED)

    assert prune_plan_files() == 1 and not file_kept(plan)


def test_a_failed_requests_approved_plan_is_kept_for_the_retry_that_applies_it(
    runner_settings, requester, approver
):
    request, plan = planned(requester)
    approvals.decide(request, approver, "approve", "ok")
    dispatch.cancel_run(Run.objects.get(request=request, kind=RunKind.APPLY), actor=approver)
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED

    assert prune_plan_files() == 0 and file_kept(plan)
    retry = execute(dispatch.retry_request(request, actor=approver))
    assert retry.status == RunStatus.SUCCEEDED and retry.plan_sha256 == plan.sha256
    assert prune_plan_files() == 1


def test_two_workers_pruning_at_once_remove_each_file_once(runner_settings, requester, approver):
    plans = []
    for name in ("one", "two", "three"):
        request, plan = planned(requester, application=f"prune-{name}")
        approvals.decide(request, approver, "reject", "no")
        plans.append(plan)
    kept_request, kept = planned(requester, application="prune-kept")
    removed = run_at_once(lambda _: prune_plan_files(), 2)

    assert all(isinstance(count, int) for count in removed), removed
    assert sum(removed) == 3
    assert all(not file_kept(plan) for plan in plans) and file_kept(kept)


def test_a_removed_plan_file_is_never_written_for_an_apply(runner_settings, requester, approver, tmp_path):
    request, plan = planned(requester)
    approvals.decide(request, approver, "reject", "no")
    prune_plan_files()
    plan.refresh_from_db()

    with pytest.raises(PlanFileDamaged, match=f"The plan {plan.sha256[:12]} was removed on"):
        write_plan_file(plan, tmp_path / "plan.tfplan")
    assert not (tmp_path / "plan.tfplan").exists()
