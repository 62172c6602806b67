"""A replication incident's burst: 5,000 signed deliveries from 16 concurrent clients, 10% of them SNS
redeliveries (same MessageId), against the portal on a live server while a worker cluster drains.

Full size on the embedded default (SQLite: the hook's 16 threads and the worker share one write lock,
the harder case, and the CI pass that runs it once; about a minute on the loaded 2-core machine);
1,000 deliveries on PostgreSQL, where row locks are proven by test_processing_queue.py.

What is real: pytest-django's live server (threads, its own database connections), the webhook with
every check (signature, topic, age, refusal limiter), the database of this run (SQLite: its write
lock and busy timeout; PostgreSQL), the broker and a ``manage.py qcluster``. What is replaced, and
why: the certificate fetcher serves the test authority's certificate (tests/replication/signing.py;
no network to AWS here).

The bound: every event and incident is present within DRAIN_BOUND_SECONDS (5 minutes) of the last
answer. It is generous on purpose, valid on a loaded 2-core machine (load average 9 there: the worker
kept up with the burst and finished about a second after the last answer); speed itself is measured by
bench/bench_sns_ingestion.py, not here.
"""

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from core.models import AuditEntry
from lambdas.shared.verdicts import Reason, Verdict
from replication import webhook
from replication.models import Incident, RefusalCount, ReplicationEvent, SnsMessage
from replication.sns import CertificateCache
from tests.replication.signing import TOPIC_ARN, body
from tests.support.replication import HOOK, failure_document, https_message

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DELIVERIES = 5_000 if connection.vendor == "sqlite" else 1_000
REDELIVERED = DELIVERIES // 10
CLIENTS = 16
PAIRS = 8
REASONS = (Reason.CONTENT_MISMATCH, Reason.SIZE_MISMATCH)
DRAIN_BOUND_SECONDS = 300


def burst(authority) -> tuple[list[bytes], Counter]:
    """The deliveries in the order they are sent, and how many failures each (pair, reason) has."""
    expected = Counter()
    originals = []
    for number in range(DELIVERIES - REDELIVERED):
        primary, reason = f"burst-{number % PAIRS}", REASONS[number // PAIRS % len(REASONS)]
        document = failure_document(
            primary=primary,
            replica=primary + "-replica",
            key=f"objects/{number}.csv",
            verdict=Verdict.MISMATCH,
            reason=reason,
        )
        originals.append(body(authority.notification(https_message(document))))
        expected[(primary, reason.value)] += 1
    shuffler = random.Random(20)
    deliveries = originals + shuffler.sample(originals, REDELIVERED)
    shuffler.shuffle(deliveries)
    return deliveries, expected


def send(url: str, deliveries: list[bytes]) -> list[tuple[int, str]]:
    """POST every delivery from CLIENTS threads, each with its own keep-alive session."""
    local = threading.local()

    def post(raw: bytes) -> tuple[int, str]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = local.session.post(url, data=raw, headers={"Content-Type": "text/plain; charset=UTF-8"})
        return response.status_code, response.json().get("status", "")

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(post, deliveries))


def test_a_burst_is_answered_without_refusals_and_every_event_and_incident_appears_exactly_once(
    live_server, worker_cluster, authority, settings, monkeypatch
):
    settings.SNS_ALLOWED_TOPIC_ARNS = [TOPIC_ARN]
    monkeypatch.setattr(webhook, "CERTIFICATES", CertificateCache(authority.fetch))
    deliveries, expected = burst(authority)

    answers = send(live_server.url + HOOK, deliveries)

    assert Counter(status for status, _ in answers) == {200: DELIVERIES}  # no 429, no 5xx
    assert Counter(outcome for _, outcome in answers) == {
        "accepted": DELIVERIES - REDELIVERED,
        "duplicate": REDELIVERED,
    }
    deadline = time.monotonic() + DRAIN_BOUND_SECONDS
    while SnsMessage.objects.filter(outcome="pending").exists() and time.monotonic() < deadline:
        time.sleep(1)
    assert not SnsMessage.objects.filter(outcome="pending").exists(), (
        f"not drained within {DRAIN_BOUND_SECONDS}s (logs in {worker_cluster.log_path})"
    )

    assert Counter(SnsMessage.objects.values_list("outcome", flat=True)) == {
        "stored": DELIVERIES - REDELIVERED
    }
    assert ReplicationEvent.objects.count() == DELIVERIES - REDELIVERED
    assert not ReplicationEvent.objects.exclude(report_count=1).exists()
    incidents = Counter(
        {
            (primary, reason): count
            for primary, reason, count in Incident.objects.values_list(
                "pair__primary_bucket", "reason", "event_count"
            )
        }
    )
    assert incidents == expected and Incident.objects.count() == PAIRS * len(REASONS)
    assert AuditEntry.objects.filter(action="replication.incident_opened").count() == PAIRS * len(REASONS)
    assert not RefusalCount.objects.exists()
