"""Terraform and its provisioners see an allow-listed environment, never the worker's secrets."""

import shutil
from pathlib import Path

import pytest

from runner import execution
from runner.environment import run_environment
from runner.models import Run, RunStatus
from tests.runner.factories import approved_request

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FAKE_STACK = Path(__file__).resolve().parents[2] / "terraform" / "testing" / "s3-request-fake"
WORKER_SECRETS = {
    "SECRET_KEY": "worker-secret-key",
    "DATABASE_URL": "postgres://portal:pw@db/portal",
    "REDIS_URL": "redis://:pw@cache:6379/0",
    "API_SIGNING_TOKEN": "xyz",
}


def test_only_allowed_names_pass_and_overrides_win():
    source = {
        **WORKER_SECRETS,
        "PATH": "/usr/bin",
        "HOME": "/home/worker",
        "TF_LOG": "INFO",
        "AWS_PROFILE": "platform",
        "HTTPS_PROXY": "http://proxy:3128",
        "SSL_CERT_FILE": "/etc/ca.pem",
        "TF_IN_AUTOMATION": "0",
        "OPERATOR_CHOICE": "1",
    }

    environment = run_environment({"TF_IN_AUTOMATION": "1"}, passthrough=["OPERATOR_CHOICE"], source=source)

    assert environment == {
        "PATH": "/usr/bin",
        "HOME": "/home/worker",
        "TF_LOG": "INFO",
        "AWS_PROFILE": "platform",
        "HTTPS_PROXY": "http://proxy:3128",
        "SSL_CERT_FILE": "/etc/ca.pem",
        "TF_IN_AUTOMATION": "1",
        "OPERATOR_CHOICE": "1",
    }


def test_a_provisioner_inside_a_run_sees_no_portal_secret(runner_settings, settings, tmp_path, monkeypatch):
    """A stack whose provisioner writes its whole environment to a file, applied by the real runner."""
    stack = tmp_path / "stack"
    shutil.copytree(FAKE_STACK, stack)  # follows the variables.tf symlink
    dump = tmp_path / "provisioner-environment.txt"
    (stack / "dump_environment.tf").write_text(
        'resource "terraform_data" "dump_environment" {\n'
        '  provisioner "local-exec" {\n'
        f'    command = "env > {dump}"\n'
        "  }\n"
        "}\n"
    )
    settings.TERRAFORM_STACK_DIR = stack
    for name, value in WORKER_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_PROFILE", "platform-runner")
    request = approved_request()
    run = Run.objects.get(request=request)

    assert execution.execute_run(run.pk) == RunStatus.SUCCEEDED, Run.objects.get(pk=run.pk).error_summary

    seen = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert not set(WORKER_SECRETS) & set(seen)
    assert not any(value in dump.read_text() for value in WORKER_SECRETS.values())
    assert seen["AWS_PROFILE"] == "platform-runner"
    assert seen["TF_IN_AUTOMATION"] == "1" and "PATH" in seen
