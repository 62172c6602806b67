"""GoldenPath's contracts read as written: vocabulary normalised with warnings, every problem in one pass,
legacy names for existing buckets only, and exports that read back to the same contract.

GoldenPath's own files are verbatim copies under tests/contract/goldenpath/ (see SOURCE.md there).
"""

import copy

import pytest
import yaml

from requests_app.contract import (
    PlatformPolicy,
    RequestInput,
    build_contract,
    evaluate_request,
    has_errors,
    validate_contract,
)
from requests_app.contract.cli import check_file
from requests_app.contract.goldenpath import goldenpath_file, normalise, to_goldenpath
from requests_app.contract.loading import read_contract
from tests.contract.cases import FIXTURE, KNOWN_TEAMS, PUBLISHED, VALID_CASES, request_input

POLICY = PlatformPolicy()


def _paths(problems, severity=None) -> set[str]:
    return {p.path for p in problems if severity is None or p.severity.value == severity}


@pytest.mark.parametrize(
    "path, legacy_name, expected_warnings",
    [
        (
            PUBLISHED,
            "goldenpath-dev-platform-logs",
            {
                "spec.bucket_name",
                "spec.retention_policy",
                "spec.lifecycle.expire_days",
                "spec.lifecycle.transition_to_ia_days",
                "spec.tags.cost-center",
                "spec.tags.purpose",
                "spec.bucketName",
            },
        ),
        (
            FIXTURE,
            "goldenpath-dev-test-logs",
            {
                "spec.lifecycle.expireDays",
                "spec.lifecycle.transitionToIaDays",
                "spec.tags.purpose",
                "spec.bucketName",
            },
        ),
    ],
)
def test_goldenpath_files_validate_with_warnings_as_existing_buckets(path, legacy_name, expected_warnings):
    report = check_file(str(path), POLICY, ["platform-team"], existing=True)
    assert report.status == "ok", report.problems
    assert expected_warnings <= _paths(report.problems, "warning")
    contract = report.contract
    assert contract.spec.bucket_name == legacy_name
    assert contract.lifecycle.expiration_days == 90
    assert [(t.days, t.storage_class.value) for t in contract.lifecycle.transitions] == [(30, "standard-ia")]
    assert "costCenter" in contract.spec.tags and "purpose" not in contract.spec.tags
    clash = next(p for p in report.problems if p.path == "spec.tags.purpose")
    assert "purpose=logs" in clash.message  # the platform's value is kept, and said


@pytest.mark.parametrize("path", [PUBLISHED, FIXTURE])
def test_a_legacy_bucket_name_is_refused_for_anything_but_an_existing_bucket(path):
    report = check_file(str(path), POLICY, ["platform-team"])
    assert report.status == "invalid"
    assert _paths(report.problems, "error") == {"spec.bucketName"}


def test_each_normalisation_names_the_field_and_what_it_became():
    _, problems = normalise(yaml.safe_load(PUBLISHED.read_text()))
    messages = {p.path: p.message for p in problems}
    assert "expirationDays: 90" in messages["spec.lifecycle.expire_days"]
    assert "standard-ia after 30 days" in messages["spec.lifecycle.transition_to_ia_days"]
    assert "spec.tags.costCenter" in messages["spec.tags.cost-center"]
    assert all(not p.is_error for p in problems)


def goldenpath_document(**spec_changes) -> dict:
    """A valid dev logs contract in GoldenPath's snake_case vocabulary, with its derived name."""
    document = {
        "apiVersion": "goldenpath.io/v1",
        "kind": "S3BucketRequest",
        "id": "S3-0042",
        "environment": "dev",
        "owner": "app-team",
        "application": "payments-api",
        "requester": "daniel-deans",
        "spec": {
            "bucket_name": "goldenpath-dev-payments-api-logs",
            "purpose": {"type": "logs", "description": "Payment service request logs"},
            "storage_class": "standard",
            "encryption": {"type": "sse-s3"},
            "versioning": False,
            "public_access": "blocked",
            "retention_policy": {"type": "time-bounded", "rationale": "Kept 90 days for troubleshooting"},
            "lifecycle": {"expire_days": 90, "transition_to_ia_days": 30},
            "access_logging": {"enabled": False},
            "cost_alert_gb": 100,
            "cors_enabled": False,
            "tags": {"cost-center": "payments-123"},
        },
    }
    document["spec"].update(spec_changes)
    return document


