"""Submission API throughput and audit CSV export memory; prints JSON.

- submissions_per_second: POST /api/v1/s3-requests/ with a service-account token (validation, ID,
  contract, audit, auto-approval), sequential, through the Django test client;
- export: peak Python memory (tracemalloc) while streaming the audit CSV for N entries, and rows/second.
  The peak should stay flat as --audit-rows grows (rows are read from a cursor in chunks).
Run: .venv/bin/python bench/bench_api.py [--submissions 200] [--audit-rows 100000]
Uses a throw-away SQLite database under a temporary folder (or DATABASE_URL when set).
"""

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def setup_django(var_dir: Path) -> None:
    os.environ.update(BUCKETWISE_VAR_DIR=str(var_dir), SECRET_KEY="bench-only", DEBUG="false",
                      API_TOKEN_THROTTLE_RATE="1000000/min", ALLOWED_HOSTS="testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def bench_submissions(count: int) -> dict:
    from django.contrib.auth.models import Group, User
    from rest_framework.test import APIClient

    from requests_app.models import Team
    from requests_app.tokens import issue_token
    from tests.contract.cases import request_input

    Team.objects.get_or_create(slug="app-team", defaults={"name": "App team"})
    account = User.objects.create_user("svc-bench")
    account.groups.add(Group.objects.get(name="requesters"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(account, 'bench', ['submit']).text}")
    started = time.perf_counter()
    for number in range(count):
        response = client.post("/api/v1/s3-requests/", request_input(application=f"bench-{number:05d}"),
                               format="json", HTTP_IDEMPOTENCY_KEY=f"bench-{number}")
        assert response.status_code == 201, response.content
    elapsed = time.perf_counter() - started
    return {"submissions": count, "seconds": round(elapsed, 3), "submissions_per_second": round(count / elapsed, 1)}


def add_audit_rows(total: int) -> None:
    """Append entries through the real chain writer until the trail holds ``total`` entries."""
    from django.db import transaction

    from requests_app import audit
    from requests_app.models import AuditEntry

    missing = total - AuditEntry.objects.count()
    for start in range(0, max(missing, 0), 5000):
        with transaction.atomic():
            for number in range(start, min(start + 5000, missing)):
                audit.record("bench.note", actor="bench", detail={"n": number}, environment="dev")


def bench_export(rows: int) -> dict:
    from requests_app.exports import audit_csv_lines

    add_audit_rows(rows)
    tracemalloc.start()
    started = time.perf_counter()
    written = sum(1 for _ in audit_csv_lines("dev")) - 1
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rows": written, "seconds": round(elapsed, 3), "rows_per_second": round(written / elapsed),
            "peak_python_mib": round(peak / 2**20, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--audit-rows", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(Path(var_dir))
        result = {"submit": bench_submissions(args.submissions),
                  "export": [bench_export(rows) for rows in sorted(args.audit_rows)]}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
