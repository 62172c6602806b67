"""The SNS backlog for machines: ``/healthz`` and the replication health API report the notifications
waiting for a worker (how many, the oldest's age, whether past the bound), from the selector the health
page uses (replication.overview.processing_backlog).

What is real: the webhook storing pending messages, the drain, /healthz with the broker of this run, the
API. Replaced: the worker cluster's heartbeat (django-q's Stat), so that /healthz is otherwise healthy
without starting a cluster (test_foundation.py starts a real one).
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django_q.status import Stat

from replication import processing
from replication.models import SnsMessage
from replication.overview import PROCESSING_BEHIND
from tests.support.common import make_user
from tests.support.replication import failure_document, https_message

pytestmark = pytest.mark.django_db

BOUND = int(PROCESSING_BEHIND.total_seconds())


def notify(authority, key):
    document = failure_document(primary="orders-prod", replica="orders-prod-replica", key=key)
    return authority.notification(https_message(document))


@pytest.fixture
def cluster_with_a_worker(monkeypatch):
    monkeypatch.setattr(
        Stat, "get_all", classmethod(lambda cls, broker=None: [SimpleNamespace(status="Idle", workers=[1])])
    )


@pytest.fixture
def checkpoints_written(monkeypatch):
    """Audit checkpoints reaching their bucket, so that only the backlog can degrade /healthz here."""
    from core import audit_checkpoints

    monkeypatch.setattr(audit_checkpoints, "write_status", lambda: {"ok": True})


def wait(minutes):
    """Every pending message arrived ``minutes`` ago."""
    SnsMessage.objects.filter(outcome="pending").update(
        received_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_healthz_reports_the_backlog_and_is_degraded_not_unhealthy_once_past_the_bound(
    client, hook, authority, cluster_with_a_worker, checkpoints_written
):
    quiet = client.get("/healthz").json()
    assert quiet["status"] == "ok"
    assert quiet["checks"]["replication_processing"] == {
        "ok": True,
        "pending": 0,
        "oldest_received_at": None,
        "oldest_age_seconds": None,
        "bound_seconds": BOUND,
        "behind": False,
    }

    hook(notify(authority, "a"), process=False)
    hook(notify(authority, "b"), process=False)
    wait(minutes=1)
    within = client.get("/healthz")
    check = within.json()["checks"]["replication_processing"]
    assert within.status_code == 200 and within.json()["status"] == "ok"
    assert (check["ok"], check["pending"], check["behind"]) == (True, 2, False)
    assert 55 <= check["oldest_age_seconds"] < BOUND

    wait(minutes=10)
    past = client.get("/healthz")
    body = past.json()
    check = body["checks"]["replication_processing"]
    assert past.status_code == 200 and body["status"] == "degraded"
    assert (check["ok"], check["pending"], check["behind"]) == (False, 2, True)
    assert check["oldest_age_seconds"] >= 600 and "2 SNS notification(s) wait" in check["problem"]

    assert processing.process_pending() == 2
    assert client.get("/healthz").json()["status"] == "ok"


def test_a_backlog_does_not_hide_an_unhealthy_portal(client, hook, authority):
    hook(notify(authority, "a"), process=False)
    wait(minutes=10)
    response = client.get("/healthz")  # no worker cluster at all: 503, the backlog reported beside it
    assert response.status_code == 503 and response.json()["status"] == "unhealthy"
    assert response.json()["checks"]["replication_processing"]["behind"] is True


def test_the_health_api_reports_the_backlog_beside_the_pairs(client, hook, authority):
    client.force_login(make_user("viewer", "requesters"))
    empty = client.get("/api/v1/replication/health/").json()
    assert empty["processing"] == {
        "pending": 0,
        "oldest_received_at": None,
        "oldest_age_seconds": None,
        "bound_seconds": BOUND,
        "behind": False,
    }

    hook(notify(authority, "a"), process=False)
    wait(minutes=10)
    data = client.get("/api/v1/replication/health/").json()
    assert list(data) == ["count", "next", "previous", "processing", "results"]
    processing_now = data["processing"]
    assert (processing_now["pending"], processing_now["behind"]) == (1, True)
    assert processing_now["oldest_age_seconds"] >= 600 and processing_now["oldest_received_at"]
    assert data["results"] == []  # the pair appears once its notification is processed

    processing.process_pending()
    data = client.get("/api/v1/replication/health/").json()
    assert data["processing"]["pending"] == 0 and data["count"] == 1


def test_the_api_schema_documents_the_backlog(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    response = schema["paths"]["/api/v1/replication/health/"]["get"]["responses"]["200"]
    page = response["content"]["application/json"]["schema"]
    if "$ref" in page:
        page = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[-1]]
    processing_schema = page["properties"]["processing"]
    assert "processing" in page["required"]
    assert set(processing_schema["properties"]) == {
        "pending",
        "oldest_received_at",
        "oldest_age_seconds",
        "bound_seconds",
        "behind",
    }
