"""Portal pages: the form without JavaScript, lists with visibility and filters, detail, catalog, audit."""

import pytest
from django.urls import reverse

from core import audit, roles
from requests_app import catalog
from requests_app.models import BucketRequest
from requests_app.submission import submit_request
from tests.support.common import make_user
from tests.support.query_counts import assert_pinned, queries_for
from tests.support.requests import form_data, prod_input, rita_input

pytestmark = pytest.mark.django_db


def test_the_form_submits_without_javascript_and_shows_the_request_page(client, team_member):
    client.force_login(team_member)
    response = client.post(reverse("requests:new"), form_data(tags={"dataClassification": "internal"}))
    assert response.status_code == 302 and response.url == reverse("requests:detail", args=["S3-0001"])
    stored = BucketRequest.objects.get()
    assert stored.requester == "rita" and stored.contract["spec"]["tags"]["dataClassification"] == "internal"


def test_the_form_shows_problems_on_their_fields(client, team_member):
    client.force_login(team_member)
    response = client.post(reverse("requests:new"), form_data(application="Bad_Name", costAlertGb="0"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["application"] and form.errors["costAlertGb"]
    unknown_team = client.post(reverse("requests:new"), form_data(owner="ghost-team"))
    assert "ghost-team" in unknown_team.context["form"].errors["owner"][0]
    assert not BucketRequest.objects.exists()


def test_an_empty_post_shows_the_missing_fields_not_a_server_error(client, team_member):
    """A POST with no fields at all (``POST or None`` left the form unbound: a 500 on reading it)."""
    client.force_login(team_member)
    response = client.post(reverse("requests:new"))
    assert response.status_code == 200
    assert response.context["form"].errors["application"] and response.context["form"].errors["owner"]
    assert not BucketRequest.objects.exists()


def test_the_requester_field_is_the_signed_in_person(client, team_member):
    client.force_login(team_member)
    client.post(reverse("requests:new"), {**form_data(), "requester": "someone-else"})
    assert BucketRequest.objects.get().requester == "rita"


def test_the_preview_api_accepts_the_form_as_posted(client, team_member):
    client.force_login(team_member)
    body = client.post(reverse("requests-api:request-preview"), form_data(environment="prod")).json()
    assert body["valid"] and body["bucketName"] == "goldenpath-prod-payments-api-uploads"
    assert body["approval"]["required"]


def test_the_form_page_renders_help_and_the_preview_script(client, team_member):
    client.force_login(team_member)
    page = client.get(reverse("requests:new")).content.decode()
    assert 'name="costAlertGb"' in page and "CloudWatch alarm" in page
    assert "requests_app/preview.js" in page


def test_auditors_cannot_submit(client, auditor):
    client.force_login(auditor)
    assert client.get(reverse("requests:new")).status_code == 403


def test_requesters_see_their_own_and_their_teams_requests(client, team_member, service_account, teams):
    bob = make_user("bob", roles.REQUESTERS)
    teams["app-team"].members.add(bob)
    teams["web-team"].members.add(bob)
    submit_request(prod_input(), service_account)  # names rita
    submit_request(prod_input(application="shop", requester="bob", owner="app-team"), service_account)
    submit_request(prod_input(application="other", requester="bob", owner="web-team"), service_account)
    client.force_login(team_member)
    shown = [r.request_id for r in client.get(reverse("requests:list")).context["page"]]
    assert shown == ["S3-0002", "S3-0001"]
    assert client.get(reverse("requests:detail", args=["S3-0003"])).status_code == 404


def test_a_request_naming_the_requester_in_another_spelling_is_theirs_to_see(client, team_member, teams):
    """An adopted import names its requester as its file spells it: "Rita " is rita (core.identity)."""
    stranger = make_user("stan", roles.REQUESTERS)
    teams["web-team"].members.add(stranger)
    raw = prod_input(application="other", owner="web-team", requester="stan")
    request = submit_request(raw, stranger).request
    client.force_login(team_member)
    assert client.get(reverse("requests:detail", args=[request.request_id])).status_code == 404
    request.requester = "Rita "
    request.save()
    assert client.get(reverse("requests:detail", args=[request.request_id])).status_code == 200


def test_approvers_see_all_and_filter(client, approver, team_member, teams):
    submit_request(prod_input(), team_member)
    submit_request(rita_input(), team_member)
    client.force_login(approver)
    assert len(client.get(reverse("requests:list")).context["page"]) == 2
    filtered = client.get(reverse("requests:list"), {"environment": "prod", "status": "pending_approval"})
    assert [r.request_id for r in filtered.context["page"]] == ["S3-0001"]


def test_request_page_shows_summary_contract_approvals_and_timeline(client, team_member, approver):
    request = submit_request(prod_input(), team_member).request
    client.force_login(team_member)
    page = client.get(reverse("requests:detail", args=[request.request_id])).content.decode()
    assert "goldenpath-prod-payments-api-uploads" in page
    assert "apiVersion: goldenpath.io/v1" in page
    assert "prod buckets need platform approval." in page
    assert "request.submitted" in page
    assert 'id="guardrails-applied"' in page  # read from the submission's entry
    download = client.get(reverse("requests:contract", args=[request.request_id]))
    assert download["Content-Disposition"] == 'attachment; filename="S3-0001.yaml"'
    assert b"kind: S3BucketRequest" in download.content


def test_catalog_pages(client, team_member):
    request = submit_request(rita_input(), team_member).request
    catalog.mark_active(
        request, actor="runner", region="us-east-1", arn=f"arn:aws:s3:::{request.bucket_name}"
    )
    client.force_login(team_member)
    listing = client.get(reverse("requests:catalog"), {"status": "active"})
    assert [e.bucket_name for e in listing.context["page"]] == [request.bucket_name]
    assert (
        client.get(reverse("requests:catalog"), {"environment": "prod"}).context["page"].paginator.count == 0
    )
    detail = client.get(reverse("requests:catalog-detail", args=[request.bucket_name])).content.decode()
    assert f"arn:aws:s3:::{request.bucket_name}" in detail


def test_audit_page_is_for_auditors_and_exports_csv_per_environment(client, auditor, team_member):
    submit_request(prod_input(), team_member)
    client.force_login(team_member)
    assert client.get(reverse("requests:audit")).status_code == 403
    client.force_login(auditor)
    assert client.get(reverse("requests:audit")).status_code == 200
    export = client.get(reverse("requests:audit-export"), {"environment": "prod"})
    text = b"".join(export.streaming_content).decode()
    assert text.startswith(
        "timestamp_utc,request_id,bucket_name,owner,environment,purpose,action,approver,status"
    )
    assert client.get(reverse("requests:audit-export"), {"environment": "moon"}).status_code == 400


# --- constant number of queries, whatever the number of rows ---------------------------


def fill(team_member, count: int, start: int = 0):
    for number in range(start, start + count):
        request = submit_request(prod_input(application=f"app-{number:03d}"), team_member).request
        catalog.mark_provisioning(request, actor="runner")


@pytest.mark.parametrize("url_name", ["requests:list", "requests:catalog", "requests:audit", "requests:new"])
def test_pages_make_their_pinned_number_of_queries_with_5_and_50_rows(
    client, auditor, team_member, settings, url_name
):
    settings.PORTAL_PAGE_SIZE = 100  # every row on one page
    client.force_login(team_member if url_name == "requests:new" else auditor)
    fill(team_member, 5)
    few = queries_for(client, reverse(url_name))
    fill(team_member, 45, start=5)
    assert_pinned(__file__, f"page {url_name}", {5: few, 50: queries_for(client, reverse(url_name))})


def test_the_request_page_makes_its_pinned_number_of_queries_whatever_its_history(client, team_member):
    request = submit_request(prod_input(), team_member).request
    client.force_login(team_member)
    url = reverse("requests:detail", args=[request.request_id])
    few = queries_for(client, url)
    for number in range(45):
        audit.record("request.note", actor="system", request=request, detail={"n": number})
    assert_pinned(__file__, "page requests:detail", {5: few, 50: queries_for(client, url)})


@pytest.mark.parametrize("url", ["/api/v1/s3-requests/", "/api/v1/catalog/buckets/", "/api/v1/audit/"])
def test_api_lists_make_their_pinned_number_of_queries_with_5_and_50_rows(client, auditor, team_member, url):
    client.force_login(auditor)
    fill(team_member, 5)
    few = queries_for(client, url)
    fill(team_member, 45, start=5)
    assert_pinned(__file__, f"list {url}", {5: few, 50: queries_for(client, url)})


def test_panels_of_other_apps_are_shown_on_the_request_page(client, team_member, monkeypatch):
    from requests_app import panels

    def panel(obj, http_request):
        return {
            "title": "Test panel",
            "template": "requests_app/_status.html",
            "context": {"status": "failed", "label": f"panel for {obj.request_id}"},
        }

    monkeypatch.setitem(panels._panels, panels.REQUEST_PAGE, [*panels._panels[panels.REQUEST_PAGE], panel])
    request = submit_request(prod_input(), team_member).request
    client.force_login(team_member)
    page = client.get(reverse("requests:detail", args=[request.request_id])).content.decode()
    assert "Test panel" in page and "panel for S3-0001" in page


def test_a_rejected_submit_lists_every_problem_at_the_top_with_links_to_the_fields(client, team_member):
    client.force_login(team_member)
    response = client.post(
        reverse("requests:new"), form_data(purposeDescription="short", costAlertGb="10001")
    )
    page = response.content.decode()
    summary = page[page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))]
    assert 'href="#id_purposeDescription"' in summary and 'href="#id_costAlertGb"' in summary
    assert "Too short: 5 characters; write at least 10 characters." in summary
    assert "10001 is too large: the most allowed is 10000." in summary


