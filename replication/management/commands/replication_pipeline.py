"""Development: the local replication pipeline of `make run` (runportal starts and stops it).

Creates the local pair in the local AWS (buckets, rule, queues and DLQs, topics subscribed to the
portal's hook), registers the pair (the health page shows it as "no data yet"), then runs the
checksum-validator and failure-notifier handlers with SQS semantics until SIGTERM or Ctrl-C.
"""

import signal
import threading
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from replication.local.provision import provision
from replication.local.runtime import start_functions
from replication.local_dev import local_pipeline
from replication.pairs import register_pair


class Command(BaseCommand):
    help = "Development: create the local replication pair and run its Lambdas locally (until stopped)."

    def add_arguments(self, parser):
        parser.add_argument("--webhook-url", required=True, help="The portal's /hooks/sns/replication/ URL.")
        parser.add_argument("--provision-only", action="store_true", help="Create the pair, then exit.")

    def handle(self, *args, webhook_url, provision_only, **options):
        if not settings.DEBUG or not settings.AWS_ENDPOINT_URL:
            raise CommandError(
                "replication_pipeline is for development: DEBUG=true and a local AWS_ENDPOINT_URL."
            )
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        pipeline = local_pipeline(webhook_url)
        register_pair(pipeline.primary_bucket, pipeline.replica_bucket)
        _wait_for_hook(webhook_url, stop)
        if stop.is_set():
            return
        queue_urls = provision(pipeline, settings.AWS_ENDPOINT_URL)
        self.stdout.write(
            f"Local replication pair {pipeline.primary_bucket} → {pipeline.replica_bucket} "
            f"validated locally (try: manage.py replication_demo)"
        )
        if provision_only:
            return
        threads = start_functions(pipeline, settings.AWS_ENDPOINT_URL, queue_urls, stop)
        stop.wait()
        for thread in threads:
            thread.join(timeout=10)


def _wait_for_hook(url: str, stop: threading.Event, timeout: float = 120) -> None:
    """Subscribing makes SNS post a confirmation at once: the portal must be answering first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        try:
            urllib.request.urlopen(url, timeout=2)  # the local portal
            return
        except urllib.error.HTTPError:  # 405 for a GET: the hook is up
            return
        except OSError:
            stop.wait(0.5)
    raise CommandError(f"the portal's hook {url} did not answer within {timeout:.0f}s")
