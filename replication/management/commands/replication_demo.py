"""Development: upload objects to the local replication pair and watch the health page fill."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from replication.demo import DemoError, progress, upload
from replication.local_dev import local_aws_client_arguments, local_pipeline


class Command(BaseCommand):
    help = (
        "Development (with `make run`): upload objects to the local primary bucket, some to be corrupted or "
        "lost by the local replication, and wait until the health page shows them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--objects", type=int, default=50)
        parser.add_argument("--corrupt", type=int, default=3, help="Replicas written with different content.")
        parser.add_argument("--missing", type=int, default=2, help="Objects never replicated.")
        parser.add_argument(
            "--wait", type=float, default=60, help="Seconds to wait for the results (0: do not)."
        )

    def handle(self, *args, objects, corrupt, missing, wait, **options):
        if not settings.DEBUG:
            raise CommandError("replication_demo is for development (DEBUG=true), next to `make run`.")
        pipeline = local_pipeline()
        try:
            run = upload(pipeline, local_aws_client_arguments(), objects, corrupt, missing)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Uploaded {objects} objects under s3://{pipeline.primary_bucket}/{run.prefix} "
            f"({corrupt} to be corrupted, {missing} never replicated)."
        )
        deadline = time.monotonic() + wait
        seen = progress(pipeline, run)
        while not seen.complete(run) and time.monotonic() < deadline:
            time.sleep(0.5)
            seen = progress(pipeline, run)
        self.stdout.write(f"Verified: {seen.verified} of {run.expected_verified} expected.")
        for key, (verdict, reason) in sorted(seen.verdicts.items()):
            self.stdout.write(f"  {verdict:<10} {reason:<20} {key}")
        self.stdout.write("See the replication health page: /replication/")
        if wait and not seen.complete(run):
            raise CommandError(f"not every result arrived within {wait:.0f}s (is `make run` running?)")
