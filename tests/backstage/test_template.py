"""The Software Template: valid for Backstage, generated from RequestInput, never drifting from it."""

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from jsonschema import Draft7Validator

from core.backstage_identity import USER_TOKEN_HEADER
from requests_app.backstage import (
    FILLED_FROM_TASK,
    OWNER_FIELD,
    STEP_ID,
    SUBMIT_PATH,
    template_document,
    template_yaml,
)
from requests_app.contract import RequestInput, json_schema
from tests.contract.cases import request_input
from tests.support.backstage import TEMPLATE_FILE, backstage_field_errors, needs_node, schema_errors

INPUT_SCHEMA = json_schema(RequestInput)


def form_properties(template: dict) -> dict:
    return {
        name: prop for page in template["spec"]["parameters"] for name, prop in page["properties"].items()
    }


def test_committed_template_is_what_the_model_generates(committed_template):
    assert TEMPLATE_FILE.read_text(encoding="utf-8") == template_yaml(), (
        "backstage/templates/s3-request.yaml drifted from RequestInput: "
        "run `python manage.py generate_backstage_template` and commit it"
    )
    assert committed_template == template_document()


def test_check_command_fails_on_a_stale_template_and_passes_on_a_fresh_one(tmp_path):
    stale = tmp_path / "s3-request.yaml"
    stale.write_text(template_yaml().replace("Cost center", "Cost centre"), encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("generate_backstage_template", "--check", "--out", str(stale))
    call_command("generate_backstage_template", "--out", str(stale))
    call_command("generate_backstage_template", "--check", "--out", str(stale))
    assert stale.read_text(encoding="utf-8") == template_yaml()


@needs_node
def test_template_is_valid_against_backstages_template_schema(backstage_validator, committed_template):
    assert schema_errors(backstage_validator("TemplateV1beta3"), committed_template) == []


@needs_node
def test_backstages_schema_would_catch_a_broken_template(backstage_validator, committed_template):
    broken = {**committed_template, "spec": {**committed_template["spec"], "steps": [{"id": "no-action"}]}}
    assert any("action" in error for error in schema_errors(backstage_validator("TemplateV1beta3"), broken))


@needs_node
def test_template_names_pass_backstages_field_rules(committed_template):
    assert backstage_field_errors([committed_template]) == [None]


def test_every_input_field_is_asked_or_filled_from_the_task_exactly_once(committed_template):
    asked = [name for page in committed_template["spec"]["parameters"] for name in page["properties"]]
    assert len(asked) == len(set(asked))
    assert set(asked) | set(FILLED_FROM_TASK) == set(INPUT_SCHEMA["properties"])
    assert not set(asked) & set(FILLED_FROM_TASK)
    body = committed_template["spec"]["steps"][0]["input"]["body"]
    assert list(body) == list(INPUT_SCHEMA["properties"])


def test_fields_keep_the_models_titles_help_enums_patterns_limits_and_defaults(committed_template):
    form = form_properties(committed_template)
    for name, field in form.items():
        model = INPUT_SCHEMA["properties"][name]
        own = next((option for option in model.get("anyOf", []) if option.get("type") != "null"), model)
        assert field["title"] == model["title"], name
        assert field["description"].startswith(model["description"]), name
        if name == OWNER_FIELD:
            continue
        for key in ("type", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength", "maxItems"):
            assert field.get(key) == own.get(key, model.get(key)), (name, key)
        assert field.get("default") == model.get("default"), name
        assert field.get("examples") == model.get("examples"), name


def test_required_fields_are_required_on_their_page(committed_template):
    required = {name for page in committed_template["spec"]["parameters"] for name in page["required"]}
    assert required == set(INPUT_SCHEMA["required"]) - set(FILLED_FROM_TASK)


def test_owner_is_a_group_picker():
    owner = form_properties(template_document())[OWNER_FIELD]
    assert owner["ui:field"] == "OwnerPicker"
    assert owner["ui:options"] == {"catalogFilter": [{"kind": "Group"}]}


def test_each_form_page_is_a_json_schema_that_accepts_a_valid_request_and_rejects_a_bad_one(
    committed_template,
):
    answers = {name: value for name, value in request_input().items() if name not in FILLED_FROM_TASK}
    answers[OWNER_FIELD] = "group:default/app-team"
    for page in committed_template["spec"]["parameters"]:
        Draft7Validator.check_schema(page)
        validator = Draft7Validator(page)
        page_answers = {name: answers[name] for name in page["properties"] if name in answers}
        assert list(validator.iter_errors(page_answers)) == [], page["title"]
    bucket_page = Draft7Validator(committed_template["spec"]["parameters"][0])
    bad = {**answers, "application": "Payments--API", "environment": "qa"}
    assert {error.path[0] for error in bucket_page.iter_errors(bad)} == {"application", "environment"}


def test_step_posts_json_through_the_proxy_with_the_task_as_idempotency_key_and_the_users_token(
    committed_template,
):
    step, *after = committed_template["spec"]["steps"]
    assert step["id"] == STEP_ID and step["action"] == "http:backstage:request"
    step_input = step["input"]
    assert step_input["method"] == "POST" and step_input["path"] == SUBMIT_PATH
    assert step_input["headers"]["content-type"] == "application/json"
    assert "context.task.id" in step_input["headers"]["idempotency-key"]
    assert step_input["headers"][USER_TOKEN_HEADER.lower()] == "${{ secrets.backstageToken }}"
    assert step_input["continueOnBadResponse"] is True
    # After a refusal the task explains and then fails; both steps run only when the portal answered.
    assert [(later["id"], later["action"]) for later in after] == [
        ("explain", "debug:log"),
        ("stop", "catalog:fetch"),
    ]
    assert all("code is defined" in later["if"] for later in after)


def test_example_app_config_proxies_the_templates_path_with_a_token_and_the_idempotency_header(
    committed_template,
):
    config = yaml.safe_load(
        (TEMPLATE_FILE.parent.parent / "app-config.example.yaml").read_text(encoding="utf-8")
    )
    step_input = committed_template["spec"]["steps"][0]["input"]
    endpoint_name, _, _ = step_input["path"].removeprefix("/proxy").partition("/api/")
    endpoint = config["proxy"]["endpoints"][endpoint_name]
    assert endpoint["headers"]["Authorization"] == "Bearer ${BUCKETWISE_TOKEN}"
    allowed = {header.lower() for header in endpoint["allowedHeaders"]}
    assert {name.lower() for name in step_input["headers"]} <= allowed
    assert step_input["method"] in endpoint["allowedMethods"]
