"""The portal's run of the provider-free stack against the same Terraform commands run bare; prints JSON.

- portal: runner.execution.execute_run on a freshly approved request (workspace, heartbeat,
  audit entries, row updates, catalog and request transitions) — in this process, no queue;
  portal_steps: the median seconds of each step the runs recorded (Run.steps);
- bare: the Terraform commands the portal's run makes, in the same order, with the same `terraform`
  (--terraform, default the portal's: the bundled shim) in a copy of the stack, local state: init,
  plan -out, show -json, show (the rendered plan the approvers read), apply, output -json. The
  portal's `version -json` runs once per worker process, so not in a measured run;
- overhead_ratio = portal median / bare median;
- real_provider: the REAL stack (hashicorp/aws from the provider mirror) applied by the portal on moto
  server with S3 state, --real-runs times; skipped, saying why, without a mirror;
- throughput: --queued approved requests handed to the ORM broker while no worker runs, then a real
  `manage.py qcluster` with 1 and then 2 workers drains them; runs per minute from the first run's start
  to the last run's end (the cluster's start-up excluded); scaling = 2-worker rate / 1-worker rate.
  The drains' workers verify no apply (the twin makes nothing in AWS to read back); the portal runs
  above do hand the verification over, as a worker does.
Run: .venv/bin/python bench/bench_runner.py [--runs 5] [--queued 20] [--real-runs 2] [--small]
     [--terraform /usr/local/bin/terraform]
"""

import argparse
import json
import os
import resource
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


def configure_django(var_dir: Path, database_url: str = "", redis_url: str = "") -> None:
    """The embedded default in ``var_dir``; or PostgreSQL (recreated empty) and a Redis broker."""
    os.environ.update(
        BUCKETWISE_VAR_DIR=str(var_dir),
        SECRET_KEY="bench-only",
        DEBUG="false",
        AUDIT_CHAIN_KEY="bench-only-audit-chain-key-of-32-characters",
        TERRAFORM_STACK_DIR=str(FAKE_STACK),
        LOG_LEVEL="WARNING",
        Q_CLUSTER_NAME="bench-runner",
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    if database_url:
        from _support import recreate_database

        recreate_database(database_url)
        os.environ["DATABASE_URL"] = database_url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def queue_approved_requests(count: int, tag: str) -> list[int]:
    """Approve ``count`` requests: each run is handed to the broker at once; returns the run ids."""
    from django.db import transaction

    from requests_app import status_machine
    from runner.models import Run
    from tests.contract.cases import request_input
    from tests.runner.factories import saved_request

    run_ids = []
    for index in range(count):
        with transaction.atomic():
            request = saved_request(request_input(application=f"{tag}-{index}"))
            status_machine.transition(request, "approve", actor="bench")
        run_ids.append(Run.objects.get(request=request).pk)
    return run_ids


def drain_with_workers(workers: int, count: int) -> dict:
    """Queue ``count`` runs, start a cluster of ``workers``, wait until all ended; its rate."""
    from runner.models import Run

    run_ids = queue_approved_requests(count, f"tput{workers}")
    with open(os.devnull, "wb") as sink:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            # The twin stack makes nothing in AWS to read back; queued after each apply, the read-backs ran
            # inside the 2-worker drain's window (next to its last runs) but after the 1-worker drain's.
            env={**os.environ, "Q_WORKERS": str(workers), "COMPLIANCE_VERIFY_AFTER_APPLY": "false"},
        )
    try:
        runs = Run.objects.filter(pk__in=run_ids)
        deadline = time.monotonic() + 600
        while runs.exclude(finished_at=None).count() < count:
            if time.monotonic() > deadline or cluster.poll() is not None:
                raise SystemExit(f"the {workers}-worker cluster did not finish the queued runs")
            time.sleep(0.5)
    finally:
        cluster.terminate()
        cluster.wait(timeout=60)
    statuses = set(runs.values_list("status", flat=True))
    if statuses != {"succeeded"}:
        raise SystemExit(f"queued runs ended as {statuses}")
    first_start = min(runs.values_list("started_at", flat=True))
    last_end = max(runs.values_list("finished_at", flat=True))
    seconds = (last_end - first_start).total_seconds()
    return {
        "workers": workers,
        "runs": count,
        "seconds": round(seconds, 1),
        "runs_per_minute": round(count / seconds * 60, 1),
    }


