"""Runner test setup: the provider-free stack, state and workspaces under tmp_path, fast heartbeats."""

from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

FAKE_STACK = PROJECT_ROOT / "terraform" / "testing" / "s3-request-fake"


@pytest.fixture
def runner_settings(settings, tmp_path):
    """Point this process's settings at the fake stack; returns the same as environment
    variables for a worker cluster (start_worker_cluster(**runner_settings))."""
    values = {
        "TERRAFORM_STACK_DIR": str(FAKE_STACK),
        "TERRAFORM_STATE_DIR": str(tmp_path / "state"),
        "TERRAFORM_WORK_DIR": str(tmp_path / "runs"),
        "TERRAFORM_PLUGIN_CACHE_DIR": str(tmp_path / "plugin-cache"),
    }
    settings.TERRAFORM_STACK_DIR = FAKE_STACK
    settings.TERRAFORM_STATE_DIR = Path(values["TERRAFORM_STATE_DIR"])
    settings.TERRAFORM_WORK_DIR = Path(values["TERRAFORM_WORK_DIR"])
    settings.TERRAFORM_PLUGIN_CACHE_DIR = Path(values["TERRAFORM_PLUGIN_CACHE_DIR"])
    settings.RUNNER_HEARTBEAT_SECONDS = 0.5
    settings.RUNNER_CANCEL_GRACE_SECONDS = 5
    return {**values, "RUNNER_HEARTBEAT_SECONDS": "0.5", "RUNNER_CANCEL_GRACE_SECONDS": "5",
            "Q_WORKERS": "2"}