def staging(**spec_changes) -> dict:
    document = goldenpath_document(bucket_name="goldenpath-staging-payments-api-logs", **spec_changes)
    document["environment"] = "staging"
    return document


def _verdict(document: dict):
    contract, problems = read_contract(document)
    if contract is not None:
        problems += validate_contract(contract, POLICY, KNOWN_TEAMS)
    return problems


GUARDED = {
    "encryption": {"type": "sse-kms", "kms_key_alias": "alias/goldenpath-staging-s3"},
    "access_logging": {"enabled": True, "target_bucket": "goldenpath-staging-logs"},
}

# (document, field named, rule code) — each breaks one guardrail, written in GoldenPath's vocabulary.
CORPUS_INVALID = [
    (staging(access_logging=GUARDED["access_logging"]), "spec.encryption.type", "encryption.kms-required"),
    (staging(encryption=GUARDED["encryption"]), "spec.accessLogging.enabled", "access-logging.required"),
    (
        staging(encryption={"type": "sse-kms"}, access_logging=GUARDED["access_logging"]),
        "spec.encryption.kmsKeyAlias",
        "encryption.alias-missing",
    ),
    (
        staging(encryption=GUARDED["encryption"], access_logging={"enabled": True}),
        "spec.accessLogging.targetBucket",
        "access-logging.target-missing",
    ),
    (goldenpath_document(lifecycle=None), "spec.lifecycle.expirationDays", "retention.expiration-required"),
    (
        goldenpath_document(bucket_name="goldenpath-dev-payments-logs"),
        "spec.bucketName",
        "bucket-name.not-derived",
    ),
    (goldenpath_document(cost_alert_gb=0), "spec.costAlertGb", "cost.alert-range"),
    (goldenpath_document(cost_alert_gb=10001), "spec.costAlertGb", "cost.alert-range"),
    (goldenpath_document(tags={"team": "payments"}), "spec.tags.costCenter", "cost.center-required"),
    (
        goldenpath_document(purpose={"type": "logs", "description": "logs"}),
        "spec.purpose.description",
        "schema.string_too_short",
    ),
    (
        goldenpath_document(retention_policy={"type": "time-bounded", "rationale": "90 days  "}),
        "spec.retentionPolicy.rationale",
        "retention.rationale-required",
    ),
    (
        goldenpath_document(retention_policy={"type": "time-bounded"}),
        "spec.retentionPolicy.rationale",
        "retention.rationale-required",
    ),
    (
        goldenpath_document(lifecycle={"expire_days": 90, "transition_to_ia_days": 10}),
        "spec.lifecycle.transition_to_ia_days",
        "goldenpath.transition-range",
    ),
    (
        goldenpath_document(lifecycle={"expire_days": 400, "transition_to_glacier_days": 30}),
        "spec.lifecycle.transition_to_glacier_days",
        "goldenpath.transition-range",
    ),
    (
        goldenpath_document(lifecycle={"expire_days": 4000}),
        "spec.lifecycle.expire_days",
        "goldenpath.expire-range",
    ),
    (
        goldenpath_document(lifecycle={"expire_days": 20, "transition_to_ia_days": 30}),
        "spec.lifecycle.expirationDays",
        "lifecycle.expiration-before-transition",
    ),
    (
        goldenpath_document(
            retention_policy={"type": "indefinite", "rationale": "Kept for the account life"}
        ),
        "spec.lifecycle.expirationDays",
        "retention.indefinite-expires",
    ),
    (
        goldenpath_document(storage_class="glacier"),
        "spec.lifecycle.transitions",
        "storage-class.no-transition",
    ),
    (goldenpath_document(cors_enabled=True), "spec.corsAllowedOrigins", "cors.origins-required"),
    (
        goldenpath_document(lifecycle={"expire_days": 90, "expireDays": 90}),
        "spec.lifecycle.expireDays",
        "goldenpath.both-spellings",
    ),
    (goldenpath_document(storageClass="standard"), "spec.storage_class", "goldenpath.both-spellings"),
    (goldenpath_document(storage_clas="standard"), "spec.storage_clas", "schema.extra_forbidden"),
    (
        goldenpath_document(encryption={"type": "sse-s3", "kms_alias": "alias/x"}),
        "spec.encryption.kms_alias",
        "schema.extra_forbidden",
    ),
]


@pytest.mark.parametrize(
    "document, field, code", CORPUS_INVALID, ids=[f"{field}:{code}" for _, field, code in CORPUS_INVALID]
)
def test_corpus_breaking_a_guardrail_is_refused_with_the_field_named(document, field, code):
    problems = _verdict(document)
    assert has_errors(problems)
    assert (field, code) in {(p.path, p.code) for p in problems if p.is_error}, problems


