"""Per-step times of a run (Run.steps): recorded by the worker with real Terraform on the twin stack,
shown on the run page, in the API and in the admin; an interrupted run shows the step it stopped in."""

import re
import shutil
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from runner import execution
from runner.models import Run, RunStatus
from tests.contract.cases import request_input
from tests.runner.factories import approved_request

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# `version -json` runs once per worker process (the version is remembered), so it is left out here.
APPLY_STEPS = [
    "claim",
    "prepare",
    "init",
    "plan",
    "show -json",
    "show",
    "save plan",
    "apply",
    "output -json",
    "finish",
]


def without_version(steps: list[dict]) -> list[str]:
    return [step["step"] for step in steps if step["step"] != "version -json"]


def test_a_run_records_every_step_in_order_within_its_duration(runner_settings, client, approver):
    request = approved_request(request_input(application="timed"))
    run = Run.objects.get(request=request)

    assert execution.execute_run(run.pk) == RunStatus.SUCCEEDED

    run.refresh_from_db()
    assert without_version(run.steps) == APPLY_STEPS
    assert {step["outcome"] for step in run.steps} == {"succeeded"}
    starts = [datetime.fromisoformat(step["started_at"]) for step in run.steps]
    ends = [datetime.fromisoformat(step["finished_at"]) for step in run.steps]
    assert starts[0] == run.started_at and ends[-1] == run.finished_at
    assert all(start <= end for start, end in zip(starts, ends, strict=True))
    assert all(end <= next_start for end, next_start in zip(ends, starts[1:], strict=False))
    assert all(step["seconds"] >= 0 for step in run.steps)
    assert sum(step["seconds"] for step in run.steps) <= (run.finished_at - run.started_at).total_seconds()

    client.force_login(approver)
    page = client.get(reverse("runner:run-detail", args=[run.pk])).content.decode()
    assert (
        page.index("<code>init</code>") < page.index("<code>apply</code>") < page.index("<code>finish</code>")
    )
    apply = next(step for step in run.steps if step["step"] == "apply")
    assert f"<td>{datetime.fromisoformat(apply['started_at']):%H:%M:%S} UTC</td>" in page
    api = APIClient()
    api.force_authenticate(approver)
    assert api.get(f"/api/v1/runs/{run.pk}/").json()["steps"] == run.steps
    admin_page = client.get(reverse("admin:runner_run_change", args=[run.pk])).content.decode()
    assert "<td>output -json</td>" in admin_page


def test_a_failed_init_is_the_failing_step(runner_settings, settings, tmp_path, client, approver):
    """The twin stack asking for hashicorp/aws from an empty provider mirror: `init` fails, offline."""
    stack = tmp_path / "stack"
    shutil.copytree(runner_settings["TERRAFORM_STACK_DIR"], stack)
    (stack / "needs_aws.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
    )
    (tmp_path / "empty-mirror").mkdir()
    settings.TERRAFORM_STACK_DIR = stack
    settings.TERRAFORM_PROVIDER_MIRROR = str(tmp_path / "empty-mirror")
    run = Run.objects.get(request=approved_request(request_input(application="noinit")))

    assert execution.execute_run(run.pk) == RunStatus.FAILED

    run.refresh_from_db()
    assert without_version(run.steps) == ["claim", "prepare", "init", "finish"]
    init = run.steps[-2]
    assert (init["outcome"], run.step) == ("failed", "init")
    assert run.error_summary.startswith("terraform init failed")
    client.force_login(approver)
    page = client.get(reverse("runner:run-detail", args=[run.pk])).content.decode()
    assert '<tr class="stopped"><td><code>init</code></td>' in page
    assert '<span class="badge bad">failed</span>' in page


def test_a_run_whose_worker_died_shows_the_step_it_stopped_in(client, approver):
    """The row as a SIGKILLed worker leaves it (apply started, never ended) after the sweeper failed it."""
    run = Run.objects.get(request=approved_request())
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED,
        step="apply",
        steps=[
            {
                "step": "init",
                "started_at": "2026-12-02T10:00:00+00:00",
                "finished_at": "2026-12-02T10:00:01.500000+00:00",
                "seconds": 1.5,
                "outcome": "succeeded",
            },
            {
                "step": "apply",
                "started_at": "2026-12-02T10:00:02+00:00",
                "finished_at": None,
                "seconds": None,
                "outcome": "",
            },
        ],
    )
    client.force_login(approver)

    page = client.get(reverse("runner:run-detail", args=[run.pk])).content.decode()

    assert "<td>10:00:00 UTC</td><td>1.50 s</td>" in page
    assert '<tr class="stopped"><td><code>apply</code></td>' in page
    assert "did not finish" in page and '<span class="badge bad">stopped</span>' in page


def test_the_status_the_run_page_polls_carries_the_steps_table_with_the_running_step(client, approver):
    """The page's live refresh replaces its steps table with this fragment (run_log.js), so a step that
    starts or ends while the page is open shows without a reload, the running one with its time so far."""
    run = Run.objects.get(request=approved_request())
    started = timezone.now() - timedelta(seconds=12)
    claim = {
        "step": "claim",
        "started_at": (started - timedelta(seconds=1)).isoformat(),
        "finished_at": started.isoformat(),
        "seconds": 1.0,
        "outcome": "succeeded",
    }
    init = {
        "step": "init",
        "started_at": started.isoformat(),
        "finished_at": None,
        "seconds": None,
        "outcome": "",
    }
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, step="init", started_at=started - timedelta(seconds=1), steps=[claim, init]
    )
    client.force_login(approver)

    page = client.get(reverse("runner:run-detail", args=[run.pk])).content.decode()
    status = client.get(reverse("runner:run-status", args=[run.pk])).json()

    fragment = status["steps_html"]

    # The page's own table, as rendered on load (the running time aside: the two were read moments apart).
    def timeless(html):
        return re.sub(r"running for [\d.]+ s", "running for N s", html)

    assert fragment.strip() and timeless(fragment) in timeless(page)
    assert "<code>claim</code>" in fragment and "<td>1.00 s</td>" in fragment
    running = re.search(
        r"<td><code>init</code></td>\s*<td>[\d:]+ UTC</td><td>running for ([\d.]+) s</td>", fragment
    )
    assert running and float(running.group(1)) >= 12
    assert status["duration"].endswith(" so far")

    finished_init = {
        **init,
        "finished_at": timezone.now().isoformat(),
        "seconds": 12.5,
        "outcome": "succeeded",
    }
    plan = {**init, "step": "plan", "started_at": timezone.now().isoformat()}
    Run.objects.filter(pk=run.pk).update(step="plan", steps=[claim, finished_init, plan])

    fragment = client.get(reverse("runner:run-status", args=[run.pk])).json()["steps_html"]
    assert "<td>12.5 s</td>" in fragment and re.search(r"<code>plan</code>.*running for", fragment, re.S)


def test_the_status_of_a_queued_run_says_no_step_has_started(client, approver):
    run = Run.objects.get(request=approved_request())
    client.force_login(approver)
    status = client.get(reverse("runner:run-status", args=[run.pk])).json()
    assert "No step has started yet." in status["steps_html"] and status["duration"] == "not started"
