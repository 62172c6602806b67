"""JSON nested deeper than the bound is a 400 on every JSON entry point, never a 500 (RecursionError)."""

import json

import pytest

from portal.json_input import MAX_JSON_DEPTH, JsonTooDeep, loads, nesting_depth
from tests.support.requests import prod_input, rita_input, token_client

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/s3-requests/"
BRACKETS = "[" * 100_000


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_depth_counts_arrays_and_objects_without_recursing():
    assert nesting_depth("x") == 0
    assert nesting_depth({"a": [1, {"b": []}]}) == 4
    assert nesting_depth(nested(100_000)) == MAX_JSON_DEPTH + 1  # stops counting past the bound


@pytest.mark.parametrize("text", [BRACKETS, json.dumps(nested(MAX_JSON_DEPTH + 1)), '{"a":' * 5000])
def test_loads_refuses_deep_documents_as_value_errors(text):
    with pytest.raises(JsonTooDeep):
        loads(text)


def test_loads_accepts_the_bound():
    assert nesting_depth(loads(json.dumps(nested(MAX_JSON_DEPTH)))) == MAX_JSON_DEPTH


@pytest.mark.parametrize("path", [REQUESTS, f"{REQUESTS}preview/"])
@pytest.mark.parametrize("text", [BRACKETS, json.dumps({**rita_input(), "tags": nested(MAX_JSON_DEPTH)})])
def test_the_requests_api_answers_400_to_deep_json(backstage, path, text):
    response = backstage.post(path, data=text, content_type="application/json")

    assert response.status_code == 400
    assert f"more than {MAX_JSON_DEPTH} levels" in json.dumps(response.json())


def test_the_decision_api_answers_400_to_deep_json(backstage, approver):
    request_id = backstage.post(REQUESTS, prod_input(), format="json").json()["id"]
    response = token_client(approver, "approve").post(
        f"{REQUESTS}{request_id}/approve/", data=BRACKETS, content_type="application/json"
    )

    assert response.status_code == 400


def test_the_sns_hook_answers_400_to_deep_json(hook):
    assert hook(BRACKETS.encode()).status_code == 400


def test_the_sns_hook_answers_400_to_a_signed_message_nested_too_deep(hook, authority):
    """Signed by the (test) AWS signer, so only the Message itself is at fault."""
    response = hook(authority.notification(BRACKETS))

    assert (response.status_code, response.json()["reason"]) == (400, "unreadable_message")
