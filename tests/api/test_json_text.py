"""JSON's ``\\u`` escapes can spell a lone surrogate, which no UTF-8 text holds: every JSON entry point refuses
one with a 400 (I-JSON, RFC 7493), before it reaches a hash, the database or a response (a 500 before)."""

import json

import pytest

from portal.json_input import JsonNotUnicode, loads
from requests_app.models import BucketRequest
from tests.support.requests import rita_input

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/s3-requests/"


def with_escape(document: dict, old: str, escape: str) -> bytes:
    """``document`` as JSON text with the string ``old`` replaced by the raw escape (json.dumps would pair it)."""
    text = json.dumps(document)
    assert f'"{old}"' in text
    return text.replace(f'"{old}"', f'"{escape}"', 1).encode()


@pytest.mark.parametrize(
    "text", ['"\\ud800"', '{"a": "x\\udfff"}', '{"\\udc00": 1}', '[[["\\ud83d"]]]', '"\\ude00\\ud83d"']
)
def test_loads_refuses_a_lone_surrogate_anywhere(text):
    with pytest.raises(JsonNotUnicode):
        loads(text)


def test_loads_keeps_a_surrogate_pair_and_other_text():
    assert loads('{"smile": "\\ud83d\\ude00", "name": "Zoë"}') == {"smile": "😀", "name": "Zoë"}


@pytest.mark.parametrize("path", [REQUESTS, f"{REQUESTS}preview/"])
@pytest.mark.parametrize(
    ("field", "value"), [("application", "payments-api"), ("purposeDescription", "For the receipts")]
)
def test_the_requests_api_answers_400_to_a_lone_surrogate(backstage, path, field, value):
    body = with_escape(rita_input(**{field: value}), value, "\\ud800")

    response = backstage.generic("POST", path, body, content_type="application/json")

    assert response.status_code == 400
    assert "unpaired surrogate" in json.dumps(response.json())
    assert not BucketRequest.objects.exists()


def test_a_lone_surrogate_in_a_tag_key_is_a_400(backstage):
    body = with_escape(rita_input(tags={"team-key": "v"}), "team-key", "\\udc00")

    assert backstage.generic("POST", REQUESTS, body, content_type="application/json").status_code == 400
    assert not BucketRequest.objects.exists()


def test_the_sns_hook_answers_400_to_a_lone_surrogate_anyone_can_post(hook, authority):
    """No signature is needed to reach the check: the canonical text to verify could not be encoded."""
    envelope = authority.notification("hello")
    response = hook(with_escape(envelope, "hello", "\\ud800"))

    assert (response.status_code, response.json()["reason"]) == (400, "malformed_json")
