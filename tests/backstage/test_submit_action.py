"""The template's step against the real submission API, called exactly as the action calls it.

Backstage itself runs in backstage/real-check (tests/backstage/test_real_backstage.py); here the step input
and output are rendered with nunjucks the way the scaffolder renders them (backstage/render-template.cjs),
the Backstage proxy's part, adding the portal token from app-config, is done by the test client's
Authorization header, and the signed-in user's Backstage token comes from a loopback identity provider.
"""

import json

import pytest

from requests_app.backstage import STEP_ID, SUBMIT_PATH, template_document
from requests_app.models import BucketRequest
from tests.contract.cases import request_input
from tests.support.backstage import bearer_client, needs_node, render_like_scaffolder

pytestmark = needs_node

PROXY_PREFIX = "/proxy/bucketwise"
TASK_ID = "5f0c9a8e-2d47-4b53-9a61-0d1f6c0b7e11"


def form_answers(**overrides) -> dict:
    """What a person types into the form: the OwnerPicker gives an entity ref, requester is not asked."""
    answers = {name: value for name, value in request_input(**overrides).items() if name != "requester"}
    answers["owner"] = f"group:default/{answers['owner']}"
    return answers


def task_context(answers: dict, user_token: str = "", user: dict | None = None) -> dict:
    return {
        "parameters": answers,
        "user": user or {"ref": "user:default/rita", "entity": {"metadata": {"name": "rita"}}},
        "secrets": {"backstageToken": user_token},
        "context": {"task": {"id": TASK_ID}},
    }


def template_step(step_id: str) -> dict:
    return next(step for step in template_document()["spec"]["steps"] if step["id"] == step_id)


def rendered_step_input(answers: dict, user_token: str = "", user: dict | None = None) -> dict:
    return render_like_scaffolder(template_step(STEP_ID)["input"], task_context(answers, user_token, user))


def call_portal(client, step_input: dict):
    """What the action does: POST the JSON body with the step's headers to the proxied path."""
    assert step_input["path"].startswith(PROXY_PREFIX)
    headers = {name.lower(): value for name, value in step_input["headers"].items()}
    return client.generic(
        step_input["method"],
        step_input["path"].removeprefix(PROXY_PREFIX),
        data=json.dumps(step_input["body"]),
        content_type=headers.pop("content-type"),
        headers=headers,
    )


def step_output(response) -> dict:
    """The action's outputs as the next templating sees them; JSON bodies are parsed, as Roadie does."""
    assert "application/json" in response["Content-Type"]
    return {"code": response.status_code, "headers": dict(response.items()), "body": response.json()}


def after_submit(answers: dict, output: dict | None) -> dict:
    """The templating context once the submit step ran (``output`` None: a dry run, the POST skipped)."""
    return {**task_context(answers), "steps": {STEP_ID: {"output": output or {}}}}


def rendered_output(answers: dict, output: dict | None) -> dict:
    return render_like_scaffolder(template_document()["spec"]["output"], after_submit(answers, output))


def later_steps(answers: dict, output: dict | None) -> dict:
    """Each step after submit as the scaffolder would run it: {id: rendered input} for those whose
    ``if`` holds (a falsy ``if`` skips the step, as in NunjucksWorkflowRunner)."""
    context = after_submit(answers, output)
    ran = {}
    for step in template_document()["spec"]["steps"][1:]:
        if render_like_scaffolder(step["if"], context):
            ran[step["id"]] = render_like_scaffolder(step["input"], context)
    return ran


def shown_text(output: dict) -> dict:
    """Titles and contents of the output texts whose ``if`` holds."""
    return {text["title"]: text["content"] for text in output["text"] if text.get("if")}


@pytest.fixture
def portal(teams, backstage_account):
    """The portal as the Backstage proxy reaches it: the service account's Backstage-caller token."""
    return bearer_client(backstage_account, "submit")


@pytest.fixture
def rita_token(fake_backstage, rita):
    return fake_backstage.user_token("user:default/rita")


def test_step_body_is_the_request_input_with_slug_owner_and_signed_in_requester():
    answers = form_answers()
    answers.pop("expirationDays", None)
    step_input = rendered_step_input(answers, user_token="the-users-token")
    assert step_input["path"] == SUBMIT_PATH
    assert step_input["headers"]["content-type"] == "application/json"
    assert step_input["headers"]["idempotency-key"] == f"backstage-task-{TASK_ID}"
    assert step_input["headers"]["backstage-user-token"] == "the-users-token"
    body = step_input["body"]
    assert body["owner"] == "app-team" and body["requester"] == "rita"
    assert body["costAlertGb"] == 100 and body["versioning"] is True  # JSON types survive templating
    assert "expirationDays" not in body  # an empty answer is left out, so the portal default applies


def test_a_user_without_a_catalog_entity_is_named_from_the_user_ref():
    """Guests and users not yet ingested have no entity; their ref still names them."""
    body = rendered_step_input(form_answers(), user={"ref": "user:default/new-hire"})["body"]
    assert body["requester"] == "new-hire"