def test_nothing_is_marked_before_the_first_submit_and_help_states_the_limits(client, team_member):
    client.force_login(team_member)
    page = client.get(reverse("requests:new")).content.decode()
    assert "error-summary" not in page and "This field is required" not in page
    assert "From 0 to 36,500." in page  # transition days
    # A limit the help already states is not repeated after it.
    assert "(10-200 characters)." in page and "10 to 200 characters" not in page  # purpose description
    assert "(10-500 characters)." in page and "10 to 500 characters" not in page  # retention rationale


def test_the_catalog_page_reads_well_and_links_to_its_request(client, team_member):
    from requests_app.catalog import governance_rows

    assert governance_rows({"versioning": True, "accessLogging": False, "kmsKeyAlias": None}) == [
        ("Versioning", "Yes"),
        ("Access logging", "No"),
        ("KMS key alias", "—"),
    ]
    request = submit_request(rita_input(), team_member).request
    catalog.mark_active(
        request, actor="runner", region="us-east-1", arn=f"arn:aws:s3:::{request.bucket_name}"
    )
    client.force_login(team_member)
    detail = client.get(reverse("requests:catalog-detail", args=[request.bucket_name])).content.decode()
    assert f'<h1 class="bucket-name">{request.bucket_name}</h1>' in detail
    assert "<dt>Versioning</dt><dd>Yes</dd>" in detail
    assert "kmsKeyAlias" not in detail and "True" not in detail
    listing = client.get(reverse("requests:catalog")).content.decode()
    request_url = reverse("requests:detail", args=[request.request_id])
    assert f'<a href="{request_url}">{request.request_id}</a>' in listing


