"""Run the whole portal for development: local AWS (moto), web server, worker cluster and the
local replication pipeline.

One command, one Ctrl-C: every child gets the same environment, with
``AWS_ENDPOINT_URL`` pointing boto3 and Terraform at the local AWS, and all of them stop
together. The local AWS also replicates the local pair (``replication.local.local_aws``), and
the pipeline process runs the replication Lambdas against it (``replication_pipeline``).
If one child dies, the others are stopped too and the command fails, so a broken part is
never hidden behind a half-running portal.

The children run in their own sessions, so a terminal's Ctrl-C reaches only this
supervisor, which then stops each child the way it stops cleanly (SIGTERM): a worker
cluster whose worker processes all receive the Ctrl-C themselves hangs on exit.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core import audit_checkpoints
from replication.local_dev import HOOK_PATH, LOCAL_AWS_CREDENTIALS, local_pipeline

# How long the children get to stop cleanly (SIGTERM) before they are killed.
STOP_GRACE_SECONDS = 20


class Command(BaseCommand):
    help = "Development: start local AWS (moto), the web server and the worker cluster together."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Web server address (host:port).")
        parser.add_argument(
            "--no-local-aws",
            action="store_true",
            help="Do not start moto; use AWS_ENDPOINT_URL (or real AWS) as configured.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "runportal is for development (DEBUG=true). In production run the web server "
                "(gunicorn portal.wsgi) and `manage.py qcluster` as services."
            )
        environment = dict(os.environ, PYTHONUNBUFFERED="1")
        children: list[tuple[str, subprocess.Popen]] = []
        local_aws = not options["no_local_aws"]
        if local_aws:
            endpoint = f"http://127.0.0.1:{settings.LOCAL_AWS_PORT}"
            allowed_topics = [*settings.SNS_ALLOWED_TOPIC_ARNS, *local_pipeline().topic_arns]
            environment.update(
                LOCAL_AWS_CREDENTIALS,
                AWS_ENDPOINT_URL=endpoint,
                AWS_DEFAULT_REGION=settings.AWS_REGION,
                SNS_CERTIFICATES_FROM_LOCAL_AWS="true",
                SNS_ALLOWED_TOPIC_ARNS=",".join(allowed_topics),
            )
            children.append(("local AWS", self._start_local_aws(environment)))
            self._wait_for(endpoint, "local AWS (moto)")
            self._create_checkpoint_bucket(endpoint)
        call_command("migrate", interactive=False, verbosity=0)
        if settings.DEMO_USERS_ALLOWED:
            call_command("create_demo_users")
        manage = [sys.executable, "manage.py"]
        children.append(("web", _start([*manage, "runserver", options["addr"], "--noreload"], environment)))
        children.append(("workers", _start([*manage, "qcluster"], environment)))
        if local_aws:
            hook = f"http://{options['addr']}{HOOK_PATH}"
            children.append(
                (
                    "replication pipeline",
                    _start([*manage, "replication_pipeline", "--webhook-url", hook], environment),
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nBucketwise is running at http://{options['addr']}/  (health: /healthz)\n"
                f"Local AWS: {environment.get('AWS_ENDPOINT_URL') or 'not started'}"
                f"{' (with a local replication pipeline: manage.py replication_demo)' if local_aws else ''}\n"
                "Press Ctrl-C to stop everything.\n"
            )
        )
        signal.signal(signal.SIGTERM, _stop_like_ctrl_c)  # `kill` stops the children too
        self._supervise(children)

    def _start_local_aws(self, environment) -> subprocess.Popen:
        faults = settings.LOCAL_REPLICATION_FAULTS
        return _start(
            [
                sys.executable,
                "-m",
                "replication.local.local_aws",
                "--port",
                str(settings.LOCAL_AWS_PORT),
                "--primary-region",
                settings.AWS_REGION,
                "--replica-region",
                settings.REPLICATION_REPLICA_REGION,
                "--delay-share",
                str(faults["delay"]),
                "--drop-share",
                str(faults["drop"]),
                "--corrupt-share",
                str(faults["corrupt"]),
                "--delay-seconds",
                str(settings.LOCAL_REPLICATION_DELAY_SECONDS),
            ],
            environment,
            quiet=True,
        )

    def _create_checkpoint_bucket(self, endpoint: str) -> None:
        """The audit checkpoint bucket (Object Lock, compliance mode) in the local AWS."""
        credentials = {name.lower(): value for name, value in LOCAL_AWS_CREDENTIALS.items()}
        audit_checkpoints.ensure_bucket(audit_checkpoints.s3_client(endpoint_url=endpoint, **credentials))

    def _wait_for(self, url: str, label: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=1)  # loopback only
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"{label} did not start on {url} within {timeout:.0f}s")

    def _supervise(self, children) -> None:
        exit_code = 0
        parent = os.getppid()
        try:
            while True:
                if os.getppid() != parent:
                    # Whoever started us is gone: `make run` got SIGTERM (make dies without passing the
                    # signal on) or the terminal closed. Stop every child as Ctrl-C would.
                    self.stderr.write("the parent process stopped; stopping every part")
                    raise KeyboardInterrupt
                for label, process in children:
                    if process.poll() is not None:
                        self.stderr.write(f"{label} stopped (exit {process.returncode}); stopping the rest")
                        exit_code = 1
                        raise KeyboardInterrupt
                time.sleep(0.5)
        except KeyboardInterrupt:
            self._stop(children)
        if exit_code:
            raise CommandError("a part of the portal stopped unexpectedly")

    @staticmethod
    def _stop(children) -> None:
        """Stop the parts in the reverse of their start, each before the next: the replication pipeline
        before the local AWS it polls (stopped together, it logged errors for a moto already gone)."""
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for _, process in reversed(children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _start(command: list[str], environment: dict, quiet: bool = False) -> subprocess.Popen:
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(
        command, env=environment, cwd=settings.BASE_DIR, stdout=output, stderr=output, start_new_session=True
    )


def _stop_like_ctrl_c(signum, frame):
    raise KeyboardInterrupt