CORPUS_VALID = [
    goldenpath_document(),
    staging(**GUARDED),
    goldenpath_document(
        lifecycle={"expire_days": 400, "transition_to_ia_days": 30, "transition_to_glacier_days": 120}
    ),
    goldenpath_document(public_access="exception-approved"),
    goldenpath_document(tags={"costCenter": "payments-123", "purpose": "logs", "team": "payments"}),
]


@pytest.mark.parametrize("document", CORPUS_VALID)
def test_corpus_of_valid_goldenpath_contracts_passes(document):
    assert not has_errors(_verdict(document))


def test_public_access_exception_is_a_warning_naming_the_field():
    problems = _verdict(goldenpath_document(public_access="exception-approved"))
    assert ("spec.publicAccess", "warning") in {(p.path, p.severity.value) for p in problems}


def test_an_unknown_field_is_reported_with_every_other_problem_of_the_document():
    document = staging(encryption={"type": "sse-s3"}, cost_alert_gb=20000, storage_clas="standard")
    document["spec"]["lifecycle"]["expireDayz"] = 90
    document["spec"]["purpose"]["colour"] = "blue"
    problems = _verdict(document)
    errors = {(p.path, p.code) for p in problems if p.is_error}
    assert {
        ("spec.storage_clas", "schema.extra_forbidden"),
        ("spec.lifecycle.expireDayz", "schema.extra_forbidden"),
        ("spec.purpose.colour", "schema.extra_forbidden"),
        ("spec.encryption.type", "encryption.kms-required"),
        ("spec.accessLogging.enabled", "access-logging.required"),
        ("spec.costAlertGb", "cost.alert-range"),
    } <= errors
    typo = next(p for p in problems if p.path == "spec.storage_clas")
    assert "storageClass" in typo.message or "storage_class" in typo.message


def test_the_form_and_api_report_unknown_fields_with_the_guardrails_of_the_rest():
    raw = request_input(environment="staging", corsEnabled=True, storageClas="standard")
    evaluation = evaluate_request(raw, POLICY, known_teams=KNOWN_TEAMS)
    errors = {(p.path, p.code) for p in evaluation.problems if p.is_error}
    assert ("storageClas", "schema.extra_forbidden") in errors
    assert ("spec.corsAllowedOrigins", "cors.origins-required") in errors
    assert not evaluation.is_valid


def test_our_vocabulary_is_what_new_contracts_are_written_in():
    contract = build_contract(RequestInput.model_validate(request_input()), "S3-0001", POLICY).contract
    document = contract.model_dump(by_alias=True, exclude_none=True)
    normalised, problems = normalise(document)
    assert problems == [] and normalised == document


@pytest.mark.parametrize(
    "raw",
    VALID_CASES
    + [
        request_input(
            purposeType="backups",
            storageClass="glacier",
            transitionDays=90,
            retentionType="time-bounded",
            expirationDays=5000,
            retentionRationale="Backups kept five thousand days",
        ),
    ],
)
def test_export_in_goldenpath_vocabulary_reads_back_to_the_same_contract(raw, tmp_path):
    contract = build_contract(RequestInput.model_validate(raw), "S3-0007", POLICY).contract
    relative, text = goldenpath_file(contract)
    assert relative == f"{contract.environment.value}/S3-0007.yaml"
    target = tmp_path / relative
    target.parent.mkdir(parents=True)
    target.write_text(text)
    report = check_file(str(target), POLICY, KNOWN_TEAMS)
    assert report.status == "ok", report.problems
    assert report.contract == contract
    assert [p for p in report.problems if p.is_error] == []


def test_export_uses_goldenpath_lifecycle_keys_where_it_can_say_them():
    raw = request_input(
        purposeType="logs",
        storageClass="standard-ia",
        transitionDays=30,
        retentionType="time-bounded",
        expirationDays=90,
    )
    contract = build_contract(RequestInput.model_validate(raw), "S3-0007", POLICY).contract
    lifecycle = to_goldenpath(contract)["spec"]["lifecycle"]
    assert lifecycle["expireDays"] == 90 and lifecycle["transitionToIaDays"] == 30
    assert "transitions" not in lifecycle and "expirationDays" not in lifecycle


def test_normalising_does_not_change_the_caller_s_document():
    document = goldenpath_document()
    before = copy.deepcopy(document)
    normalise(document)
    assert document == before
