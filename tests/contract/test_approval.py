"""The approval matrix of seed 000 §3: one test case per row, plus combined reasons and the per-env count."""

import pytest

from requests_app.contract import PlatformPolicy, RequestInput, approval_decision, build_contract
from tests.contract.cases import request_input

DEFAULT_POLICY = PlatformPolicy()


def _decide(policy=DEFAULT_POLICY, **overrides):
    request = RequestInput.model_validate(request_input(**overrides))
    return approval_decision(build_contract(request, "S3-0001", policy).contract, policy)


@pytest.mark.parametrize(
    ("row", "overrides", "required", "reasons"),
    [
        ("dev + blocked access", {"environment": "dev"}, False, []),
        ("test + blocked access", {"environment": "test"}, False, []),
        ("staging environment", {"environment": "staging"}, True, ["environment"]),
        ("prod environment", {"environment": "prod"}, True, ["environment"]),
        ("publicAccess: exception-approved", {"publicAccess": "exception-approved"}, True, ["public-access"]),
        ("purpose: static-assets", {"purposeType": "static-assets"}, True, ["static-assets"]),
    ],
)
def test_seed_matrix_rows(row, overrides, required, reasons):
    decision = _decide(**overrides)

    assert decision.required is required
    assert [reason.code for reason in decision.reasons] == reasons
    assert decision.approvals_needed == (1 if required else 0)


def test_every_reason_is_given():
    decision = _decide(environment="prod", publicAccess="exception-approved", purposeType="static-assets")

    assert [reason.code for reason in decision.reasons] == ["environment", "public-access", "static-assets"]


@pytest.mark.parametrize(("environment", "expected"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_approvals_needed_come_from_the_policy(environment, expected):
    policy = PlatformPolicy(approvals_required={"dev": 1, "test": 1, "staging": 2, "prod": 3})

    decision = _decide(policy, environment=environment, publicAccess="exception-approved")

    assert decision.approvals_needed == expected


def test_decision_is_json_serialisable():
    import json

    data = _decide(environment="prod").to_dict()

    assert json.loads(json.dumps(data))["reasons"][0]["code"] == "environment"
