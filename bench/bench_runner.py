"""The portal's run of the provider-free stack against the same Terraform commands run bare; prints JSON.

- portal: runner.execution.execute_run on a freshly approved request (workspace, heartbeat,
  audit entries, row updates, catalog and request transitions) — in this process, no queue;
- bare: init, plan -out, show -json, apply, output -json with the same `terraform` shim in a
  copy of the stack, local state;
- overhead_ratio = portal median / bare median.
Run: .venv/bin/python bench/bench_runner.py [--runs 5]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FAKE_STACK = ROOT / "terraform" / "testing" / "s3-request-fake"


def configure_django(var_dir: Path) -> None:
    os.environ.update(BUCKETWISE_VAR_DIR=str(var_dir), SECRET_KEY="bench-only", DEBUG="false",
                      TERRAFORM_STACK_DIR=str(FAKE_STACK), LOG_LEVEL="WARNING")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def portal_run_seconds(index: int) -> float:
    from django.db import transaction

    from requests_app import lifecycle
    from runner import execution
    from runner.models import Run
    from tests.contract.cases import request_input
    from tests.runner.factories import saved_request

    with transaction.atomic():
        request = saved_request(request_input(application=f"bench-{index}"))
        lifecycle.transition(request, "approve", actor="bench")
    run = Run.objects.get(request=request)
    started = time.perf_counter()
    status = execution.execute_run(run.pk)
    elapsed = time.perf_counter() - started
    if status != "succeeded":
        raise SystemExit(f"portal run failed: {Run.objects.get(pk=run.pk).error_summary}")
    return elapsed


def bare_run_seconds(terraform: str, variables: dict, work: Path) -> float:
    config = work / "config"
    shutil.copytree(FAKE_STACK, config)
    (config / "terraform.tfvars.json").write_text(json.dumps(variables))
    (config / "backend_override.tf.json").write_text(json.dumps(
        {"terraform": {"backend": {"local": {"path": str(work / "terraform.tfstate")}}}}))
    (work / "terraform.rc").write_text("disable_checkpoint = true\n")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": str(work / "terraform.rc")}
    plan = str(work / "plan.tfplan")
    started = time.perf_counter()
    for args in (["init", "-input=false", "-no-color"], ["plan", "-input=false", "-no-color", f"-out={plan}"],
                 ["show", "-json", plan], ["apply", "-input=false", "-no-color", plan], ["output", "-json"]):
        subprocess.run([terraform, *args], cwd=config, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def bare_variables() -> dict:
    from requests_app.contract import build_contract, parse_request_input, terraform_variables
    from requests_app.platform_policy import current_policy
    from tests.contract.cases import request_input

    policy = current_policy()
    contract = build_contract(parse_request_input(request_input(application="bench-bare")), "S3-0001", policy).contract
    return {**terraform_variables(contract, policy), "aws_region": "us-east-1", "aws_endpoint_url": ""}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as temporary:
        base = Path(temporary)
        configure_django(base / "var")
        from runner.execution import terraform_binary

        terraform = terraform_binary()
        variables = bare_variables()
        portal = [portal_run_seconds(index) for index in range(args.runs)]
        bare = [bare_run_seconds(terraform, variables, Path(tempfile.mkdtemp(dir=base))) for _ in range(args.runs)]
    result = {
        "runs": args.runs,
        "portal_median_seconds": round(statistics.median(portal), 3),
        "bare_median_seconds": round(statistics.median(bare), 3),
        "overhead_ratio": round(statistics.median(portal) / statistics.median(bare), 3),
        "portal_seconds": [round(value, 3) for value in portal],
        "bare_seconds": [round(value, 3) for value in bare],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
