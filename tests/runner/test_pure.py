"""Pure pieces of the runner: the bounded log, reading Terraform's output, the backend override."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.logbound import OMISSION_MARKER, append_bounded
from runner.state_lock import LockInfo, lock_path
from runner.terraform_output import error_summary, output_values, plan_summary, resource_changes
from runner.workspace import (
    BackendTarget,
    backend_override,
    cli_config,
    local_module_dirs,
    prepare_workspace,
    provider_versions,
)
from tests.support.common import PROJECT_ROOT

pytestmark = pytest.mark.db_independent


@given(st.lists(st.text(max_size=300), max_size=40), st.integers(min_value=200, max_value=1000))
def test_the_log_never_outgrows_its_limit_and_keeps_head_and_newest_output(chunks, limit):
    log = ""
    for chunk in chunks:
        log = append_bounded(log, chunk, limit)
    everything = "".join(chunks)
    assert len(log) <= limit
    if len(everything) <= limit:
        assert log == everything
    else:
        tail_size = limit - limit // 2 - len(OMISSION_MARKER)
        assert log == everything[: limit // 2] + OMISSION_MARKER + everything[len(everything) - tail_size :]


def test_plan_summary_counts_like_terraform():
    plan = {
        "resource_changes": [
            {"address": "a", "change": {"actions": ["create"]}},
            {"address": "b", "change": {"actions": ["update"]}},
            {"address": "c", "change": {"actions": ["delete", "create"]}},
            {"address": "d", "change": {"actions": ["no-op"]}},
        ]
    }
    assert plan_summary(plan) == {"add": 2, "change": 1, "destroy": 1}
    assert [change["address"] for change in resource_changes(plan)] == ["a", "b", "c"]


def test_sensitive_outputs_are_masked():
    outputs = {
        "arn": {"value": "arn:x", "sensitive": False},
        "secret": {"value": "s3cr3t", "sensitive": True},
    }
    assert output_values(outputs) == {"arn": "arn:x", "secret": "(sensitive)"}


PLAIN_ERROR = """
Error: Resource precondition failed

  on main.tf line 23, in resource "terraform_data" "bucket":
  23:       condition     = var.cost_alert_gb > 0
    ├────────────────
    │ var.cost_alert_gb is 0

