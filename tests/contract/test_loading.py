"""Loading contract files: the seed's example unchanged, YAML errors with line/column, shape errors as problems."""

import datetime as dt

import pytest
import yaml

from requests_app.contract import (
    ContractParseError,
    ContractSchemaError,
    PlatformPolicy,
    RequestInput,
    build_contract,
    contract_to_yaml,
    load_contract_yaml,
    parse_request_input,
    validate_contract,
)
from tests.contract.cases import KNOWN_TEAMS, SEED_CONTRACT, VALID_CASES

WORKFLOW_CONTRACT = SEED_CONTRACT.replace(
    "requester: daniel-deans\n",
    """requester: daniel-deans
metadata:
  title: Payment receipts bucket
  description: Created by the GoldenPath workflow
  created: 2026-01-17
  labels:
    source: backstage
""",
).replace(
    "    costCenter: payments-123\n",
    """    costCenter: payments-123
    dataClassification: confidential
    team-channel: payments-alerts
""",
)


@pytest.mark.parametrize(
    "text", [SEED_CONTRACT, WORKFLOW_CONTRACT], ids=["seed-000", "workflow-with-metadata"]
)
def test_goldenpath_contracts_load_unchanged_and_validate(text):
    contract = load_contract_yaml(text)

    assert yaml.safe_load(contract_to_yaml(contract)) == yaml.safe_load(text)
    errors = [p for p in validate_contract(contract, PlatformPolicy(), KNOWN_TEAMS) if p.is_error]
    assert errors == []


def test_workflow_metadata_keeps_its_date_and_extra_keys():
    contract = load_contract_yaml(WORKFLOW_CONTRACT)

    assert contract.metadata.created == dt.date(2026, 1, 17)
    assert contract.metadata.model_extra == {"labels": {"source": "backstage"}}
    assert contract.spec.tags["team-channel"] == "payments-alerts"


@pytest.mark.parametrize("case", VALID_CASES)
def test_built_contracts_round_trip_through_yaml(case):
    contract = build_contract(RequestInput.model_validate(case), "S3-0042", PlatformPolicy()).contract

    assert load_contract_yaml(contract_to_yaml(contract)) == contract


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("apiVersion: goldenpath.io/v1\nkind: [unclosed\n", 3, 1),
        ("id: S3-0001\nspec:\n  bucketName: a\n   bad: indent\n", 4, 7),
        ("id: S3-0001\nowner: a\nowner: b\n", 3, 1),
        ("- just\n- a list\n", 1, 1),
    ],
    ids=["unclosed-flow", "bad-indent", "duplicate-key", "not-a-mapping"],
)
def test_unparseable_yaml_reports_line_and_column(text, line, column):
    with pytest.raises(ContractParseError) as caught:
        load_contract_yaml(text)

    assert (caught.value.line, caught.value.column) == (line, column)


def test_shape_errors_become_problems_with_paths_and_fixes():
    text = (
        SEED_CONTRACT.replace("id: S3-0001", "id: S3-1")
        .replace("type: sse-s3", "type: aes")
        .replace("costAlertGb: 100", "costAlertGb: lots\n  colour: blue")
    )

    with pytest.raises(ContractSchemaError) as caught:
        load_contract_yaml(text)

    by_path = {problem.path: problem for problem in caught.value.problems}
    assert set(by_path) == {"id", "spec.encryption.type", "spec.costAlertGb", "spec.colour"}
    assert (
        "sse-s3" in by_path["spec.encryption.type"].message
        and "sse-kms" in by_path["spec.encryption.type"].message
    )
    assert "remove" in by_path["spec.colour"].message


@pytest.mark.parametrize("request_id", ["S3-0001", "S3-9999", "S3-10000"])
def test_request_ids_continue_past_four_digits(request_id):
    assert load_contract_yaml(SEED_CONTRACT.replace("S3-0001", request_id)).id == request_id


@pytest.mark.parametrize("request_id", ["S3-001", "s3-0001", "S3-00a1", "S4-0001"])
def test_malformed_request_ids_are_refused(request_id):
    with pytest.raises(ContractSchemaError):
        load_contract_yaml(SEED_CONTRACT.replace("S3-0001", request_id))


def refused(data) -> list:
    with pytest.raises(ContractSchemaError) as refusal:
        parse_request_input(data)
    return refusal.value.problems


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"application": "Payments"},
            "application",
            "'Payments' is not valid here. Application name: 3-31 lowercase",
        ),
        ({"costAlertGb": 0}, "costAlertGb", "0 is too small: use 1 or more."),
        ({"costAlertGb": 10001}, "costAlertGb", "10001 is too large: the most allowed is 10000."),
        (
            {"environment": "qa"},
            "environment",
            "Not one of the choices: 'qa'; use one of: 'dev', 'test', 'staging' or 'prod'.",
        ),
        ({"costCenter": None}, "costCenter", "Not text: None; write text."),
        (
            {"costAlertGb": "abc"},
            "costAlertGb",
            "Not a number: 'abc'; write a whole number between 1 and 10000.",
        ),
        ({"application": "a" * 40}, "application", "Too long: 40 characters; the most allowed is 31."),
        ({"tags": "a=b"}, "tags", "Not a set of names and values: 'a=b'; write an object of names and text"),
        ({"favouriteColour": "blue"}, "favouriteColour", "Unknown field"),
        (
            {"purposeDescription": "short"},
            "purposeDescription",
            "Too short: 5 characters; write at least 10 characters.",
        ),
    ],
)
def test_bad_input_reports_like_a_guardrail(change, field, words):
    from tests.contract.cases import request_input

    problems = refused(request_input(**change))

    assert [(p.field, p.severity.value) for p in problems] == [(field, "error")]
    assert words in problems[0].message


def test_missing_input_fields_are_all_reported_at_once():
    problems = refused({"application": "payments-api"})

    assert {p.field for p in problems} == {
        "purposeType",
        "purposeDescription",
        "owner",
        "requester",
        "environment",
        "costCenter",
        "costAlertGb",
        "retentionType",
        "retentionRationale",
    }
    assert all("required" in p.message for p in problems)
