"""The scheduled read-back at scale: N active buckets in moto's server, checked by a real `manage.py qcluster`
with 2 workers; prints JSON.

- N buckets (1,000; --small: 100) are created in a moto server subprocess the way the s3-bucket module
  makes them (tests/compliance/module_twin.py), one in ten then drifted (versioning suspended), and
  recorded as active catalog entries (embedded SQLite, ORM broker, in a temporary directory);
- compliance.schedule.queue_all() hands the batches (COMPLIANCE_BATCH_SIZE) to the broker, then a
  2-worker cluster drains them;
- buckets_per_second = N / the time from the first bucket's check to the last one's (scaled by N/(N-1));
- aws_calls_per_bucket = every AWS call the batches made (shared reads included) / N.
Run: .venv/bin/python bench/bench_compliance.py [--buckets 1000] [--workers 2] [--small]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DRIFT_EVERY = 10


def start_moto() -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("moto server did not start")


def configure_django(var_dir: Path, endpoint: str) -> None:
    os.environ.update(
        BUCKETWISE_VAR_DIR=str(var_dir),
        SECRET_KEY="bench-only",
        AUDIT_CHAIN_KEY="bench-only-audit-chain-key-of-32-characters",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        Q_CLUSTER_NAME="bench-compliance",
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        COMPLIANCE_CHECK_MINUTES="0",
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def clients(endpoint: str) -> dict:
    import boto3

    return {
        name: boto3.client(name, region_name="us-east-1", endpoint_url=endpoint)
        for name in ("s3", "kms", "iam", "cloudwatch", "sts")
    }


def create_buckets(count: int, endpoint: str) -> list:
    """Active catalog entries for ``count`` dev requests, their buckets applied in moto (8 threads)."""
    from django.contrib.auth.models import User

    from requests_app.contract import load_contract, terraform_variables
    from requests_app.platform_policy import current_policy
    from tests.compliance import module_twin
    from tests.contract.cases import request_input
    from tests.runner.factories import saved_request
    from tests.support.compliance import activate

    approver = User.objects.create_user("bench-approver")
    entries = [
        activate(saved_request(request_input(application=f"bench-app{index}")), approver)
        for index in range(count)
    ]
    policy = current_policy()
    variables = [terraform_variables(load_contract(entry.request.contract), policy) for entry in entries]

    def apply(index_and_variables):
        index, values = index_and_variables
        aws = clients(endpoint)
        module_twin.apply_bucket(aws, values)
        if index % DRIFT_EVERY == 0:
            aws["s3"].put_bucket_versioning(
                Bucket=values["bucket_name"], VersioningConfiguration={"Status": "Suspended"}
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(apply, enumerate(variables)))
    return entries


def drain(workers: int, count: int) -> dict:
    from django_q.models import OrmQ, Task

    from compliance import schedule
    from compliance.models import BucketCompliance

    OrmQ.objects.all().delete()  # the pretend approvals handed their runs to the broker: not ours to measure
    batches = schedule.queue_all()
    with open(os.devnull, "wb") as sink:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "Q_WORKERS": str(workers)},
        )
    try:
        deadline = time.monotonic() + 1800
        while Task.objects.filter(group="compliance").count() < batches:
            if time.monotonic() > deadline or cluster.poll() is not None:
                raise SystemExit("the cluster did not finish the compliance batches")
            time.sleep(0.5)
    finally:
        cluster.terminate()
        cluster.wait(timeout=60)
    tasks = list(Task.objects.filter(group="compliance"))
    failed = [task.result for task in tasks if not task.success]
    if failed:
        raise SystemExit(f"batches failed: {failed[:3]}")
    # django-q's `started` is when the cluster took the task off the broker (all at once), so the time is
    # measured from the first bucket's check to the last one's, plus the mean time of one check.
    checked = list(BucketCompliance.objects.order_by("checked_at").values_list("checked_at", flat=True))
    span = (checked[-1] - checked[0]).total_seconds()
    seconds = span * count / (count - 1) if count > 1 else span
    states = dict.fromkeys(("compliant", "drifted", "unknown"), 0)
    for state in BucketCompliance.objects.values_list("state", flat=True):
        states[state] += 1
    calls = sum(task.result["aws_calls"] for task in tasks)
    return {
        "buckets": count,
        "workers": workers,
        "batches": batches,
        "seconds": round(seconds, 1),
        "buckets_per_second": round(count / seconds, 1),
        "aws_calls": calls,
        "aws_calls_per_bucket": round(calls / count, 2),
        "states": states,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buckets", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--small", action="store_true", help="100 buckets")
    args = parser.parse_args()
    if args.small:
        args.buckets = 100
    moto, endpoint = start_moto()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-compliance-") as temporary:
            configure_django(Path(temporary) / "var", endpoint)
            from django.conf import settings

            started = time.perf_counter()
            create_buckets(args.buckets, endpoint)
            setup_seconds = time.perf_counter() - started
            result = drain(args.workers, args.buckets)
            result.update(batch_size=settings.COMPLIANCE_BATCH_SIZE, setup_seconds=round(setup_seconds, 1))
    finally:
        moto.terminate()
        moto.wait(timeout=30)
    expected_drifted = len(range(0, args.buckets, DRIFT_EVERY))
    if result["states"] != {
        "compliant": args.buckets - expected_drifted,
        "drifted": expected_drifted,
        "unknown": 0,
    }:
        raise SystemExit(f"unexpected states: {result['states']}")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