The cost_alert_gb must be positive.
"""

FRAMED = """╷
│ Warning: Deprecated parameter
│
│ Use something else.
╵
╷
│ Error: No valid credential sources found
│
│   with provider["registry.terraform.io/hashicorp/aws"],
│   on providers.tf line 5, in provider "aws":
│
╵
"""


def test_error_summary_reads_plain_and_framed_diagnostics():
    assert error_summary(PLAIN_ERROR) == "Resource precondition failed: The cost_alert_gb must be positive."
    assert error_summary(FRAMED) == "No valid credential sources found"
    assert error_summary("Segmentation fault\ncore dumped\n") == "Segmentation fault\ncore dumped"


def test_local_backend_by_default_s3_with_lockfile_and_endpoint_when_configured(tmp_path):
    key = "envs/dev/s3/S3-0001/terraform.tfstate"
    local = backend_override(BackendTarget(key=key, local_state_dir=tmp_path))
    assert local == {"terraform": {"backend": {"local": {"path": str(tmp_path / key)}}}}

    s3 = backend_override(
        BackendTarget(
            key=key,
            local_state_dir=tmp_path,
            bucket="state",
            region="eu-west-1",
            endpoint_url="http://127.0.0.1:5005",
        )
    )["terraform"]["backend"]["s3"]
    assert (s3["bucket"], s3["key"], s3["region"], s3["use_lockfile"]) == ("state", key, "eu-west-1", True)
    assert s3["endpoints"] == {"s3": "http://127.0.0.1:5005"} and s3["use_path_style"] is True

    dynamo = backend_override(
        BackendTarget(
            key=key, local_state_dir=tmp_path, bucket="state", region="eu-west-1", lock_table="locks"
        )
    )["terraform"]["backend"]["s3"]
    assert dynamo["dynamodb_table"] == "locks" and "use_lockfile" not in dynamo and "endpoints" not in dynamo


def test_the_workspace_copies_the_stack_with_its_local_modules():
    stack = PROJECT_ROOT / "terraform" / "stacks" / "s3-request"
    assert local_module_dirs(stack) == {
        stack.resolve(),
        (PROJECT_ROOT / "terraform/modules/s3-bucket").resolve(),
    }
    assert local_module_dirs(Path(PROJECT_ROOT / "terraform/testing/s3-request-fake")) == {
        (PROJECT_ROOT / "terraform/testing/s3-request-fake").resolve()
    }


def test_the_backend_assumes_the_environments_role_when_one_is_set(tmp_path):
    key = "envs/prod/s3/S3-0001/terraform.tfstate"
    s3 = backend_override(
        BackendTarget(
            key=key,
            local_state_dir=tmp_path,
            bucket="state",
            region="us-east-1",
            endpoint_url="http://127.0.0.1:5005",
            role_arn="arn:aws:iam::111111111111:role/bucketwise-prod",
        )
    )
    settings = s3["terraform"]["backend"]["s3"]

    assert settings["assume_role"] == {
        "role_arn": "arn:aws:iam::111111111111:role/bucketwise-prod",
        "session_name": "bucketwise-runner",
    }
    assert settings["endpoints"]["sts"] == "http://127.0.0.1:5005"  # the role is assumed where the state is
    plain = backend_override(
        BackendTarget(key=key, local_state_dir=tmp_path, bucket="state", region="us-east-1")
    )
    assert "assume_role" not in plain["terraform"]["backend"]["s3"]


def test_the_cli_config_installs_providers_only_from_the_mirror_when_one_is_set(tmp_path):
    plain = cli_config(tmp_path / "cache")
    mirrored = cli_config(tmp_path / "cache", "/opt/tf-plugins")

    assert "provider_installation" not in plain and f'plugin_cache_dir = "{tmp_path / "cache"}"' in plain
    assert mirrored.startswith(plain)
    assert 'filesystem_mirror {\n    path = "/opt/tf-plugins"' in mirrored
    assert "direct" not in mirrored  # no registry fallback: a missing provider fails instead of downloading


def test_every_workspace_gets_the_stacks_committed_lock_file(tmp_path):
    stack = PROJECT_ROOT / "terraform" / "stacks" / "s3-request"
    workspace = prepare_workspace(
        tmp_path / "run-1",
        stack_dir=stack,
        variables={},
        backend=BackendTarget(key="k", local_state_dir=tmp_path / "state"),
        plugin_cache_dir=tmp_path / "cache",
        provider_mirror="/mirror",
    )

    assert (workspace.config_dir / ".terraform.lock.hcl").read_bytes() == (
        stack / ".terraform.lock.hcl"
    ).read_bytes()
    assert provider_versions(workspace.config_dir) == {"registry.terraform.io/hashicorp/aws": "5.100.0"}
    assert "/mirror" in workspace.cli_config_file.read_text()
    assert provider_versions(tmp_path) == {}  # no lock file (the provider-free twin): nothing to record


def test_terraform_lock_info_is_read_with_its_nanosecond_time():
    lock = LockInfo.parse(
        '{"ID": "5e3d", "Operation": "OperationTypeApply", "Who": "root@worker-1", '
        '"Created": "2026-12-02T13:55:19.123456789Z", "Path": "state/envs/dev/k"}'
    )

    assert (lock.id, lock.operation, lock.who) == ("5e3d", "OperationTypeApply", "root@worker-1")
    assert lock.created == datetime(2026, 12, 2, 13, 55, 19, 123456, tzinfo=UTC)
    assert LockInfo.parse("not json") is None and LockInfo.parse('{"Who": "x"}') is None
    assert (
        lock_path(BackendTarget(key="envs/k", local_state_dir=Path("/s"), bucket="b"))
        == "s3://b/envs/k.tflock"
    )
    assert lock_path(BackendTarget(key="envs/k", local_state_dir=Path("/s"))) == ""


REGISTRY_UNREACHABLE_STDERR = """
Initializing the backend...
Initializing provider plugins...
- Finding hashicorp/aws versions matching "~> 5.100"...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider hashicorp/aws: could not connect to
registry.terraform.io: failed to request discovery document: Get
"https://registry.terraform.io/.well-known/terraform.json": dial tcp: lookup registry.terraform.io on
127.0.0.53:53: no such host

To see which modules are currently depending on hashicorp/aws and what versions are specified, run the
following command:
    terraform providers
"""


def test_an_unreachable_registry_is_named_with_the_offline_remedies():
    reason = error_summary(REGISTRY_UNREACHABLE_STDERR)
    assert reason.startswith("Terraform could not reach the provider registry")
    assert "TERRAFORM_PROVIDER_MIRROR" in reason and "TERRAFORM_STACK_DIR" in reason
    assert "terraform providers" not in reason


def test_closing_advice_is_not_taken_for_the_reason():
    stderr = (
        "Error: Inconsistent dependency lock file\n\nThe provider hashicorp/aws 5.1.0 is not in the lock file."
        "\n\nTo see which modules are currently depending on hashicorp/aws, run:\n  terraform providers\n"
    )
    assert error_summary(stderr) == (
        "Inconsistent dependency lock file: The provider hashicorp/aws 5.1.0 is not in the lock file."
    )
