"""`make run`'s replication half, end to end: the demo's objects end as counts and incidents on the health page.

What is real: the local AWS process (moto's server with its SNS fixes and the replication emulator,
``replication.local.local_aws``), the pipeline process (``manage.py replication_pipeline``:
provisioning, SubscriptionConfirmation through the hook, both Lambda handlers under the local event
source mapping), the demo (``manage.py replication_demo``), the portal's hook on pytest-django's
live server, signature verification and storage. What is replaced, and why: the webhook's
certificate fetcher, by the development fetcher called directly (tests run with DEBUG off, where
the webhook's own fetcher refuses the local AWS, see test_dev_certificates.py).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
import pytest

from replication import webhook
from replication.local_dev import HOOK_PATH, local_pipeline
from replication.models import BucketPair, Incident, RefusalCount, ReplicationEvent, SnsMessage, VerificationBatch
from replication.sns import CertificateCache
from tests.conftest import PROJECT_ROOT, child_environment, make_user, moto_certificate_fetcher

pytestmark = pytest.mark.slow
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local-development", "AWS_SECRET_ACCESS_KEY": "local-development"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what} within {seconds:.0f}s")


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)  # noqa: S310 - loopback
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def queue_depths(endpoint: str, region: str) -> dict[str, int]:
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    depths = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        depths[url.rsplit("/", 1)[-1]] = sum(int(value) for value in attributes.values())
    return depths


@pytest.fixture
def processes(tmp_path):
    started = []

    def start(name, command, environment):
        log = open(tmp_path / f"{name}.log", "wb")
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.mark.django_db(transaction=True)
def test_the_demo_ends_as_verified_counts_and_incidents_with_keys_and_nothing_left_in_any_queue(
        live_server, settings, monkeypatch, processes, client, tmp_path):
    endpoint = f"http://127.0.0.1:{free_port()}"
    environment = child_environment(DEBUG="true", AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION=settings.AWS_REGION,
                                    **CREDENTIALS)
    processes("local-aws", [sys.executable, "-m", "replication.local.local_aws", "--port", endpoint.rsplit(":", 1)[1],
                            "--primary-region", settings.AWS_REGION,
                            "--replica-region", settings.REPLICATION_REPLICA_REGION], environment)
    wait_until(lambda: answers(endpoint), "the local AWS answers")
    pipeline = local_pipeline()
    # The portal (live server in this process), as runportal configures it.
    settings.AWS_ENDPOINT_URL = endpoint
    settings.SNS_ALLOWED_TOPIC_ARNS = pipeline.topic_arns
    for name, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(name, value)
    fetched = []
    monkeypatch.setattr(webhook, "CERTIFICATES", CertificateCache(moto_certificate_fetcher(endpoint, fetched)))

    processes("pipeline", [sys.executable, "manage.py", "replication_pipeline",
                           "--webhook-url", live_server.url + HOOK_PATH], environment)
    # Both subscriptions confirmed through the hook's normal path (verify, allow-list, ConfirmSubscription).
    wait_until(lambda: SnsMessage.objects.filter(outcome="confirmed").count() == 2, "both subscriptions confirmed")
    assert BucketPair.objects.get().primary_bucket == pipeline.primary_bucket  # registered: "no data yet"

    demo = subprocess.run([sys.executable, "manage.py", "replication_demo", "--objects", "50", "--corrupt", "3",
                           "--missing", "2", "--wait", "120"], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=180)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Verified: 45 of 45 expected." in demo.stdout

    events = {event.key.rsplit("/", 1)[1]: (event.kind, event.reason, event.incident.reason)
              for event in ReplicationEvent.objects.select_related("incident")}
    assert events == {
        **{f"object-000{n}.csv": ("MISMATCH", "CONTENT_MISMATCH", "CONTENT_MISMATCH") for n in (1, 2, 3)},
        **{f"object-000{n}.csv": ("PENDING", "RETRIES_EXHAUSTED", "RETRIES_EXHAUSTED") for n in (4, 5)},
    }
    assert sorted(Incident.objects.values_list("reason", "event_count", "state")) == [
        ("CONTENT_MISMATCH", 3, "open"), ("RETRIES_EXHAUSTED", 2, "open")]
    assert sum(VerificationBatch.objects.values_list("verified", flat=True)) == 45
    assert list(RefusalCount.objects.all()) == []  # every delivery verified, none refused
    assert fetched  # moto's certificates, fetched for its own signing URLs

    # Nothing waits in any queue or DLQ: verified messages deleted, failures reported, the DLQ drained.
    wait_until(lambda: set(queue_depths(endpoint, settings.AWS_REGION).values()) == {0}, "every queue empty")
    assert set(queue_depths(endpoint, settings.AWS_REGION)) == {queue.name for queue in pipeline.queues}

    client.force_login(make_user("ops", "platform-approvers", is_staff=True))
    page = client.get("/replication/").content.decode()
    assert pipeline.replica_bucket in page and '<span class="badge bad">failing</span>' in page
    assert "<td>45</td>" in page  # verified in the last 24 hours
    detail = client.get(f"/replication/pairs/{BucketPair.objects.get().pk}/").content.decode()
    assert all(f"object-000{n}.csv" in detail for n in range(1, 6)) and "RETRIES_EXHAUSTED" in detail
