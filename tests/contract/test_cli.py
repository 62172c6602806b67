"""`manage.py s3_contract`: validate (exit 0/1/2, text and JSON), render, schemas --check."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from core.models import Team
from requests_app.contract import PlatformPolicy, RequestInput, build_contract, contract_to_yaml
from requests_app.contract.cli import check_file, exit_code, format_text
from tests.contract.cases import KNOWN_TEAMS, SEED_CONTRACT, request_input

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEAMS = ["--teams", ",".join(KNOWN_TEAMS)]


def _manage(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "s3_contract", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    invalid = SEED_CONTRACT.replace("environment: dev", "environment: prod").replace(
        "goldenpath-dev-", "goldenpath-prod-"
    )
    texts = {"valid": SEED_CONTRACT, "invalid": invalid, "broken": "id: S3-0001\nspec: [unclosed\n"}
    paths = {}
    for name, text in texts.items():
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(text)
    return paths


@pytest.mark.parametrize(
    ("names", "code"), [(["valid"], 0), (["valid", "invalid"], 1), (["valid", "invalid", "broken"], 2)]
)
def test_exit_code_is_the_worst_outcome(files, names, code):
    reports = [check_file(str(files[name]), PlatformPolicy(), KNOWN_TEAMS) for name in names]

    assert exit_code(reports) == code


def test_text_output_lists_each_problem_and_yaml_position(files):
    reports = [
        check_file(str(files[name]), PlatformPolicy(), KNOWN_TEAMS) for name in ("valid", "invalid", "broken")
    ]

    text = format_text(reports)

    assert f"{files['valid']}: OK" in text
    assert f"{files['invalid']}: INVALID" in text
    assert "error: spec.encryption.type: prod buckets must use sse-kms" in text
    assert f"{files['broken']}: ERROR" in text and "line 3, column 1" in text


def test_validate_command_exit_codes_and_json(files):
    ok = _manage("validate", str(files["valid"]), *TEAMS)
    invalid = _manage("validate", str(files["valid"]), str(files["invalid"]), "--format", "json", *TEAMS)
    broken = _manage("validate", str(files["broken"]), str(files["valid"]), *TEAMS)
    missing = _manage("validate", "no-such-file.yaml", *TEAMS)

    assert (ok.returncode, invalid.returncode, broken.returncode, missing.returncode) == (0, 1, 2, 2)
    report = json.loads(invalid.stdout)
    assert [f["status"] for f in report["files"]] == ["ok", "invalid"]
    assert {"path": "spec.accessLogging.enabled", "severity": "error"}.items() <= next(
        p for p in report["files"][1]["problems"] if p["path"] == "spec.accessLogging.enabled"
    ).items()


def test_render_writes_tfvars_policy_and_backend(files, tmp_path):
    contract = build_contract(
        RequestInput.model_validate(request_input(environment="prod")), "S3-0012", PlatformPolicy()
    ).contract
    source = tmp_path / "S3-0012.yaml"
    source.write_text(contract_to_yaml(contract))
    out = tmp_path / "out"

    result = _manage("render", str(source), "--out", str(out), *TEAMS)

    assert result.returncode == 0, result.stderr
    tfvars = json.loads((out / "terraform.tfvars.json").read_text())
    assert tfvars["bucket_name"] == "goldenpath-prod-payments-api-uploads"
    assert json.loads((out / "iam-policy.json").read_text()) == json.loads(tfvars["app_policy_json"])
    assert json.loads((out / "backend.json").read_text())["key"] == "envs/prod/s3/S3-0012/terraform.tfstate"
    assert 'key = "envs/prod/s3/S3-0012/terraform.tfstate"' in (out / "backend.tfbackend").read_text()


def test_render_refuses_an_invalid_contract(files, tmp_path):
    result = _manage("render", str(files["invalid"]), "--out", str(tmp_path / "out"), *TEAMS)

    assert result.returncode == 1
    assert not (tmp_path / "out").exists()


def test_schemas_check_passes_on_the_committed_files():
    assert _manage("schemas", "--check").returncode == 0


@pytest.mark.django_db
def test_validate_reads_known_teams_from_the_team_table(files, capsys):
    Team.objects.create(slug="app-team", name="App team")

    call_command("s3_contract", "validate", str(files["valid"]))

    assert f"{files['valid']}: OK" in capsys.readouterr().out
    Team.objects.all().delete()
    with pytest.raises(SystemExit) as exited:
        call_command("s3_contract", "validate", str(files["valid"]))
    assert exited.value.code == 1
