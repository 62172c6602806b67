"""After a submit refused for some fields, the preview shows what the valid fields still give (the bucket
name, the approval decision), the same as the live preview while typing; never a value that depends on a
refused field (that would be a stand-in's).

The browser half (the panel after a rejected submit in Chromium): tests/browser/test_form.py.
"""

import pytest
from django.urls import reverse

from requests_app.contract import evaluate_request
from requests_app.platform_policy import current_policy
from requests_app.submission import submit_request
from tests.support.requests import form_data, rita_input

pytestmark = pytest.mark.django_db

NAME = "goldenpath-dev-payments-api-uploads"


def submitted_and_live(client, data):
    """The preview the page renders after the refused submit, and the live preview API's, for ``data``."""
    page = client.post(reverse("requests:new"), data)
    assert page.status_code == 200 and "error-summary" in page.content.decode()
    live = client.post(reverse("requests-api:request-preview"), data).json()
    return page, live


@pytest.mark.parametrize(
    "refused",
    [
        {"costAlertGb": "10001"},  # out of bounds
        {"costAlertGb": "abc"},  # not a number
        {"purposeDescription": "short"},  # too short
        {"purposeDescription": ""},  # missing
        {"tags": "no-equals-sign"},  # unreadable to the form
    ],
)
def test_the_bucket_name_is_shown_when_its_fields_are_valid(client, team_member, refused):
    client.force_login(team_member)
    page, live = submitted_and_live(client, {**form_data(), **refused})
    assert page.context["evaluation"]["bucketName"] == NAME
    assert f"Bucket name: <code>{NAME}</code>" in page.content.decode()
    assert live["bucketName"] == NAME and not live["valid"]
    assert (
        page.context["evaluation"]["approval"]
        == live["approval"]
        == {"required": False, "reasons": [], "approvals_needed": 0}
    )


@pytest.mark.parametrize(
    "refused",
    [
        {"application": "Bad_Name"},
        {"application": ""},
        {"environment": "moon"},
        {"purposeType": "everything"},
    ],
)
def test_no_name_is_made_up_while_one_of_its_fields_is_refused(client, team_member, refused):
    client.force_login(team_member)
    page, live = submitted_and_live(client, {**form_data(), "costAlertGb": "10001", **refused})
    assert page.context["evaluation"]["bucketName"] is None and live["bucketName"] is None
    assert "Bucket name: <code>—</code>" in page.content.decode()
    assert "payments-api-uploads" not in page.content.decode().split('id="preview"')[1]


def test_the_approval_decision_is_shown_when_its_fields_are_valid_and_only_then():
    policy = current_policy()
    prod = evaluate_request(rita_input(environment="prod", costAlertGb=0), policy)
    assert not prod.is_valid and prod.bucket_name == "goldenpath-prod-payments-api-uploads"
    assert prod.approval.required and [r.code for r in prod.approval.reasons] == ["environment"]

    unknown_access = evaluate_request(rita_input(environment="prod", publicAccess="sometimes"), policy)
    assert unknown_access.bucket_name == "goldenpath-prod-payments-api-uploads"
    assert unknown_access.approval is None  # a public-access exception would need approval: not said
    assert unknown_access.to_dict()["approval"] is None


def test_a_name_held_by_another_request_is_said_with_the_other_problems(client, team_member):
    held = submit_request(rita_input(), team_member).request
    client.force_login(team_member)
    page = client.post(reverse("requests:new"), {**form_data(), "costAlertGb": "10001"})
    errors = page.context["form"].errors
    assert any(held.request_id in message for message in errors["application"])
    assert any("10001 is too large" in message for message in errors["costAlertGb"])