def test_the_catalog_is_everyones_who_signed_in_and_nobody_elses(team_member, requester):
    from django.contrib.auth.models import AnonymousUser

    from requests_app.visibility import visible_catalog

    fill(team_member, 2)
    stranger = make_user("stan")  # no role, no team
    assert visible_catalog(stranger).count() == 2
    assert visible_catalog(AnonymousUser()).count() == 0


def test_a_stored_contract_that_does_not_load_is_shown_as_unreadable_not_a_500(client, team_member):
    """A renamed field in a stored contract is an error the catalog shows, not a silent None: the page,
    the catalog YAML and the Backstage feed each still answer, and say the contract is unreadable."""
    import yaml

    from requests_app.backstage_catalog import catalog_bucket
    from requests_app.exports import catalog_yaml

    request = submit_request(rita_input(), team_member).request
    renamed = dict(request.contract, spec=dict(request.contract["spec"]))
    renamed["spec"]["encryptionSettings"] = renamed["spec"].pop("encryption")
    BucketRequest.objects.filter(pk=request.pk).update(contract=renamed)
    request.refresh_from_db()
    entry = catalog.mark_active(request, actor="runner", region="us-east-1", arn="arn:aws:s3:::x")
    assert list(entry.governance) == ["contract"] and "unreadable" in entry.governance["contract"]

    client.force_login(team_member)
    response = client.get(reverse("requests:catalog-detail", args=[request.bucket_name]))
    assert response.status_code == 200
    assert "<dt>Contract</dt><dd>unreadable" in response.content.decode()

    bucket = yaml.safe_load(catalog_yaml())["buckets"][request.bucket_name]
    assert "unreadable contract" in bucket["metadata"]["contract_problem"]
    assert bucket["governance"] is None and bucket["metadata"]["application"] == request.application
    assert catalog_bucket(entry, lambda path: path).access_log_bucket is None


