"""The health page, pair and incident pages, the API and the panels, with real data in the database."""

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from core.models import AuditEntry
from replication.models import BucketPair, Incident, ReplicationEvent, SnsMessage
from requests_app import panels
from tests.support.query_counts import assert_pinned, queries_for
from tests.support.replication import failure_document, https_message, make_catalog_entry

pytestmark = pytest.mark.django_db
_ids = itertools.count()


def add_event(pair, *, severity="failure", hours_ago=1, reason="CONTENT_MISMATCH", incident_state=None):
    """An event (and optionally its incident) written straight to the tables, for page fixtures."""
    when = timezone.now() - timedelta(hours=hours_ago)
    n = next(_ids)
    message = SnsMessage.objects.create(
        message_id=f"m-{n}",
        type="Notification",
        topic_arn="arn:t",
        sent_at=when,
        outcome="stored",
        raw={"Message": "{}"},
    )
    incident = None
    if incident_state:
        incident, _ = Incident.objects.get_or_create(
            pair=pair,
            reason=reason,
            state=incident_state,
            defaults={"kind": "MISMATCH", "severity": severity, "last_event_at": when},
        )
    ReplicationEvent.objects.create(
        pair=pair,
        sns_message=message,
        incident=incident,
        dedupe_key=f"k-{n}",
        source="notifier",
        key=f"obj-{n}",
        kind="MISMATCH",
        reason=reason,
        severity=severity,
        occurred_at=when,
    )
    BucketPair.objects.filter(pk=pair.pk).update(last_event_at=when, last_failure_at=when)


def make_pairs(count, team="app-team", environment="prod"):
    pairs = []
    for i in range(count):
        entry = make_catalog_entry(f"{team}-{environment}-{i}", team, environment)
        pair = BucketPair.objects.create(
            primary_bucket=entry.bucket_name, replica_bucket=entry.bucket_name + "-r", catalog_entry=entry
        )
        add_event(pair, hours_ago=2 + i % 50, incident_state="open" if i % 3 == 0 else None)
        pairs.append(pair)
    return pairs


@pytest.mark.parametrize(
    "url",
    [
        "/replication/",
        "/api/v1/replication/health/",
        "/admin/replication/bucketpair/",
        "/admin/replication/incident/",
        "/admin/replication/replicationevent/",
    ],
)
def test_health_lists_make_their_pinned_number_of_queries_with_5_and_50_pairs(
    client, requester, approver, settings, url
):
    settings.PORTAL_PAGE_SIZE = 100  # every pair on one page
    client.force_login(approver if url.startswith("/admin/") else requester)
    make_pairs(5)
    few = queries_for(client, url)
    make_pairs(45, team="other-team")
    assert_pinned(__file__, f"list {url}", {5: few, 50: queries_for(client, url)})


def test_the_health_page_shows_state_counts_definitions_and_chart(client, requester):
    pair = make_pairs(1)[0]
    add_event(pair, hours_ago=50)
    client.force_login(requester)
    page = client.get("/replication/").content.decode()
    assert pair.primary_bucket in page
    assert '<span class="badge bad">failing</span>' in page
    assert "An open, unacknowledged failure incident" in page  # the definitions are on the page
    assert 'role="img" aria-label="Last 14 days' in page


def test_filters_by_environment_and_owner(client, requester):
    make_pairs(2, team="alpha", environment="prod")
    make_pairs(2, team="beta", environment="dev")
    client.force_login(requester)
    page = client.get("/replication/?environment=dev").content.decode()
    assert "beta-dev-0" in page and "alpha-prod-0" not in page
    page = client.get("/replication/?owner=alpha").content.decode()
    assert "alpha-prod-1" in page and "beta-dev-1" not in page


def test_the_pair_page_lists_its_events_and_incidents(client, auditor):
    pair = make_pairs(1)[0]
    client.force_login(auditor)
    page = client.get(f"/replication/pairs/{pair.pk}/").content.decode()
    assert "obj-" in page and f"/replication/incidents/{Incident.objects.get().pk}/" in page


