"""The database connection dropped in the middle of a submission: nothing half-written, a clear 503.

The drop is real: PostgreSQL terminates the portal's backend (``pg_terminate_backend`` from a second
connection). Only its timing is arranged: a hook wraps the ID allocation so the drop lands after the
number is taken and before the request row is inserted (the hook is the only stand-in here).
"""

import time

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from core.models import AuditEntry
from requests_app import submission
from requests_app.ids import REQUEST_SEQUENCE
from requests_app.models import BucketRequest, IdSequence
from tests.support.requests import form_data, prod_input

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def terminate_the_portals_connection() -> None:
    """Kill this process's database session from outside, and wait until it is gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    config = connection.settings_dict
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=config["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.05)


@pytest.fixture
def drop_after_id_allocation(monkeypatch):
    real_allocation = submission.allocate_request_number

    def allocate_then_drop():
        number = real_allocation()
        terminate_the_portals_connection()
        return number

    monkeypatch.setattr(submission, "allocate_request_number", allocate_then_drop)
    return monkeypatch


def saved_state() -> tuple:
    return (
        BucketRequest.objects.count(),
        AuditEntry.objects.count(),
        IdSequence.objects.get(name=REQUEST_SEQUENCE).last_value,
    )


# prod requests wait for approval: no run is queued on the broker the next tests share.
def test_api_submission_answers_503_and_saves_nothing_then_the_retry_gets_the_next_id(
    backstage, drop_after_id_allocation
):
    before = saved_state()

    response = backstage.post(
        "/api/v1/s3-requests/", prod_input(), format="json", HTTP_IDEMPOTENCY_KEY="drop-1"
    )

    assert response.status_code == 503
    assert response.json() == {
        "code": "database-unavailable",
        "detail": "The database is unavailable; nothing was saved. Please retry in a few seconds.",
    }
    assert response["Retry-After"] == "5"
    assert saved_state() == before

    drop_after_id_allocation.undo()
    retried = backstage.post(
        "/api/v1/s3-requests/", prod_input(), format="json", HTTP_IDEMPOTENCY_KEY="drop-1"
    )
    assert retried.status_code == 201, retried.content
    assert retried.json()["id"] == f"S3-{before[2] + 1:04d}"


def test_web_form_answers_a_503_page_and_saves_nothing(client, team_member, drop_after_id_allocation):
    client.force_login(team_member)
    before = saved_state()

    response = client.post(reverse("requests:new"), form_data())

    assert response.status_code == 503
    page = response.content.decode()
    assert "nothing was saved" in page and "your entries are still in it" in page
    assert saved_state() == before