def portal_run(index: int) -> tuple[float, list[dict], float]:
    """Seconds of one portal run, the steps it recorded and its CPU seconds."""
    from runner.models import Run

    seconds, request_id, cpu = timed_portal_run(f"bench-{index}")
    return seconds, Run.objects.get(request__request_id=request_id).steps, cpu


def median_step_seconds(runs: list[list[dict]]) -> dict:
    names = list(dict.fromkeys(step["step"] for steps in runs for step in steps))
    return {
        name: round(statistics.median(s["seconds"] for steps in runs for s in steps if s["step"] == name), 3)
        for name in names
    }


def cpu_seconds() -> float:
    """CPU time of this process and of its ended children (Terraform, its guard), user + system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_portal_run(application: str) -> tuple[float, str, float]:
    """Approve a request for ``application`` and execute its run here; (seconds, request id, CPU seconds)."""
    from django.db import transaction

    from requests_app import status_machine
    from runner import execution
    from runner.models import Run
    from tests.contract.cases import request_input
    from tests.runner.factories import saved_request

    with transaction.atomic():
        request = saved_request(request_input(application=application))
        status_machine.transition(request, "approve", actor="bench")
    run = Run.objects.get(request=request)
    started, cpu = time.perf_counter(), cpu_seconds()
    status = execution.execute_run(run.pk)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    if status != "succeeded":
        raise SystemExit(f"portal run failed: {Run.objects.get(pk=run.pk).error_summary}")
    return elapsed, request.request_id, cpu


def bare_run_seconds(terraform: str, variables: dict, work: Path) -> tuple[float, float]:
    """Seconds and CPU seconds of the bare commands."""
    config = work / "config"
    shutil.copytree(FAKE_STACK, config)
    (config / "terraform.tfvars.json").write_text(json.dumps(variables))
    (config / "backend_override.tf.json").write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": str(work / "terraform.tfstate")}}}})
    )
    (work / "terraform.rc").write_text("disable_checkpoint = true\n")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": str(work / "terraform.rc")}
    plan = str(work / "plan.tfplan")
    started, cpu = time.perf_counter(), cpu_seconds()
    for args in (
        ["init", "-input=false", "-no-color"],
        ["plan", "-input=false", "-no-color", f"-out={plan}"],
        ["show", "-json", plan],
        ["show", "-no-color", plan],
        ["apply", "-input=false", "-no-color", plan],
        ["output", "-json"],
    ):
        subprocess.run([terraform, *args], cwd=config, env=env, check=True, capture_output=True)
    return time.perf_counter() - started, cpu_seconds() - cpu


def bare_variables() -> dict:
    from requests_app.contract import build_contract, parse_request_input, terraform_variables
    from requests_app.platform_policy import current_policy
    from tests.contract.cases import request_input

    policy = current_policy()
    contract = build_contract(
        parse_request_input(request_input(application="bench-bare")), "S3-0001", policy
    ).contract
    return {**terraform_variables(contract, policy), "aws_region": "us-east-1", "aws_endpoint_url": ""}


def real_provider_runs(count: int, base: Path) -> dict:
    """The REAL stack (hashicorp/aws from the provider mirror) applied by execute_run on moto server with
    S3 state: seconds per run (first run unpacks the provider into the plugin cache) and the init part."""
    from moto.server import ThreadedMotoServer

    from runner.models import Run
    from tests.support.real_terraform import missing_mirror_reason, real_runner_environment

    reason = missing_mirror_reason()
    if reason:
        return {"skipped": reason}
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    seconds, steps = [], []
    try:
        with real_runner_environment(f"http://{host}:{port}", base / "real", base / "real-plugin-cache"):
            for index in range(count):
                elapsed, request_id, _ = timed_portal_run(f"bench-real-{index}")
                seconds.append(round(elapsed, 1))
                steps.append(Run.objects.get(request__request_id=request_id).steps)
    finally:
        server.stop()
    return {
        "runs": count,
        "run_seconds": seconds,
        "steps": [{step["step"]: step["seconds"] for step in run_steps} for run_steps in steps],
        "median_seconds": round(statistics.median(seconds), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--queued", type=int, default=20)
    parser.add_argument(
        "--real-runs",
        type=int,
        default=None,
        help="runs of the real stack (real provider, moto server; about 80 s each); 0 leaves them out "
        "(default 2, with --small 0)",
    )
    parser.add_argument(
        "--terraform", default="", help="the Terraform binary of both sides (default: the portal's)"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL database to recreate and use (default: embedded SQLite)",
    )
    parser.add_argument(
        "--redis-url", default="", help="a Redis database for the broker (default: the ORM broker)"
    )
    parser.add_argument("--skip-throughput", action="store_true", help="leave out the 1- and 2-worker drains")
    parser.add_argument(
        "--small",
        action="store_true",
        help="3 runs for the overhead, 6 queued runs, no real-provider run unless --real-runs says",
    )
    args = parser.parse_args()
    if args.small:
        args.runs, args.queued = 3, 6
    if args.real_runs is None:
        args.real_runs = 0 if args.small else 2
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as temporary:
        base = Path(temporary)
        if args.terraform:
            os.environ["TERRAFORM_BINARY"] = args.terraform
        configure_django(base / "var", args.database_url, args.redis_url)
        from runner.execution import terraform_binary

        terraform = terraform_binary()
        variables = bare_variables()
        # First, while the broker holds nothing else: the overhead runs below also hand over to it.
        throughput = (
            [] if args.skip_throughput else [drain_with_workers(workers, args.queued) for workers in (1, 2)]
        )
        portal_run(0)  # the worker's first run: it asks Terraform its version, as each worker does once
        portal_runs, bare = [], []
        for index in range(1, args.runs + 1):  # alternated: a machine whose load changes weighs on both alike
            portal_runs.append(portal_run(index))
            bare.append(bare_run_seconds(terraform, variables, Path(tempfile.mkdtemp(dir=base))))
        portal = [seconds for seconds, _, _ in portal_runs]
        portal_cpu = [cpu for _, _, cpu in portal_runs]
        bare_seconds, bare_cpu = [seconds for seconds, _ in bare], [cpu for _, cpu in bare]
        real = real_provider_runs(args.real_runs, base) if args.real_runs else {"skipped": "--real-runs 0"}
    result = {
        "terraform": terraform,
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "runs": args.runs,
        "portal_median_seconds": round(statistics.median(portal), 3),
        "bare_median_seconds": round(statistics.median(bare_seconds), 3),
        "overhead_ratio": round(statistics.median(portal) / statistics.median(bare_seconds), 3),
        # CPU time moves less than wall time when others load the machine.
        "portal_cpu_median_seconds": round(statistics.median(portal_cpu), 3),
        "bare_cpu_median_seconds": round(statistics.median(bare_cpu), 3),
        "cpu_ratio": round(statistics.median(portal_cpu) / statistics.median(bare_cpu), 3),
        "portal_seconds": [round(value, 3) for value in portal],
        "bare_seconds": [round(value, 3) for value in bare_seconds],
        "portal_steps": median_step_seconds([steps for _, steps, _ in portal_runs]),
        "throughput": throughput,
        "scaling_2_workers_to_1": round(
            throughput[1]["runs_per_minute"] / throughput[0]["runs_per_minute"], 2
        )
        if throughput
        else None,
        "real_provider": real,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
