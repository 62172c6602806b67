"""Every stack validates against the real hashicorp/aws schema, installed from the provider mirror with
the stack's committed lock file (the static checks in test_terraform_static.py stop before providers;
the stacks no test applies are validated here)."""

import os
import shutil
import subprocess

import pytest

from runner.workspace import cli_config, provider_versions
from tests.terraform.support import TERRAFORM_ROOT, relative_id

pytestmark = [pytest.mark.slow, pytest.mark.real_provider]

STACKS = sorted(path.parent for path in TERRAFORM_ROOT.glob("stacks/*/.terraform.lock.hcl"))
# s3-request is applied for real (tests/runner/test_real_stack.py), which validates it on the way.
VALIDATED_HERE = [stack for stack in STACKS if stack.name != "s3-request"]


def test_every_stack_with_a_provider_commits_its_lock_file():
    with_providers = {
        path.parent
        for path in TERRAFORM_ROOT.glob("stacks/*/versions.tf")
        if "required_providers" in path.read_text()
    }
    assert with_providers == set(STACKS)
    assert all(
        provider_versions(stack) == {"registry.terraform.io/hashicorp/aws": "5.100.0"} for stack in STACKS
    )


@pytest.mark.parametrize("stack", VALIDATED_HERE, ids=relative_id)
def test_the_stack_validates_with_the_locked_real_provider(
    stack, provider_mirror, real_plugin_cache, terraform_bin, tmp_path
):
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_ROOT, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    config = copy / stack.relative_to(TERRAFORM_ROOT)
    (tmp_path / "terraform.rc").write_text(cli_config(real_plugin_cache, str(provider_mirror)))
    environment = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(tmp_path / "terraform.rc"),
        "TF_IN_AUTOMATION": "1",
    }

    def terraform(*args):
        return subprocess.run(
            [str(terraform_bin), *args, "-no-color"],
            cwd=config,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )

    init = terraform("init", "-backend=false", "-input=false", "-lockfile=readonly")
    assert init.returncode == 0, init.stdout + init.stderr
    validate = terraform("validate")
    assert validate.returncode == 0, validate.stdout + validate.stderr
