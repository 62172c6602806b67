"""The committed JSON Schemas equal what the models generate, and carry what Backstage needs."""

from pathlib import Path

import jsonschema

from requests_app.contract import (
    Contract,
    RequestInput,
    generated_schema_files,
    json_schema,
    stale_schema_files,
)
from requests_app.contract.schemas import write_schema_files
from tests.contract.cases import VALID_CASES

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "requests"


def test_committed_schema_files_match_the_models():
    assert stale_schema_files(SCHEMA_DIR) == [], "run: python manage.py s3_contract schemas --write"


def test_a_changed_file_is_reported_stale(tmp_path):
    write_schema_files(tmp_path)
    (tmp_path / "s3.schema.yaml").write_text("title: edited by hand\n")

    assert stale_schema_files(tmp_path) == ["s3.schema.yaml"]


def test_every_input_field_has_title_description_and_examples():
    properties = json_schema(RequestInput)["properties"]

    missing = [
        name for name, body in properties.items() if not {"title", "description", "examples"} <= set(body)
    ]
    assert missing == []


def test_enums_and_patterns_are_inline_for_the_template_generator():
    properties = json_schema(RequestInput)["properties"]

    assert properties["environment"]["enum"] == ["dev", "test", "staging", "prod"]
    assert properties["application"]["pattern"].startswith("^[a-z]")
    assert properties["publicAccess"]["default"] == "blocked"
    assert properties["costAlertGb"]["minimum"] == 1 and properties["costAlertGb"]["maximum"] == 10000


def test_valid_cases_satisfy_the_input_schema():
    schema = json_schema(RequestInput)

    for case in VALID_CASES:
        jsonschema.validate(case, schema)


def test_schema_files_cover_both_models_in_yaml_and_json():
    assert set(generated_schema_files()) == {
        "s3.schema.json",
        "s3.schema.yaml",
        "s3-request-input.schema.json",
        "s3-request-input.schema.yaml",
    }
    assert json_schema(Contract)["properties"]["apiVersion"]["const"] == "goldenpath.io/v1"
