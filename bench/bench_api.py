"""Submissions per second and p50/p99 latency with 16 concurrent clients vs a trivial DRF endpoint on the same server; prints JSON.

- server: gunicorn (gthread, --workers 2 --threads 8) serving the portal plus one extra DRF view,
  in its own process, on PostgreSQL;
- submit: POST /api/v1/s3-requests/ with a service-account token (validation, ID under a row lock,
  contract, audit chain, auto-approval of dev requests and the run's handover to the ORM broker);
- trivial: GET /bench/trivial/ — a DRF APIView behind the same token authentication, throttle and
  middleware, answering {"ok": true} without touching anything else;
- each with --clients threads (a requests.Session each) sending --requests requests in all;
  ratio = submissions per second / trivial requests per second.
Run: .venv/bin/python bench/bench_api.py [--small] [--requests 800] [--clients 16]
Uses a fresh PostgreSQL database `bucketwise_bench_api` (BENCH_DATABASE_URL overrides; dropped and recreated).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _support import ROOT, portal_environment, recreate_database, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bucketwise_bench_api"
TRIVIAL_PATH = "/bench/trivial/"
SUBMIT_PATH = "/api/v1/s3-requests/"


def bench_wsgi_app():
    """gunicorn's application factory (``bench_api:bench_wsgi_app()``): the portal plus the trivial view."""
    import types

    import django

    django.setup()  # before DRF's imports, which need the app registry
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.urls import include, path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from core.api.permissions import Rule

    class Trivial(APIView):
        access = {"GET": Rule("read", "requests_app.view_bucketrequest")}  # the same check as the list

        def get(self, request):
            return Response({"ok": True})

    urlconf = types.ModuleType("bench_api_urls")
    urlconf.urlpatterns = [
        path(TRIVIAL_PATH.strip("/") + "/", Trivial.as_view()),
        path("", include("portal.urls")),
    ]
    sys.modules[urlconf.__name__] = urlconf
    settings.ROOT_URLCONF = urlconf.__name__
    return get_wsgi_application()


def prepare_portal(environment: dict) -> str:
    """Migrate, add the team, and return a submit+read token of a requester service account."""
    setup_django(environment)
    from django.contrib.auth.models import Group, User

    from core import roles
    from core.models import ServiceAccount, Team
    from core.tokens import issue_token
    from tests.contract.cases import request_input

    team, _ = Team.objects.get_or_create(slug="app-team", defaults={"name": "App team"})
    account = User.objects.create_user("svc-bench")
    account.groups.add(Group.objects.get(name=roles.REQUESTERS))
    ServiceAccount.objects.create(user=account, purpose="bench_api")
    # The service account files for the person its requests name, a member of the owning team.
    team.members.add(User.objects.get_or_create(username=request_input()["requester"])[0])
    return issue_token(account, "bench", ["read", "submit"]).text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(environment: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--threads",
            "8",
            "--worker-class",
            "gthread",
            "--bind",
            f"127.0.0.1:{port}",
            "--pythonpath",
            f"{ROOT},{ROOT / 'bench'}",
            "--log-level",
            "warning",
            "bench_api:bench_wsgi_app()",
        ],
        cwd=ROOT,
        env=environment,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def load(base_url: str, token: str, count: int, clients: int, send) -> dict:
    """``count`` calls of ``send(session, url, number)`` from ``clients`` threads: rate and latency."""
    import requests

    local = threading.local()

    def timed(number: int) -> float:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        send(local.session, base_url, number)
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = sorted(pool.map(timed, range(count)))
    elapsed = time.perf_counter() - started
    return {
        "requests": count,
        "seconds": round(elapsed, 2),
        "per_second": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
    }


def submit(session, base_url: str, number: int) -> None:
    from tests.contract.cases import request_input

    response = session.post(
        base_url + SUBMIT_PATH,
        json=request_input(application=f"bench-{number:05d}"),
        headers={"Idempotency-Key": f"bench-{number}"},
    )
    if response.status_code != 201:
        raise SystemExit(f"submission answered {response.status_code}: {response.text[:500]}")


def trivial(session, base_url: str, number: int) -> None:
    response = session.get(base_url + TRIVIAL_PATH)
    if response.status_code != 200:
        raise SystemExit(f"trivial endpoint answered {response.status_code}: {response.text[:500]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--small", action="store_true", help="160 requests of each kind")
    args = parser.parse_args()
    count = 160 if args.small else args.requests
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    environment = portal_environment(url, ROOT / "var" / "bench-api", API_TOKEN_THROTTLE_RATE="1000000/min")
    recreate_database(url)
    token = prepare_portal(environment)
    port = free_port()
    server = start_server(environment, port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        load(base_url, token, 32, args.clients, trivial)  # warm up: imports, connections
        trivial_result = load(base_url, token, count, args.clients, trivial)
        submit_result = load(base_url, token, count, args.clients, submit)
    finally:
        server.terminate()
        server.wait(timeout=30)
    from requests_app.models import BucketRequest

    print(
        json.dumps(
            {
                "clients": args.clients,
                "database": "postgresql",
                "server": "gunicorn gthread 2 workers x 8 threads",
                "submit": submit_result,
                "trivial": trivial_result,
                "ratio_submit_to_trivial": round(
                    submit_result["per_second"] / trivial_result["per_second"], 3
                ),
                "requests_saved": BucketRequest.objects.count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
