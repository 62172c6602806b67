"""The expectation comes from the Terraform variables; the module's own fixed values are held against
terraform/modules/s3-bucket and the stack, so a change on either side fails here."""

import re

import pytest

from compliance import expected
from compliance.comparison import differences
from compliance.readback import has_tls_only_statement
from requests_app.contract import evaluate_request, terraform_variables
from requests_app.platform_policy import current_policy
from tests.contract.cases import KNOWN_TEAMS, VALID_CASES, request_input
from tests.support.common import PROJECT_ROOT

MODULE = (PROJECT_ROOT / "terraform" / "modules" / "s3-bucket" / "main.tf").read_text()
STACK = (PROJECT_ROOT / "terraform" / "stacks" / "s3-request" / "main.tf").read_text()


def contract_for(raw):
    evaluation = evaluate_request(raw, current_policy(), request_id="S3-0042", known_teams=list(KNOWN_TEAMS))
    assert evaluation.is_valid, evaluation.problems
    return evaluation.built.contract


def _hcl_list(text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', text)


def test_the_modules_fixed_values_are_the_expectations():
    assert f'object_ownership = "{expected.OBJECT_OWNERSHIP}"' in MODULE
    assert re.search(rf'id\s+=\s+"{expected.ABORT_MULTIPART_RULE_ID}"', MODULE)
    assert re.search(rf"days_after_initiation = {expected.ABORT_MULTIPART_DAYS}\b", MODULE)
    assert (
        re.search(r"for_each = local.has_retention_actions \? \[\"(\w+)\"\]", MODULE).group(1)
        == expected.RETENTION_RULE_ID
    )
    assert (
        tuple(_hcl_list(re.search(r"allowed_methods = \[(.*?)\]", MODULE).group(1))) == expected.CORS_METHODS
    )
    assert (
        tuple(_hcl_list(re.search(r"allowed_headers = \[(.*?)\]", MODULE).group(1))) == expected.CORS_HEADERS
    )
    assert (
        tuple(_hcl_list(re.search(r"expose_headers  = \[(.*?)\]", MODULE).group(1)))
        == expected.CORS_EXPOSE_HEADERS
    )
    assert f"max_age_seconds = {expected.CORS_MAX_AGE_SECONDS}" in MODULE
    assert expected.cost_alarm_name("${var.bucket_name}") in MODULE
    assert expected.app_policy_name("${var.bucket_name}") in STACK
    assert 'Sid       = "DenyInsecureTransport"' in MODULE and '"aws:SecureTransport" = "false"' in MODULE


@pytest.mark.parametrize("raw", VALID_CASES, ids=lambda raw: f"{raw['environment']}-{raw['purposeType']}")
def test_every_field_comes_from_the_terraform_variables(raw):
    contract = contract_for(raw)
    variables = terraform_variables(contract, current_policy())
    want = expected.expected_configuration(contract, current_policy())
    assert want["encryption.algorithm"] == variables["sse_algorithm"]
    assert want["encryption.kmsKey"] == variables["kms_key_alias"]
    assert want["tags"] == variables["tags"]
    assert want["logging.targetBucket"] == variables["access_log_bucket"]
    assert want["costAlarm.thresholdBytes"] == raw["costAlertGb"] * 1024**3
    assert want["cors"] == ([expected.cors_rule(raw["corsAllowedOrigins"])] if raw.get("corsEnabled") else [])
    assert want["publicAccessBlock.blockPublicAcls"] is (raw.get("publicAccess", "blocked") == "blocked")


def test_the_expectation_of_a_dev_and_a_prod_bucket():
    dev = expected.expected_configuration(contract_for(request_input()), current_policy())
    assert (dev["encryption.algorithm"], dev["encryption.kmsKey"], dev["encryption.bucketKey"]) == (
        "AES256",
        None,
        False,
    )
    assert (dev["logging.targetBucket"], dev["logging.targetPrefix"]) == (None, None)
    prod = expected.expected_configuration(contract_for(request_input(environment="prod")), current_policy())
    assert (prod["encryption.algorithm"], prod["encryption.kmsKey"], prod["encryption.bucketKey"]) == (
        "aws:kms",
        "alias/goldenpath-prod-s3",
        True,
    )
    assert prod["logging.targetBucket"] == "goldenpath-prod-logs"
    assert prod["iamPolicy.document"]["Statement"][-1]["Sid"] == "KmsThroughS3ForThisBucket"


BUCKET = "goldenpath-dev-app-uploads"
ARN = f"arn:aws:s3:::{BUCKET}"
TLS = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [ARN, f"{ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


@pytest.mark.parametrize(
    "statement, holds",
    [
        (TLS, True),
        ({**TLS, "Principal": {"AWS": "*"}}, True),
        ({**TLS, "Condition": {"Bool": {"aws:SecureTransport": False}}}, True),
        ({**TLS, "Effect": "Allow"}, False),
        ({**TLS, "Resource": [ARN]}, False),  # objects are reachable over HTTP
        ({**TLS, "Action": "s3:GetObject"}, False),
        ({**TLS, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}, False),
        ({**TLS, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
        ({**TLS, "Resource": ["arn:aws:s3:::other", "arn:aws:s3:::other/*"]}, False),
    ],
)
def test_tls_only_statement(statement, holds):
    assert has_tls_only_statement({"Statement": [statement]}, BUCKET) is holds


def test_tags_are_compared_key_by_key():
    found = differences({"tags": {"owner": "a", "env": "dev"}}, {"tags": {"owner": "b", "extra": "x"}})
    assert [(d.field, d.expected, d.actual) for d in found] == [
        ("tags.env", "dev", None),
        ("tags.extra", None, "x"),
        ("tags.owner", "a", "b"),
    ]


def test_a_part_that_was_not_read_because_its_parent_is_absent_is_not_reported_twice():
    want = {
        "costAlarm.exists": True,
        "costAlarm.thresholdBytes": 5,
        "costAlarm.metrics": ["b/StandardStorage"],
    }
    assert [d.field for d in differences(want, {"costAlarm.exists": False})] == ["costAlarm.exists"]
