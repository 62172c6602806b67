"""Plan before approval, with real Terraform on the provider-free twin stack, run in this process.

A request that needs approval is planned at submission; approvers see the plan (page, admin,
API) before they can approve; votes bind to the plan's hash; the apply run applies that saved
plan, plans again when Terraform finds it stale, and goes back to approval when the new plan
does something else. Plans that delete or replace a bucket are refused.

Where a test needs the state to change between plan and apply, it applies a small
configuration to the request's state itself (``apply_to_state``), as an operator or an
interrupted earlier run would have.
"""

import json
import subprocess
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import AuditEntry, Team
from requests_app import approvals, status_machine
from requests_app.approvals import DecisionRefused
from requests_app.models import BucketRequest, CatalogEntry, PlanStatus, RequestStatus
from requests_app.submission import submit_request
from runner import dispatch, execution
from runner.models import Run, RunKind, RunStatus, SavedPlan
from runner.saved_plans import sha256_of
from tests.contract.cases import request_input
from tests.runner.factories import approved_request, ensure_teams

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BUCKET = "terraform_data.bucket"
POLICY = "terraform_data.app_policy"


def prod_request(submitted_by, **overrides) -> BucketRequest:
    """A prod request (needs one approval), submitted the way the form and the API submit."""
    ensure_teams()
    Team.objects.get(slug="app-team").members.add(submitted_by)
    raw = request_input(environment="prod", requester="rita", **overrides)
    return submit_request(raw, submitted_by).request


def plan_run(request) -> Run:
    return Run.objects.filter(request=request, kind=RunKind.PLAN).order_by("-id").first()


def execute(run: Run) -> Run:
    execution.execute_run(run.pk)
    run.refresh_from_db()
    return run


