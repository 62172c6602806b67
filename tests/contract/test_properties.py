"""Properties over generated inputs: valid inputs build valid contracts with valid S3 names, whatever they are."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app.contract import (
    PlatformPolicy,
    RequestInput,
    build_contract,
    contract_to_yaml,
    evaluate_request,
    has_errors,
    load_contract_yaml,
    terraform_variables,
    validate_contract,
)
from tests.contract.cases import KNOWN_TEAMS

pytestmark = pytest.mark.db_independent

# An independent statement of S3's rules for names without dots (not the code under test).
S3_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
POLICY = PlatformPolicy()

applications = st.from_regex(r"\A[a-z][a-z0-9]{0,9}(-[a-z0-9]{1,8}){0,2}[a-z0-9]\Z").filter(
    lambda name: 3 <= len(name) <= 31
)
origins = st.from_regex(r"\Ahttps://[a-z][a-z0-9]{0,10}\.example\.com(:[1-9][0-9]{2,3})?\Z")


@st.composite
def valid_inputs(draw) -> dict:
    """Inputs a careful requester could send: lifecycle days fit the storage class and the retention."""
    storage = draw(st.sampled_from([None, "standard", "intelligent-tiering", "standard-ia", "glacier"]))
    retention = draw(st.sampled_from(["indefinite", "time-bounded", "compliance-driven"]))
    transition = None
    if storage not in (None, "standard"):
        minimum = 30 if storage == "standard-ia" else 0
        transition = draw(st.none() | st.integers(minimum, 400))
    cors = draw(st.booleans())
    data = {
        "application": draw(applications),
        "purposeType": draw(st.sampled_from(["logs", "uploads", "backups", "data-lake", "static-assets"])),
        "purposeDescription": "Generated request for property tests",
        "owner": draw(st.sampled_from(KNOWN_TEAMS)),
        "requester": "hypothesis",
        "environment": draw(st.sampled_from(["dev", "test", "staging", "prod"])),
        "costCenter": "cc-1",
        "costAlertGb": draw(st.integers(1, 10_000)),
        "storageClass": storage,
        "versioning": draw(st.sampled_from([None, True, False])),
        "corsEnabled": cors,
        "corsAllowedOrigins": draw(st.lists(origins, min_size=1, max_size=3)) if cors else [],
        "retentionType": retention,
        "retentionRationale": "Generated rationale for property tests",
        "publicAccess": draw(st.sampled_from(["blocked", "exception-approved"])),
        "transitionDays": transition,
    }
    if retention != "indefinite":
        # Expire after the transition plus the longest minimum storage duration (180 days).
        data["expirationDays"] = (transition or 90) + draw(st.integers(181, 3000))
    return data


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(valid_inputs())
def test_valid_inputs_build_contracts_that_validate(data):
    built = build_contract(RequestInput.model_validate(data), "S3-0001", POLICY)
    name = built.contract.spec.bucket_name
    problems = built.problems + validate_contract(built.contract, POLICY, KNOWN_TEAMS)

    if len(name) > 63:
        assert {p.code for p in problems if p.is_error} == {"bucket-name.too-long"}
    else:
        assert not has_errors(problems), problems
        assert S3_NAME.match(name) and not name.startswith("xn--") and "--" not in name
        assert load_contract_yaml(contract_to_yaml(built.contract)) == built.contract
        assert terraform_variables(built.contract, POLICY)["bucket_name"] == name


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "application",
                "environment",
                "purposeType",
                "costAlertGb",
                "owner",
                "transitionDays",
                "corsAllowedOrigins",
                "tags",
                "junk",
            ]
        ),
        st.one_of(
            st.none(),
            st.integers(-5, 20_000),
            st.text(max_size=70),
            st.lists(st.text(max_size=20), max_size=3),
        ),
        max_size=9,
    )
)
def test_any_raw_input_gets_problems_not_exceptions(raw):
    evaluation = evaluate_request(raw, POLICY, known_teams=KNOWN_TEAMS)

    assert not evaluation.is_valid
    assert evaluation.problems and all(p.path and p.message for p in evaluation.problems)
