"""Fixtures for the Terraform checks: the bundled terraform shim and an offline CLI config."""

import os
import subprocess
from pathlib import Path

import pytest

from runner.terraform_cli import bundled_terraform_path
from tests.terraform.support import OFFLINE_CLI_CONFIG


@pytest.fixture(scope="session")
def terraform_bin(tmp_path_factory) -> Path:
    return bundled_terraform_path(tmp_path_factory.mktemp("bin"))


@pytest.fixture(scope="session")
def terraform_env(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("terraform-home")
    mirror = home / "empty-mirror"
    mirror.mkdir()
    cli_config = home / "terraform.rc"
    cli_config.write_text(OFFLINE_CLI_CONFIG.format(mirror=mirror))
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1"}


@pytest.fixture
def run_terraform(terraform_bin, terraform_env):
    """Run the bundled terraform with ``args`` in ``cwd``; returns the CompletedProcess."""

    def run(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120):
        return subprocess.run(
            [str(terraform_bin), *args],
            cwd=cwd,
            env={**terraform_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
