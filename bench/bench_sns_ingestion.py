"""SNS deliveries per second answered by the portal's webhook vs. a bare endpoint on the same server, and
the worker's drain rate; prints JSON.

- portal: POST /hooks/sns/replication/ — full middleware, signature verification (certificate cached
  after the first fetch), topic and age checks, reading the Message, storing it once (pending) and
  handing a drain over; 10% of the deliveries are SNS redeliveries (same MessageId, answered
  ``duplicate``);
- bare: POST /hooks/bench-bare/ on the same HTTP server and Django stack — reads and parses the JSON
  body, answers 200, nothing else;
- drain: ``replication.processing.process_pending`` in this process afterwards (what a worker does:
  events, incidents, audit), timed on its own; no worker cluster runs during the HTTP phases;
- verify_only: SnsVerifier.verify in-process, no HTTP and no database (the cryptographic share);
- ratio = portal rate / bare rate. Every answer must be 200 and every distinct message must end as
  exactly one event (else the bench fails: nothing refused or lost).
Every message is a distinct failure of the same pair (one incident grows), signed before timing with a
key and certificate made here; the certificate fetcher serves that certificate (no network). This
process keeps a database connection open throughout, as a running worker cluster does (on SQLite the
last connection to close checkpoints the WAL, which would otherwise land on every hook request).
Run: .venv/bin/python bench/bench_sns_ingestion.py [--small] [--messages 1000] [--clients 16]
"""

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BARE_PATH = "/hooks/bench-bare/"
HOOK_PATH = "/hooks/sns/replication/"


def configure_django(var_dir: Path) -> None:
    os.environ.update(
        BUCKETWISE_VAR_DIR=str(var_dir),
        SECRET_KEY="bench-only",
        DEBUG="false",
        LOG_LEVEL="ERROR",
        AUDIT_CHAIN_KEY="bench-only-audit-chain-key-of-32-characters",
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.ROOT_URLCONF = "bench_sns_urls"
    sys.modules["bench_sns_urls"] = _bench_urlconf()
    call_command("migrate", verbosity=0)


def _bench_urlconf():
    """The portal's URLs plus the bare endpoint, as a module object for ROOT_URLCONF."""
    import types

    from django.http import JsonResponse
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    @csrf_exempt
    def bare(request):
        json.loads(request.read())
        return JsonResponse({"status": "ok"})

    module = types.ModuleType("bench_sns_urls")
    module.urlpatterns = [path(BARE_PATH.strip("/") + "/", bare), path("", include("portal.urls"))]
    return module


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def start_server():
    from django.core.wsgi import get_wsgi_application

    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=_ThreadingServer, handler_class=_Quiet
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def signed_bodies(authority, count: int, tag: str) -> list[bytes]:
    from tests.replication.signing import body
    from tests.support.replication import failure_document, https_message

    return [
        body(authority.notification(https_message(failure_document(key=f"{tag}/{i}")))) for i in range(count)
    ]


def post_all(base_url: str, path: str, bodies: list[bytes], clients: int) -> tuple[float, dict]:
    """Seconds to POST every body (``clients`` connections in parallel) and the answers' statuses;
    every answer must be 200."""
    import requests

    local = threading.local()

    def post(raw: bytes) -> str:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        response = session.post(
            base_url + path, data=raw, headers={"Content-Type": "text/plain; charset=UTF-8"}
        )
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.text}")
        return response.json().get("status", "")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        statuses = list(pool.map(post, bodies))
    return time.perf_counter() - started, {status: statuses.count(status) for status in set(statuses)}


def with_redeliveries(bodies: list[bytes]) -> list[bytes]:
    """The bodies plus 10% of them again (SNS redeliveries), shuffled."""
    shuffler = random.Random(20)
    deliveries = bodies + shuffler.sample(bodies, len(bodies) // 10)
    shuffler.shuffle(deliveries)
    return deliveries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--messages", type=int, default=1000, help="distinct messages (plus 10%% redelivered)"
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--small", action="store_true", help="100 messages")
    args = parser.parse_args()
    if args.small:
        args.messages = 100
    with tempfile.TemporaryDirectory(prefix="bench-sns-") as var_dir:
        configure_django(Path(var_dir))
        from django.conf import settings

        from replication import webhook
        from replication.models import Incident, ReplicationEvent, SnsMessage
        from replication.processing import process_pending
        from replication.sns import CertificateCache
        from tests.replication.signing import TOPIC_ARN, SigningAuthority

        authority = SigningAuthority()
        settings.SNS_ALLOWED_TOPIC_ARNS = [TOPIC_ARN]
        webhook.CERTIFICATES = CertificateCache(authority.fetch)
        server, base_url = start_server()
        post_all(base_url, HOOK_PATH, signed_bodies(authority, 5, "warmup"), 1)  # fetch and cache the cert
        post_all(base_url, BARE_PATH, signed_bodies(authority, 5, "warmup-bare"), 1)
        process_pending()
        events_before = ReplicationEvent.objects.count()  # also: this thread holds its connection open

        deliveries = with_redeliveries(signed_bodies(authority, args.messages, "portal"))
        bare_bodies = signed_bodies(authority, len(deliveries), "bare")
        load_before = os.getloadavg()
        portal_seconds, statuses = post_all(base_url, HOOK_PATH, deliveries, args.clients)
        bare_seconds, _ = post_all(base_url, BARE_PATH, bare_bodies, args.clients)
        load_after = os.getloadavg()
        pending = SnsMessage.objects.filter(outcome="pending").count()
        started = time.perf_counter()
        drained = process_pending()
        drain_seconds = time.perf_counter() - started
        events = ReplicationEvent.objects.count() - events_before
        verify_bodies = signed_bodies(authority, args.messages, "verify")
        verifier = webhook.verifier()
        started = time.perf_counter()
        for raw in verify_bodies:
            verifier.verify(raw)
        verify_seconds = time.perf_counter() - started
        incident_events = Incident.objects.get().event_count
        server.shutdown()

    if statuses != {"accepted": args.messages, "duplicate": len(deliveries) - args.messages}:
        raise SystemExit(f"the hook's answers were {statuses}")
    if not pending == drained == events == args.messages:
        raise SystemExit(f"{args.messages} messages: {pending} pending, {drained} drained, {events} events")
    portal_rate, bare_rate = len(deliveries) / portal_seconds, len(deliveries) / bare_seconds
    print(
        json.dumps(
            {
                "bench": "sns_ingestion",
                "messages": args.messages,
                "deliveries": len(deliveries),
                "clients": args.clients,
                "database": "sqlite (embedded default)",
                "portal_per_second": round(portal_rate, 1),
                "bare_per_second": round(bare_rate, 1),
                "ratio_portal_to_bare": round(portal_rate / bare_rate, 3),
                "answers": statuses,
                "drain_per_second": round(drained / drain_seconds, 1),
                "events_stored": events,
                "incident_event_count": incident_events,
                "verify_only_per_second": round(args.messages / verify_seconds, 1),
                "certificate_fetches": len(authority.fetched),
                "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
