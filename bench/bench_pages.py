"""Render time and query count of the request list, the catalog and the replication health page over 10,000 rows; prints JSON.

Data (bulk-inserted): N requests (all environments), a catalog entry for each, N replication pairs
linked to them, N failure events in the last 14 days and N verification summaries (one of each per pair). Each page is fetched through
Django's test client as a platform approver (who sees everything): the first page, a filtered page
and a page deep in the list; median of --repeat fetches, with the queries one fetch runs.
Run: .venv/bin/python bench/bench_pages.py [--small] [--rows N] [--repeat 5]
Uses a fresh PostgreSQL database `bucketwise_bench_pages` (BENCH_DATABASE_URL overrides; dropped and
recreated), or SQLite with --sqlite.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _support import portal_environment, recreate_database, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bucketwise_bench_pages"
ENVIRONMENTS = ("dev", "test", "staging", "prod")


def generate_rows(count: int) -> float:
    """Requests, catalog entries, pairs and failure events, ``count`` of each; returns the seconds taken."""
    from django.utils import timezone

    from core.models import Team
    from replication.models import BucketPair, ReplicationEvent, SnsMessage, VerificationBatch
    from requests_app.models import BucketRequest, CatalogEntry

    started = time.perf_counter()
    now = timezone.now()
    teams = Team.objects.bulk_create(Team(slug=f"team-{n}", name=f"Team {n}") for n in range(20))
    requests = BucketRequest.objects.bulk_create(
        BucketRequest(
            request_id=f"S3-{n:05d}",
            number=n,
            environment=ENVIRONMENTS[n % 4],
            application=f"app{n}",
            purpose="uploads",
            bucket_name=f"bench-app{n}-uploads",
            owner=teams[n % 20],
            requester="bench",
            contract={},
            contract_hash="0" * 64,
            status="applied",
        )
        for n in range(1, count + 1)
    )
    entries = CatalogEntry.objects.bulk_create(
        CatalogEntry(
            bucket_name=r.bucket_name,
            request=r,
            owner=r.owner,
            environment=r.environment,
            purpose=r.purpose,
            region="eu-west-1",
            status="active",
        )
        for r in requests
    )
    pairs = BucketPair.objects.bulk_create(
        BucketPair(
            primary_bucket=e.bucket_name,
            replica_bucket=e.bucket_name + "-replica",
            catalog_entry=e,
            last_event_at=now,
            last_failure_at=now,
        )
        for e in entries
    )
    message = SnsMessage.objects.create(
        message_id="bench", type="Notification", topic_arn="arn:bench", sent_at=now, outcome="stored", raw={}
    )
    ReplicationEvent.objects.bulk_create(
        ReplicationEvent(
            pair=pair,
            sns_message=message,
            dedupe_key=f"bench:{n}",
            source="notifier",
            key="k",
            kind="MISMATCH",
            reason="CONTENT_MISMATCH",
            severity="failure",
            occurred_at=now - timedelta(hours=n % (14 * 24)),
        )
        for n, pair in enumerate(pairs)
    )
    summaries = SnsMessage.objects.bulk_create(
        SnsMessage(
            message_id=f"bench-summary-{n}",
            type="Notification",
            topic_arn="arn:bench",
            sent_at=now,
            outcome="stored",
            raw={},
        )
        for n in range(len(pairs))
    )
    VerificationBatch.objects.bulk_create(
        VerificationBatch(
            pair=pair,
            sns_message=summary,
            summary_id=f"bench-{n}",
            verified=10,
            reported_at=now - timedelta(hours=n % (7 * 24)),
        )
        for n, (pair, summary) in enumerate(zip(pairs, summaries, strict=True))
    )
    return time.perf_counter() - started


def measure_page(client, url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return {
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "max_ms": round(max(timings) * 1000, 1),
        "queries": len(queries),
        "bytes": len(response.content),
    }


def pages(count: int) -> dict:
    last_page = max(1, count // 25)
    return {
        "request_list": "/requests/",
        "request_list_filtered": "/requests/?environment=prod&q=app9",
        "request_list_last_page": f"/requests/?page={last_page}",
        "catalog": "/catalog/",
        "catalog_filtered": "/catalog/?environment=prod&q=app9",
        "health": "/replication/",
        "health_filtered": "/replication/?environment=prod",
        "health_last_page": f"/replication/?page={last_page}",
    }


def platform_approver_client():
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from core import roles

    user = User.objects.create_user("bench-approver", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.PLATFORM_APPROVERS))
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--small", action="store_true", help="1,000 rows")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite database instead")
    args = parser.parse_args()
    rows = 1000 if args.small else args.rows
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as var_dir:
        url = None if args.sqlite else os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
        if url:
            recreate_database(url)
        setup_django(portal_environment(url, Path(var_dir), ALLOWED_HOSTS="testserver"))
        from django.db import connection

        generation = generate_rows(rows)
        client = platform_approver_client()
        results = {name: measure_page(client, path, args.repeat) for name, path in pages(rows).items()}
        print(
            json.dumps(
                {
                    "rows": rows,
                    "database": connection.vendor,
                    "generation_seconds": round(generation, 1),
                    "repeat": args.repeat,
                    "pages": results,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
