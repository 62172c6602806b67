"""Where compliance shows: the catalog list (column and filter), the catalog and request pages (findings,
remediation button), GET /api/v1/catalog/buckets/{name}/compliance/ and the Backstage entities."""

import pytest
from rest_framework.test import APIClient

from compliance.checking import check_buckets
from core.models import Team
from core.tokens import issue_token
from tests.support.query_counts import assert_pinned, queries_for

pytestmark = pytest.mark.django_db


def bearer(user, *scopes) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(user, 'test', scopes).text}")
    return client


@pytest.fixture
def three_buckets(make_bucket, aws):
    """One compliant, one drifted (versioning suspended), one deleted (unknown)."""
    good = make_bucket(application="good-app")
    drifted = make_bucket(application="drift-app")
    gone = make_bucket(application="gone-app")
    aws["s3"].put_bucket_versioning(
        Bucket=drifted.bucket_name, VersioningConfiguration={"Status": "Suspended"}
    )
    check_buckets([good, drifted])
    for name in [gone.bucket_name]:
        aws["s3"].delete_bucket(Bucket=name)
    check_buckets([gone])
    return {"good": good, "drifted": drifted, "gone": gone}


def test_catalog_list_shows_the_state_and_filters_by_it(client, requester, three_buckets, make_bucket):
    never = make_bucket(application="never-app")  # active but not checked yet: unknown, never compliant
    client.force_login(requester)
    page = client.get("/catalog/").content.decode()
    assert '<th scope="col">Compliance</th>' in page
    assert [page.count(f">{state}</span>") for state in ("Compliant", "Drifted", "Unknown")] == [1, 1, 2]

    def names(state):
        return {e.bucket_name for e in client.get(f"/catalog/?compliance={state}").context["page"]}

    assert names("compliant") == {three_buckets["good"].bucket_name}
    assert names("drifted") == {three_buckets["drifted"].bucket_name}
    assert names("unknown") == {three_buckets["gone"].bucket_name, never.bucket_name}
    assert len(client.get("/catalog/?compliance=nonsense").context["page"]) == 4  # unknown choice: ignored


def checked_entries(requester, count: int, start: int = 0):
    """Catalog entries with a compliance row and an open finding each, written straight to the tables (the
    pages read them; the checks that write them are tested with the local AWS above)."""
    from django.utils import timezone

    from compliance.models import BucketCompliance, Finding
    from requests_app import catalog
    from requests_app.submission import submit_request
    from tests.contract.cases import request_input
    from tests.runner.factories import ensure_teams

    ensure_teams()
    Team.objects.get(slug="app-team").members.add(requester)
    now = timezone.now()
    for number in range(start, start + count):
        raw = request_input(requester="rita", environment="prod", application=f"app-{number:03d}")
        entry = catalog.mark_provisioning(submit_request(raw, requester).request, actor="runner")
        BucketCompliance.objects.create(entry=entry, state="drifted", checked_at=now, open_findings=1)
        Finding.objects.create(
            entry=entry,
            field="versioning",
            expected=True,
            actual=False,
            status="open",
            first_seen_at=now,
            last_seen_at=now,
        )


@pytest.mark.parametrize(
    "url",
    [
        "/catalog/",
        "/catalog/?compliance=drifted",
        "/admin/compliance/bucketcompliance/",
        "/admin/compliance/finding/",
    ],
)
def test_compliance_lists_make_their_pinned_number_of_queries_with_5_and_50_rows(
    client, requester, approver, settings, url
):
    settings.PORTAL_PAGE_SIZE = 100  # every row on one page
    client.force_login(approver if url.startswith("/admin/") else requester)
    checked_entries(requester, 5)
    few = queries_for(client, url)
    checked_entries(requester, 45, start=5)
    assert_pinned(__file__, f"list {url}", {5: few, 50: queries_for(client, url)})


def test_catalog_and_request_pages_show_the_findings(client, requester, three_buckets):
    drifted = three_buckets["drifted"]
    Team.objects.get(slug="app-team").members.add(requester)  # sees the team's request page
    client.force_login(requester)
    for url in (f"/catalog/{drifted.bucket_name}/", f"/requests/{drifted.request.request_id}/"):
        page = client.get(url).content.decode()
        assert "Open findings" in page and "<code>versioning</code>" in page
        assert "<code>&quot;Enabled&quot;</code>" in page and "<code>&quot;Suspended&quot;</code>" in page
        assert "Remediate" not in page  # a requester cannot start a remediation
    gone = client.get(f"/catalog/{three_buckets['gone'].bucket_name}/").content.decode()
    assert "Unknown" in gone and "does not exist" in gone


def test_an_approver_sees_the_remediation_button_only_when_there_is_something_to_remediate(
    client, approver, three_buckets
):
    client.force_login(approver)
    assert (
        "Remediate: re-apply"
        in client.get(f"/catalog/{three_buckets['drifted'].bucket_name}/").content.decode()
    )
    assert (
        "Remediate: re-apply"
        not in client.get(f"/catalog/{three_buckets['good'].bucket_name}/").content.decode()
    )


def test_api_reports_state_reason_and_findings(three_buckets, requester):
    client = bearer(requester, "read")
    drifted = client.get(f"/api/v1/catalog/buckets/{three_buckets['drifted'].bucket_name}/compliance/").json()
    assert drifted["state"] == "drifted"
    assert [(f["field"], f["expected"], f["actual"], f["status"]) for f in drifted["open_findings"]] == [
        ("versioning", "Enabled", "Suspended", "open")
    ]
    assert drifted["open_findings"][0]["first_seen_at"] and drifted["open_findings"][0]["last_seen_at"]
    gone = client.get(f"/api/v1/catalog/buckets/{three_buckets['gone'].bucket_name}/compliance/").json()
    assert gone["state"] == "unknown" and "does not exist" in gone["reason"]
    good = client.get(f"/api/v1/catalog/buckets/{three_buckets['good'].bucket_name}/compliance/").json()
    assert (good["state"], good["open_findings"]) == ("compliant", [])


def test_api_needs_the_read_scope_and_an_account(three_buckets, requester, client):
    url = f"/api/v1/catalog/buckets/{three_buckets['good'].bucket_name}/compliance/"
    assert bearer(requester, "submit").get(url).status_code == 403
    assert client.get(url).status_code in (401, 403)
    assert (
        bearer(requester, "read").get("/api/v1/catalog/buckets/no-such-bucket/compliance/").status_code == 404
    )


def test_backstage_entities_carry_the_state(three_buckets, requester):
    items = bearer(requester, "read").get("/api/v1/backstage/entities/").json()["items"]
    annotations = {e["metadata"]["title"]: e["metadata"]["annotations"] for e in items}
    assert annotations[three_buckets["good"].bucket_name]["bucketwise.io/compliance"] == "compliant"
    assert annotations[three_buckets["drifted"].bucket_name]["bucketwise.io/compliance"] == "drifted"
    gone = annotations[three_buckets["gone"].bucket_name]
    assert (
        gone["bucketwise.io/compliance"] == "unknown"
        and "does not exist" in gone["bucketwise.io/compliance-reason"]
    )
