"""What one API submission costs in this process: statements, Python function calls, CPU ms; prints JSON.

One client, in-process (DRF's APIClient through the portal's middleware, token authentication and the
submit view), on PostgreSQL, so no lock is contended: the cost of the work itself. CPU is
``time.process_time()`` over ``--rounds`` rounds of ``--requests`` submissions (min and median: the
machine is shared); Python calls are counted with cProfile over 20 submissions (deterministic, a proxy
for CPU that no neighbour disturbs). ``--profile FILE`` also writes a cProfile dump (CPU timer) of one
round, for ``python -m pstats FILE``.
Run: .venv/bin/python bench/bench_submission_cost.py [--small] [--requests 100] [--rounds 5] [--profile out.prof]
Uses a fresh PostgreSQL database `bucketwise_bench_submission_cost` (BENCH_DATABASE_URL overrides; dropped and recreated).
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import time

from _support import ROOT, portal_environment, recreate_database
from bench_api import SUBMIT_PATH, prepare_portal

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bucketwise_bench_submission_cost"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="write a cProfile dump (CPU time) of one more round here")
    parser.add_argument("--small", action="store_true", help="3 rounds of 30 submissions")
    args = parser.parse_args()
    if args.small:
        args.requests, args.rounds = 30, 3
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    environment = portal_environment(
        url, ROOT / "var" / "bench-submission-cost", API_TOKEN_THROTTLE_RATE="1000000/min"
    )
    recreate_database(url)
    token = prepare_portal(environment)
    from django.db import connection
    from rest_framework.test import APIClient

    from tests.contract.cases import request_input

    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def submit(tag: str, number: int) -> None:
        response = client.post(
            SUBMIT_PATH,
            request_input(application=f"{tag}-{number:05d}"),
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"{tag}-{number}",
        )
        if response.status_code != 201:
            raise SystemExit(f"submission answered {response.status_code}: {response.content[:500]}")

    for number in range(20):
        submit("warm", number)
    statements = []
    with connection.execute_wrapper(lambda execute, *a: statements.append(a[0]) or execute(*a)):
        submit("count", 0)
    profile = cProfile.Profile()
    profile.runcall(lambda: [submit("calls", number) for number in range(20)])
    calls = pstats.Stats(profile).total_calls / 20
    cpu = []
    for round_number in range(args.rounds):
        started = time.process_time()
        for number in range(args.requests):
            submit(f"r{round_number}", number)
        cpu.append((time.process_time() - started) / args.requests * 1000)
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.runcall(lambda: [submit("profile", number) for number in range(args.requests)])
        profile.dump_stats(args.profile)
    print(
        json.dumps(
            {
                "statements_per_submission": len(statements),
                "python_calls_per_submission": round(calls),
                "cpu_ms_per_submission": {
                    "min": round(min(cpu), 2),
                    "median": round(statistics.median(cpu), 2),
                },
                "load_average": round(os.getloadavg()[0], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