def test_an_approver_acknowledges_then_resolves_and_both_are_audited(client, approver):
    pair = make_pairs(1)[0]
    incident = Incident.objects.get(pair=pair)
    client.force_login(approver)
    page = client.get(f"/replication/incidents/{incident.pk}/").content.decode()
    assert "Runbook" in page and "start-message-move-task" in page and "Acknowledge" in page
    client.post(f"/replication/incidents/{incident.pk}/acknowledge/", {"note": "looking"})
    incident.refresh_from_db()
    assert (incident.state, incident.acknowledged_by, incident.note) == ("acknowledged", "alex", "looking")
    client.post(f"/replication/incidents/{incident.pk}/resolve/", {"note": "re-copied"})
    incident.refresh_from_db()
    assert (incident.state, incident.resolved_by) == ("resolved", "alex") and incident.resolved_at
    actions = list(
        AuditEntry.objects.filter(action__startswith="replication.incident_").values_list("action", "actor")
    )
    assert actions == [
        ("replication.incident_acknowledged", "alex"),
        ("replication.incident_resolved", "alex"),
    ]


def test_a_resolved_incident_cannot_be_acknowledged(client, approver):
    pair = make_pairs(1)[0]
    incident = Incident.objects.get(pair=pair)
    client.force_login(approver)
    client.post(f"/replication/incidents/{incident.pk}/resolve/")
    response = client.post(f"/replication/incidents/{incident.pk}/acknowledge/", follow=True)
    assert "cannot be acknowledged" in response.content.decode()
    incident.refresh_from_db()
    assert incident.state == "resolved"


def test_requesters_and_auditors_may_look_but_not_decide(client, requester, auditor):
    pair = make_pairs(1)[0]
    incident = Incident.objects.get(pair=pair)
    for user in (requester, auditor):
        client.force_login(user)
        page = client.get(f"/replication/incidents/{incident.pk}/").content.decode()
        assert "/acknowledge/" not in page and "/resolve/" not in page
        assert client.post(f"/replication/incidents/{incident.pk}/acknowledge/").status_code == 403
    incident.refresh_from_db()
    assert incident.state == "open"


def test_a_user_without_a_role_cannot_see_the_pages(client):
    client.force_login(User.objects.create_user("nobody"))
    assert client.get("/replication/").status_code == 403


def test_the_api_returns_the_per_pair_rows(client, requester):
    pairs = make_pairs(2, team="alpha")
    make_pairs(1, team="beta", environment="dev")
    client.force_login(requester)
    data = client.get("/api/v1/replication/health/?owner=alpha").json()
    assert data["count"] == 2
    row = next(r for r in data["results"] if r["primary_bucket"] == pairs[0].primary_bucket)
    assert row["state"] == "failing" and row["owner"] == "alpha" and row["environment"] == "prod"
    assert row["failures_24h"] == 1 and row["failures_7d"] == 1 and row["open_incidents"] == 1
    assert len(row["daily"]) == 14 and sum(d["failures"] for d in row["daily"]) == 1
    assert row["url"].endswith(f"/replication/pairs/{pairs[0].pk}/")


def test_the_api_needs_authentication(client):
    assert client.get("/api/v1/replication/health/").status_code in (401, 403)


def test_the_api_needs_the_same_role_as_the_pages(client):
    client.force_login(User.objects.create_user("nobody"))
    assert client.get("/api/v1/replication/health/").status_code == 403


def test_catalog_and_request_pages_show_the_replication_state(client, hook, authority, approver, rf):
    entry = make_catalog_entry("orders-prod", "app-team")
    hook(authority.notification(https_message(failure_document())))
    client.force_login(approver)
    page = client.get(f"/catalog/{entry.bucket_name}/").content.decode()
    assert "Replication health" in page and '<span class="badge bad">failing</span>' in page
    # The request page renders the same registered panel for the request's catalog entry.
    http_request = rf.get("/")
    http_request.user = approver
    shown = panels.render_context(panels.REQUEST_PAGE, entry.request, http_request)
    replication = next(panel for panel in shown if panel["title"] == "Replication health")
    assert [row.state for row in replication["context"]["rows"]] == ["failing"]


def test_a_bucket_without_replication_events_shows_no_panel(client, approver):
    entry = make_catalog_entry("quiet-bucket")
    client.force_login(approver)
    assert "Replication health</h2>" not in client.get(f"/catalog/{entry.bucket_name}/").content.decode()