def apply_to_state(runner_settings, tmp_path: Path, state_key: str, hcl: str) -> None:
    """Apply ``hcl`` (built-in terraform_data only) to the state at ``state_key``: the state moves on."""
    directory = tmp_path / f"side-{abs(hash(hcl))}"
    directory.mkdir()
    state = Path(runner_settings["TERRAFORM_STATE_DIR"]) / state_key
    state.parent.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(hcl)
    (directory / "backend_override.tf.json").write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": str(state)}}}})
    )
    (directory / "terraform.rc").write_text("disable_checkpoint = true\n")
    environment = {
        "TF_CLI_CONFIG_FILE": str(directory / "terraform.rc"),
        "TF_IN_AUTOMATION": "1",
        "PATH": "/usr/bin:/bin",
    }
    for args in (
        ["init", "-input=false", "-no-color"],
        ["apply", "-auto-approve", "-input=false", "-no-color"],
    ):
        done = subprocess.run(
            [execution.terraform_binary(), *args],
            cwd=directory,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr


BACKEND = 'terraform {\n  backend "local" {}\n}\n'
OUTPUT_ONLY = BACKEND + 'output "touched" {\n  value = "by an operator"\n}\n'
OTHER_POLICY = (
    BACKEND
    + """resource "terraform_data" "app_policy" {
  input = { stands_for = "aws_iam_policy", name = "someone-elses", policy = "{}" }
}
"""
)
OLD_BUCKET = (
    BACKEND
    + """resource "terraform_data" "bucket" {
  input            = { stands_for = "aws_s3_bucket", bucket_name = "an-older-name" }
  triggers_replace = ["an-older-name"]
}
"""
)


def test_the_plan_is_made_at_submission_and_approving_waits_for_it(runner_settings, requester, approver):
    request = prod_request(requester)
    run = plan_run(request)
    assert (run.kind, run.status) == (RunKind.PLAN, RunStatus.QUEUED)
    assert request.plan_status == PlanStatus.PLANNING

    with pytest.raises(DecisionRefused) as early:
        approvals.decide(request, approver, "approve", "looks fine")
    assert early.value.code == DecisionRefused.PLAN_NOT_READY
    assert "still planning" in early.value.message
    assert not request.approvals.exists()

    assert execute(run).status == RunStatus.SUCCEEDED
    request.refresh_from_db()
    plan = SavedPlan.objects.get(run=run)
    assert request.status == RequestStatus.PENDING_APPROVAL  # nothing applied
    assert (request.plan_status, request.plan_hash) == (PlanStatus.READY, plan.sha256)
    assert sha256_of(bytes(plan.plan_file)) == plan.sha256 == run.plan_sha256
    assert [(c["address"], c["type"], c["action"]) for c in plan.changes] == [
        (POLICY, "aws_iam_policy", "create"),
        (BUCKET, "aws_s3_bucket", "create"),
    ]
    assert "Terraform will perform the following actions" in plan.rendered
    assert plan.show_json["resource_changes"]
    assert not CatalogEntry.objects.filter(request=request).exists()
    assert not (Path(runner_settings["TERRAFORM_STATE_DIR"]) / run.state_key).exists()


def test_a_plan_run_of_a_request_rejected_before_it_started_is_skipped(runner_settings, requester, approver):
    request = prod_request(requester, application="rejected-early")
    run = plan_run(request)
    approvals.decide(request, approver, "reject", "not this one")  # a rejection needs no plan

    assert execution.execute_run(run.pk) == RunStatus.CANCELLED

    run.refresh_from_db()
    request.refresh_from_db()
    assert run.error_summary == f"Not run: {request.request_id} is rejected and no longer waits for a plan."
    assert (run.started_at, run.steps, run.log) == (None, [], "")
    assert not SavedPlan.objects.filter(request=request).exists()
    assert not (Path(runner_settings["TERRAFORM_WORK_DIR"]) / request.request_id).exists()
    assert request.status == RequestStatus.REJECTED
    skipped = AuditEntry.objects.get(request_id=request.request_id, action="run.cancelled")
    assert skipped.detail["reason"] == run.error_summary and skipped.actor == "runner"
    assert not AuditEntry.objects.filter(request_id=request.request_id, action="run.started").exists()


def test_approvers_see_the_plan_on_the_page_in_the_admin_and_in_the_api_before_voting(
    runner_settings, requester, approver, client
):
    request = prod_request(requester)
    execute(plan_run(request))
    request.refresh_from_db()
    client.force_login(approver)

    page = client.get(f"/requests/{request.request_id}/").content.decode()
    admin = client.get(f"/admin/requests_app/bucketrequest/{request.pk}/change/").content.decode()
    ask = client.post(
        "/admin/requests_app/bucketrequest/", {"action": "approve_selected", "_selected_action": [request.pk]}
    ).content.decode()
    for html in (page, admin, ask):
        assert BUCKET in html and POLICY in html
        assert "Terraform will perform the following actions" in html  # the full plan
        assert request.plan_hash[:12] in html
    assert f'name="plan-{request.pk}" value="{request.plan_hash}"' in ask

    api = APIClient()
    api.force_login(approver)
    body = api.get(f"/api/v1/s3-requests/{request.request_id}/plan/").json()
    assert body["status"] == "ready" and body["votePlanHash"] == request.plan_hash
    assert body["plan"]["planHash"] == request.plan_hash
    assert {(c["address"], c["action"]) for c in body["plan"]["changes"]} == {
        (BUCKET, "create"),
        (POLICY, "create"),
    }
    assert "Terraform will perform the following actions" in body["plan"]["text"]

    assert not request.approvals.exists()  # all of that before any vote
    vote = api.post(
        f"/api/v1/s3-requests/{request.request_id}/approve/",
        {"comment": "plan reviewed", "contractHash": request.contract_hash, "planHash": request.plan_hash},
        format="json",
    )
    assert vote.status_code == 200 and vote.json()["approvals"][0]["planHash"] == request.plan_hash


def test_showing_the_plan_reads_neither_the_plan_file_nor_the_show_json(runner_settings, requester, approver):
    """Both can be hundreds of KB (show-json holds the prior state); only a run reads them."""
    request = prod_request(requester)
    execute(plan_run(request))
    api = APIClient()
    api.force_login(approver)

    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/requests/{request.request_id}/").status_code == 200
        assert api.get(f"/api/v1/s3-requests/{request.request_id}/plan/").status_code == 200
    statements = " ".join(query["sql"] for query in queries.captured_queries)
    assert "runner_savedplan" in statements
    assert '"plan_file"' not in statements and '"show_json"' not in statements


def test_approval_applies_the_saved_plan_without_planning_again(runner_settings, requester, approver):
    request = prod_request(requester)
    execute(plan_run(request))
    request.refresh_from_db()
    approved_hash = request.plan_hash
    approvals.decide(request, approver, "approve", "plan reviewed", plan_hash=approved_hash)
    apply_run = Run.objects.get(request=request, kind=RunKind.APPLY)

    assert execute(apply_run).status == RunStatus.SUCCEEDED, apply_run.error_summary
    request.refresh_from_db()
    assert request.status == RequestStatus.APPLIED
    assert apply_run.plan_sha256 == approved_hash
    assert not SavedPlan.objects.filter(run=apply_run).exists()  # it made no plan of its own
    applied = AuditEntry.objects.get(request_id=request.request_id, action="run.applied")
    assert applied.detail == {"run": apply_run.pk, "plan_sha256": approved_hash, "approved_plan": True}
    assert "terraform plan" not in apply_run.log


def test_an_applied_plan_is_not_applied_again_a_later_apply_run_plans_afresh(
    runner_settings, requester, approver, tmp_path
):
    """A remediation of drift (compliance) queues another apply run of an applied request: it
    applies a fresh plan (here: put the drifted bucket back), it does not go back to approval."""
    request = prod_request(requester)
    execute(plan_run(request))
    request.refresh_from_db()
    approvals.decide(request, approver, "approve", "ok")
    applied = execute(Run.objects.get(request=request, kind=RunKind.APPLY))
    apply_to_state(
        runner_settings,
        tmp_path,
        applied.state_key,
        BACKEND
        + f"""resource "terraform_data" "bucket" {{
  input            = {{ stands_for = "aws_s3_bucket", bucket_name = "{request.bucket_name}", versioning = false }}
  triggers_replace = ["{request.bucket_name}"]
}}
""",
    )  # the bucket drifted (and the policy went)
    with transaction.atomic():
        later = dispatch.create_run(request, actor=approver)
        status_machine.transition(request, "remediate", actor=approver)

    assert execute(later).status == RunStatus.SUCCEEDED, later.error_summary
    fresh = SavedPlan.objects.get(run=later)
    assert {(c["address"], c["action"]) for c in fresh.changes} == {(BUCKET, "update"), (POLICY, "create")}
    assert "Saved plan is stale" not in later.log


def test_the_saved_plan_is_applied_from_the_database_not_the_planning_workers_disk(
    runner_settings, requester, approver, settings, tmp_path
):
    request = prod_request(requester)
    execute(plan_run(request))  # the planning worker removes its workspace when the run ends
    assert not list(Path(runner_settings["TERRAFORM_WORK_DIR"]).rglob("*.tfplan"))
    request.refresh_from_db()
    approvals.decide(request, approver, "approve", "ok")
    settings.TERRAFORM_WORK_DIR = tmp_path / "another-machine"  # the applying worker has its own disk

    assert execute(Run.objects.get(request=request, kind=RunKind.APPLY)).status == RunStatus.SUCCEEDED


def test_a_vote_on_another_plan_does_not_count(
    runner_settings, requester, approver, second_approver, settings
):
    settings.APPROVALS_REQUIRED = {**settings.APPROVALS_REQUIRED, "prod": 2}
    request = prod_request(requester)
    execute(plan_run(request))
    request.refresh_from_db()
    first_plan = request.plan_hash
    approvals.decide(request, approver, "approve", "first plan is fine", plan_hash=first_plan)

    dispatch.plan_again(request, actor=approver)  # e.g. to refresh it; votes wait for the new plan
    execute(plan_run(request))
    request.refresh_from_db()
    assert request.plan_hash not in ("", first_plan)

    with pytest.raises(DecisionRefused) as stale:
        approvals.decide(request, second_approver, "approve", "I saw the first plan", plan_hash=first_plan)
    assert stale.value.code == DecisionRefused.STALE_PLAN
    result = approvals.decide(
        request, second_approver, "approve", "second plan is fine", plan_hash=request.plan_hash
    )
    assert result.approvals_counted == 1 and not result.status_changed  # alex's vote was on the first plan
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING_APPROVAL
    result = approvals.decide(
        request, approver, "approve", "second plan is fine too", plan_hash=request.plan_hash
    )
    assert result.approvals_counted == 2 and result.status_changed


def test_a_stale_plan_with_the_same_actions_is_planned_again_and_applied(
    runner_settings, requester, approver, tmp_path
):
    request = prod_request(requester)
    run = execute(plan_run(request))
    request.refresh_from_db()
    approved_hash = request.plan_hash
    approvals.decide(request, approver, "approve", "ok")
    apply_to_state(runner_settings, tmp_path, run.state_key, OUTPUT_ONLY)  # state moves, resources do not

    apply_run = execute(Run.objects.get(request=request, kind=RunKind.APPLY))

    assert apply_run.status == RunStatus.SUCCEEDED, apply_run.error_summary
    assert "Saved plan is stale" in apply_run.log
    fresh = SavedPlan.objects.get(run=apply_run)
    assert fresh.sha256 != approved_hash and apply_run.plan_sha256 == fresh.sha256
    actions = list(AuditEntry.objects.filter(request_id=request.request_id).values_list("action", flat=True))
    assert (
        actions.index("run.plan_stale")
        < actions.index("run.plan_within_approval")
        < actions.index("run.applied")
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.APPLIED


def test_a_stale_plan_with_other_actions_goes_back_to_approval(
    runner_settings, requester, approver, tmp_path
):
    request = prod_request(requester)
    run = execute(plan_run(request))
    request.refresh_from_db()
    approved_hash = request.plan_hash
    approvals.decide(request, approver, "approve", "ok")
    apply_to_state(
        runner_settings, tmp_path, run.state_key, OTHER_POLICY
    )  # someone made the policy meanwhile

    apply_run = execute(Run.objects.get(request=request, kind=RunKind.APPLY))

    assert apply_run.status == RunStatus.RETURNED
    assert apply_run.error_summary.startswith("Returned to approval")
    # Terraform refused the stale saved plan (that apply step failed); planning again succeeded, and the
    # run ended returned with no failed step after it.
    outcomes = [(step["step"], step["outcome"]) for step in apply_run.steps]
    refused = outcomes.index(("apply", "failed"))
    assert {outcome for _, outcome in outcomes[refused + 1 :]} == {"succeeded"}
    assert outcomes[-1][0] == "finish"
    request.refresh_from_db()
    fresh = SavedPlan.objects.get(run=apply_run)
    assert request.status == RequestStatus.PENDING_APPROVAL
    assert (request.plan_status, request.plan_hash) == (PlanStatus.READY, fresh.sha256)
    assert {(c["address"], c["action"]) for c in fresh.changes} == {(BUCKET, "create"), (POLICY, "update")}
    assert approvals.current_votes(request).count() == 0  # the vote on the old plan no longer counts
    entry = AuditEntry.objects.get(request_id=request.request_id, action="request.return_to_approval")
    assert entry.detail["plan_sha256"] == fresh.sha256 and entry.detail["to"] == "pending_approval"
    assert "run.applied" not in set(
        AuditEntry.objects.filter(request_id=request.request_id).values_list("action", flat=True)
    )
    assert fresh.sha256 != approved_hash

    approvals.decide(request, approver, "approve", "new plan reviewed", plan_hash=fresh.sha256)
    again = execute(Run.objects.get(request=request, kind=RunKind.APPLY, status=RunStatus.QUEUED))
    assert again.status == RunStatus.SUCCEEDED and again.plan_sha256 == fresh.sha256


def test_a_plan_that_replaces_the_bucket_is_refused_before_anyone_votes(
    runner_settings, requester, approver, tmp_path
):
    request = prod_request(requester)
    run = plan_run(request)
    apply_to_state(runner_settings, tmp_path, run.state_key, OLD_BUCKET)

    assert execute(run).status == RunStatus.FAILED
    request.refresh_from_db()
    assert run.error_summary.startswith(f"Refused: this plan would replace {BUCKET}.")
    assert (request.plan_status, request.plan_hash) == (PlanStatus.FAILED, "")
    assert request.plan_problem == run.error_summary
    with pytest.raises(DecisionRefused) as refused:
        approvals.decide(request, approver, "approve", "fine")
    assert refused.value.code == DecisionRefused.PLAN_NOT_READY and "Refused: this plan would replace" in str(
        refused.value
    )
    assert request.status == RequestStatus.PENDING_APPROVAL
    refusal = AuditEntry.objects.get(request_id=request.request_id, action="run.plan_refused")
    assert refusal.detail["reason"] == run.error_summary
    approvals.decide(request, approver, "reject", "the bucket would be replaced")  # a rejection needs no plan


def test_an_auto_approved_request_plans_and_applies_in_one_run_and_is_refused_a_replace_too(
    runner_settings, client, approver, tmp_path
):
    request = approved_request(request_input(application="renamed"))
    run = Run.objects.get(request=request)
    apply_to_state(runner_settings, tmp_path, run.state_key, OLD_BUCKET)

    assert execute(run).status == RunStatus.FAILED
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert run.error_summary.startswith(f"Refused: this plan would replace {BUCKET}.")
    assert "terraform apply" not in run.log
    client.force_login(approver)
    assert run.error_summary in client.get(f"/runs/{run.pk}/").content.decode()


def test_an_auto_approved_request_plans_and_applies_in_one_run(runner_settings):
    request = approved_request()
    run = execute(Run.objects.get(request=request))
    assert run.status == RunStatus.SUCCEEDED
    plan = SavedPlan.objects.get(run=run)
    assert run.plan_sha256 == plan.sha256
    assert Run.objects.filter(request=request).count() == 1


def test_a_failed_plan_is_planned_again_by_an_approver(runner_settings, requester, approver):
    request = prod_request(requester)
    run = plan_run(request)
    dispatch.cancel_run(run, actor=approver)  # a plan run that ends without a plan
    request.refresh_from_db()
    assert request.plan_status == PlanStatus.FAILED

    api = APIClient()
    api.force_login(requester)
    assert api.post(f"/api/v1/s3-requests/{request.request_id}/plan/").status_code == 403
    api.force_login(approver)
    created = api.post(f"/api/v1/s3-requests/{request.request_id}/plan/")
    assert created.status_code == 201 and created.json()["kind"] == "plan"
    assert api.post(f"/api/v1/s3-requests/{request.request_id}/plan/").status_code == 409  # one at a time
    execute(Run.objects.get(pk=created.json()["id"]))
    request.refresh_from_db()
    assert request.plan_status == PlanStatus.READY
    assert approvals.decide(request, approver, "approve", "ok").status_changed
