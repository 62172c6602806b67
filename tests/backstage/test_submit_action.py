"""The template's step against the real submission API, called exactly as the action calls it.

What cannot run here is Backstage itself: the step input and output are rendered with nunjucks the
way the scaffolder renders them (backstage/render-template.cjs), and the Backstage proxy's part,
adding the portal token from app-config, is done by the test client's Authorization header.
"""

import json

import pytest

from requests_app.backstage import SUBMIT_PATH, template_document
from requests_app.models import BucketRequest
from tests.backstage.conftest import bearer_client, needs_node, render_like_scaffolder
from tests.contract.cases import request_input

pytestmark = needs_node

PROXY_PREFIX = "/proxy/bucketwise"
TASK_ID = "5f0c9a8e-2d47-4b53-9a61-0d1f6c0b7e11"


def form_answers(**overrides) -> dict:
    """What a person types into the form: the OwnerPicker gives an entity ref, requester is not asked."""
    answers = {name: value for name, value in request_input(**overrides).items() if name != "requester"}
    answers["owner"] = f"group:default/{answers['owner']}"
    return answers


def task_context(answers: dict) -> dict:
    return {
        "parameters": answers,
        "user": {"ref": "user:default/rita", "entity": {"metadata": {"name": "rita"}}},
        "context": {"task": {"id": TASK_ID}},
    }


def rendered_step_input(answers: dict) -> dict:
    (step,) = template_document()["spec"]["steps"]
    return render_like_scaffolder(step["input"], task_context(answers))


def call_portal(client, step_input: dict):
    """What the action does: POST the JSON body with the step's headers to the proxied path."""
    assert step_input["path"].startswith(PROXY_PREFIX)
    headers = {name.lower(): value for name, value in step_input["headers"].items()}
    return client.generic(
        step_input["method"], step_input["path"].removeprefix(PROXY_PREFIX),
        data=json.dumps(step_input["body"]), content_type=headers.pop("content-type"),
        headers=headers,
    )


def step_output(response) -> dict:
    """The action's outputs as the next templating sees them; JSON bodies are parsed, as Roadie does."""
    assert "application/json" in response["Content-Type"]
    return {"code": response.status_code, "headers": dict(response.items()), "body": response.json()}


def rendered_output(answers: dict, output: dict) -> dict:
    context = {**task_context(answers), "steps": {"submit": {"output": output}}}
    return render_like_scaffolder(template_document()["spec"]["output"], context)


@pytest.fixture
def portal(teams, backstage_account):
    """The portal as the Backstage proxy reaches it: the service account's submit-scope token."""
    return bearer_client(backstage_account, "submit")


def test_step_body_is_the_request_input_with_slug_owner_and_signed_in_requester():
    answers = form_answers()
    answers.pop("expirationDays", None)
    step_input = rendered_step_input(answers)
    assert step_input["path"] == SUBMIT_PATH
    assert step_input["headers"]["content-type"] == "application/json"
    assert step_input["headers"]["idempotency-key"] == f"backstage-task-{TASK_ID}"
    body = step_input["body"]
    assert body["owner"] == "app-team" and body["requester"] == "rita"
    assert body["costAlertGb"] == 100 and body["versioning"] is True  # JSON types survive templating
    assert "expirationDays" not in body  # an empty answer is left out, so the portal default applies


def test_a_dev_request_is_filed_once_even_when_the_task_retries(portal):
    answers = form_answers()
    step_input = rendered_step_input(answers)
    first = call_portal(portal, step_input)
    assert first.status_code == 201, first.content
    retried = call_portal(portal, rendered_step_input(answers))
    assert retried.status_code == 201 and retried["Idempotent-Replayed"] == "true"
    assert retried.json()["id"] == first.json()["id"]
    assert BucketRequest.objects.count() == 1
    filed = BucketRequest.objects.get()
    assert (filed.owner.slug, filed.requester, filed.submitted_by.username) == ("app-team", "rita", "svc-backstage")


def test_output_links_the_request_and_says_no_approval_is_needed(portal):
    answers = form_answers()
    response = call_portal(portal, rendered_step_input(answers))
    output = rendered_output(answers, step_output(response))
    body = response.json()
    assert [link["url"] for link in output["links"] if link.get("if")] == [body["links"]["portal"],
                                                                           body["links"]["api"]]
    filed, not_filed = output["text"]
    assert filed["if"] and not not_filed["if"]
    assert body["id"] in filed["content"] and f"`{body['bucketName']}`" in filed["content"]
    assert "No approval is needed" in filed["content"]


def test_output_says_why_a_prod_request_needs_approval(portal):
    answers = form_answers(environment="prod")
    response = call_portal(portal, rendered_step_input(answers))
    assert response.status_code == 201, response.content
    filed = rendered_output(answers, step_output(response))["text"][0]
    assert response.json()["approvalRequired"] is True
    for reason in response.json()["approvalReasons"]:
        assert f"- {reason['message']}" in filed["content"]
    assert f"It needs {response.json()['approvalsNeeded']} platform approval(s)" in filed["content"]


def test_a_400_shows_the_portals_problems_to_the_person(portal):
    answers = form_answers(owner="ghost-team", costCenter="!!bad")
    response = call_portal(portal, rendered_step_input(answers))
    assert response.status_code == 400
    body = response.json()
    assert body["problems"] and all({"field", "message", "path"} <= set(p) for p in body["problems"])
    output = rendered_output(answers, step_output(response))
    assert not any(link.get("if") for link in output["links"])
    filed, not_filed = output["text"]
    assert not filed["if"] and not_filed["if"]
    assert not_filed["content"].startswith("The portal answered 400")
    for problem in body["problems"]:
        assert f"**{problem['field'] or problem['path']}**: {problem['message']}" in not_filed["content"]
    assert BucketRequest.objects.count() == 0


def test_a_missing_token_scope_is_shown_too(teams, backstage_account):
    answers = form_answers()
    response = call_portal(bearer_client(backstage_account, "read"), rendered_step_input(answers))
    assert response.status_code == 403
    not_filed = rendered_output(answers, step_output(response))["text"][1]
    assert not_filed["if"] and response.json()["detail"] in not_filed["content"]