def test_the_form_gives_a_mapping_or_raises_its_problems_never_a_list_in_its_place():
    from requests_app.forms import InputProblems, RequestForm

    assert (
        RequestForm(form_data(), requester="rita").valid_input()["application"] == form_data()["application"]
    )
    with pytest.raises(InputProblems) as refused:
        RequestForm({**form_data(), "tags": "not a pair"}, requester="rita").valid_input()
    assert [problem.field for problem in refused.value.problems] == ["tags"]
    assert refused.value.readable["application"] == form_data()["application"]
    # An empty required field is not the form's to report: the contract says it with the rest.
    assert (
        "purposeDescription"
        not in RequestForm(form_data(purposeDescription=""), requester="rita").valid_input()
    )


# Four kinds at once: a value of the wrong type, a form the contract refuses, a guardrail, a lifecycle clash.
EVERY_KIND = {
    "costAlertGb": "abc",
    "application": "a-very-long-application-name-for-payments",
    "environment": "prod",
    "corsEnabled": "on",
    "corsAllowedOrigins": "*",
    "storageClass": "glacier",
    "retentionType": "time-bounded",
    "expirationDays": "30",
}
EVERY_KIND_MESSAGES = {
    "costAlertGb": "Not a number: 'abc'; write a whole number between 1 and 10000.",
    "application": "Too long: 41 characters; the most allowed is 31.",
    "corsAllowedOrigins": "Wildcard origins are not allowed in staging or prod",
    "expirationDays": "Objects expire on day 30, but the platform's default moves them to glacier on day 90",
}


def test_a_rejected_submit_shows_every_kind_of_problem_at_once(client, team_member):
    client.force_login(team_member)
    response = client.post(reverse("requests:new"), {**form_data(), **EVERY_KIND, "tags": "no-equals-sign"})
    errors = response.context["form"].errors
    for field, words in {**EVERY_KIND_MESSAGES, "tags": "Line 1: write key=value."}.items():
        assert any(words in message for message in errors[field]), (field, errors.get(field))
    page = response.content.decode()
    summary = page[page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))]
    for field in [*EVERY_KIND_MESSAGES, "tags"]:
        assert f'href="#id_{field}"' in summary
    assert "This field is required" not in page and not BucketRequest.objects.exists()


def test_the_api_and_the_preview_report_every_kind_of_problem_at_once(client, team_member):
    client.force_login(team_member)
    body = {
        **rita_input(),
        **EVERY_KIND,
        "corsEnabled": True,
        "corsAllowedOrigins": ["*"],
        "tags": "dataClassification=internal",
    }
    for url in (reverse("requests-api:request-list"), reverse("requests-api:request-preview")):
        problems = client.post(url, body, content_type="application/json").json()["problems"]
        by_field = {problem["field"]: problem["message"] for problem in problems}
        for field, words in EVERY_KIND_MESSAGES.items():
            assert words in by_field[field], (url, field, by_field)
        assert by_field["tags"].startswith("Not a set of names and values: 'dataClassification=internal'")
        assert len(problems) == len({(p["field"], p["message"]) for p in problems})  # each once
    assert not BucketRequest.objects.exists()


def test_the_live_preview_reports_every_problem_of_the_form_as_posted(client, team_member):
    client.force_login(team_member)
    body = client.post(
        reverse("requests-api:request-preview"), {**form_data(), **EVERY_KIND, "tags": "no-equals-sign"}
    ).json()
    assert not body["valid"]
    assert {p["field"] for p in body["problems"]} >= {*EVERY_KIND_MESSAGES, "tags"}
