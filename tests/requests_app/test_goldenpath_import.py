"""GoldenPath's contracts imported as applied (legacy names kept with a warning), dry runs that change
nothing, and contracts exported in GoldenPath's layout that validate again with our CLI."""

import pytest
import yaml

from core.models import AuditEntry
from requests_app.contract import load_contract
from requests_app.models import BucketRequest, CatalogEntry, RequestStatus
from requests_app.submission import submit_request
from tests.contract.cases import FIXTURE, PUBLISHED
from tests.support.common import run_command
from tests.support.requests import prod_input, rita_input

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, bucket", [(PUBLISHED, "goldenpath-dev-platform-logs"), (FIXTURE, "goldenpath-dev-test-logs")]
)
def test_goldenpath_files_import_as_applied_with_their_legacy_name(path, bucket):
    code, out, err = run_command("s3_contract", "import", "--create-teams", str(path))
    assert code == 0, err
    assert "IMPORTED S3-0001" in out and "bucket-name" not in err
    assert "warning: spec.bucketName: Legacy bucket name kept" in out
    request = BucketRequest.objects.get(request_id="S3-0001")
    assert request.status == RequestStatus.APPLIED and request.bucket_name == bucket
    assert CatalogEntry.objects.get(request=request).status == "active"
    stored = load_contract(request.contract)  # stored in our own vocabulary
    assert stored.lifecycle.expiration_days == 90 and "purpose" not in stored.spec.tags


def test_dry_run_says_per_file_what_would_happen_and_saves_nothing(teams, tmp_path):
    broken = tmp_path / "S3-0002.yaml"
    broken.write_text(PUBLISHED.read_text().replace("cost_alert_gb: 100", "cost_alert_gb: 0"))
    code, out, err = run_command(
        "s3_contract", "import", "--dry-run", "--create-teams", str(PUBLISHED), str(broken)
    )
    assert code == 1
    assert f"{PUBLISHED}: WOULD IMPORT S3-0001 as applied, bucket goldenpath-dev-platform-logs" in out
    assert f"{broken}: FAILED" in err and "spec.costAlertGb" in err
    assert not BucketRequest.objects.exists()
    assert not AuditEntry.objects.filter(action="request.imported").exists()
    run_command("s3_contract", "import", "--create-teams", str(PUBLISHED))
    code, out, _ = run_command("s3_contract", "import", "--dry-run", str(PUBLISHED))
    assert code == 0 and "UNCHANGED" in out


def test_dry_run_names_a_bucket_another_request_holds(teams, team_member, tmp_path):
    held = submit_request(rita_input(), team_member).request
    copy = tmp_path / "S3-0090.yaml"
    text = PUBLISHED.read_text().replace("S3-0001", "S3-0090")
    copy.write_text(text.replace("goldenpath-dev-platform-logs", held.bucket_name))
    code, _, err = run_command("s3_contract", "import", "--dry-run", "--create-teams", str(copy))
    assert code == 1 and "FAILED" in err and held.request_id in err


def test_validate_existing_accepts_a_legacy_name_and_plain_validate_does_not():
    code, out, _ = run_command("s3_contract", "validate", "--skip-team-check", "--existing", str(PUBLISHED))
    assert code == 0 and "warning: spec.bucketName" in out
    code, out, _ = run_command("s3_contract", "validate", "--skip-team-check", str(PUBLISHED))
    assert code == 1 and "error: spec.bucketName" in out


def test_export_writes_goldenpath_layout_and_validates_again(teams, team_member, tmp_path):
    first = submit_request(rita_input(), team_member).request
    second = submit_request(prod_input(), team_member).request
    code, out, _ = run_command("s3_contract", "export", "--out", str(tmp_path / "s3-requests"))
    assert code == 0
    root = tmp_path / "s3-requests"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.yaml"))
    assert files == sorted(f"{r.environment}/{r.request_id}.yaml" for r in (first, second))
    for request in (first, second):
        path = root / request.environment / f"{request.request_id}.yaml"
        code, out, _ = run_command("s3_contract", "validate", str(path))
        assert code == 0 and "OK" in out, out
        assert load_contract(request.contract).model_dump() == _read_back(path).model_dump()


def test_export_of_an_imported_goldenpath_contract_imports_back_unchanged(tmp_path):
    run_command("s3_contract", "import", "--create-teams", str(PUBLISHED))
    run_command("s3_contract", "export", "--out", str(tmp_path), "S3-0001")
    exported = tmp_path / "dev" / "S3-0001.yaml"
    lifecycle = yaml.safe_load(exported.read_text())["spec"]["lifecycle"]
    assert lifecycle == {"expireDays": 90, "transitionToIaDays": 30}
    code, out, _ = run_command("s3_contract", "import", str(exported))
    assert code == 0 and "UNCHANGED" in out


def _read_back(path):
    from requests_app.contract.loading import parse_yaml_mapping, read_contract

    contract, problems = read_contract(parse_yaml_mapping(path.read_text()))
    assert contract is not None, problems
    return contract


def test_adopt_dry_run_says_a_plan_would_import_the_bucket_and_saves_nothing():
    code, out, err = run_command(
        "s3_contract", "import", "--adopt", "--dry-run", "--create-teams", str(PUBLISHED)
    )
    assert code == 0, err
    assert "WOULD ADOPT S3-0001 bucket goldenpath-dev-platform-logs: a plan importing it" in out
    assert not BucketRequest.objects.exists()