def test_a_dev_request_is_filed_once_for_the_signed_in_user_even_when_the_task_retries(
    portal, rita_token, fake_backstage
):
    answers = form_answers()
    first = call_portal(portal, rendered_step_input(answers, rita_token))
    assert first.status_code == 201, first.content
    # A retried task carries the scaffolder's token on behalf of the user, and the same task ID.
    retried = call_portal(
        portal, rendered_step_input(answers, fake_backstage.retry_token("user:default/rita"))
    )
    assert retried.status_code == 201 and retried["Idempotent-Replayed"] == "true", retried.content
    assert retried.json()["id"] == first.json()["id"]
    assert BucketRequest.objects.count() == 1
    filed = BucketRequest.objects.get()
    assert (filed.owner.slug, filed.requester, filed.submitted_by.username) == (
        "app-team",
        "rita",
        "svc-backstage",
    )


def test_filed_output_links_the_request_and_no_step_fails(portal, rita_token):
    answers = form_answers()
    response = call_portal(portal, rendered_step_input(answers, rita_token))
    output = rendered_output(answers, step_output(response))
    body = response.json()
    assert [link["url"] for link in output["links"] if link.get("if")] == [
        body["links"]["portal"],
        body["links"]["api"],
    ]
    ((title, content),) = shown_text(output).items()
    assert title == "Request filed"
    assert body["id"] in content and f"`{body['bucketName']}`" in content
    assert "No approval is needed" in content
    assert later_steps(answers, step_output(response)) == {}


def test_output_says_why_a_prod_request_needs_approval(portal, rita_token):
    answers = form_answers(environment="prod")
    response = call_portal(portal, rendered_step_input(answers, rita_token))
    assert response.status_code == 201, response.content
    filed = shown_text(rendered_output(answers, step_output(response)))["Request filed"]
    assert response.json()["approvalRequired"] is True
    for reason in response.json()["approvalReasons"]:
        assert f"- {reason['message']}" in filed
    assert f"It needs {response.json()['approvalsNeeded']} platform approval(s)" in filed


def test_a_400_names_the_fields_to_fix_and_fails_the_task(portal, rita_token):
    answers = form_answers(owner="ghost-team", costCenter="!!bad")
    response = call_portal(portal, rendered_step_input(answers, rita_token))
    assert response.status_code == 400
    body = response.json()
    assert body["problems"] and all({"field", "message", "path"} <= set(p) for p in body["problems"])
    output = step_output(response)
    steps = later_steps(answers, output)
    assert list(steps) == ["explain", "stop"]  # the task ends failed, not as a green "completed"
    message = steps["explain"]["message"]
    assert message.startswith("Request not filed. The portal answered 400")
    for problem in body["problems"]:
        assert f"- {problem['field'] or problem['path']}: {problem['message']}" in message
    advice = message.splitlines()[-1]  # the problems above may name the platform team (an unknown team)
    assert "fix the fields named above" in advice and "platform team" not in advice
    assert not any(link.get("if") for link in rendered_output(answers, output)["links"])
    assert BucketRequest.objects.count() == 0


@pytest.mark.parametrize(
    "scopes, user_token, status",
    [
        (("read",), "rita", 403),  # the token lacks the submit scope
        (("submit",), "", 401),  # no user token sent
    ],
)
def test_a_401_or_403_sends_the_person_to_the_platform_team(
    teams, backstage_account, fake_backstage, rita, scopes, user_token, status
):
    answers = form_answers()
    token = fake_backstage.user_token("user:default/rita") if user_token else ""
    client = bearer_client(backstage_account, *scopes)
    response = call_portal(client, rendered_step_input(answers, token))
    assert response.status_code == status
    steps = later_steps(answers, step_output(response))
    assert list(steps) == ["explain", "stop"]
    message = steps["explain"]["message"]
    assert response.json()["detail"] in message
    assert "ask the platform team" in message and "fix the fields" not in message


def test_a_portal_that_cannot_be_reached_says_run_again():
    """The Backstage proxy answers 504 (text) when the portal is down; the action wraps text as message."""
    answers = form_answers()
    output = {
        "code": 504,
        "headers": {},
        "body": {"message": "Error occurred while trying to proxy: 127.0.0.1:8000/api/v1/s3-requests/"},
    }
    steps = later_steps(answers, output)
    assert list(steps) == ["explain", "stop"]
    message = steps["explain"]["message"]
    assert "The portal answered 504: Error occurred while trying to proxy" in message
    assert "could not be reached" in message and "Run the task again" in message
    assert "fix the fields" not in message


def test_a_dry_run_says_nothing_was_sent_and_does_not_fail():
    """The action skips the POST in a dry run and outputs nothing."""
    answers = form_answers()
    assert later_steps(answers, None) == {}
    output = rendered_output(answers, None)
    assert list(shown_text(output)) == ["Dry run: nothing was sent"]
    assert not any(link.get("if") for link in output["links"])
