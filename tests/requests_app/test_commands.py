"""Management commands: export_audit, export_catalog, s3_contract import (verify_audit: tests/core)."""

import csv

import pytest
import yaml

from core.models import AuditEntry
from requests_app import catalog
from requests_app.models import BucketRequest, CatalogEntry, RequestStatus
from requests_app.submission import submit_request
from tests.support.common import run_command
from tests.support.requests import contract_file, prod_input, rita_input

pytestmark = pytest.mark.django_db


def test_export_audit_writes_one_environment_with_the_workflow_columns_first(team_member, tmp_path):
    submit_request(prod_input(), team_member)
    submit_request(rita_input(), team_member)
    out = tmp_path / "governance" / "prod" / "s3_request_audit.csv"
    code, message, _ = run_command("export_audit", "--environment", "prod", "--out", str(out))
    rows = list(csv.DictReader(out.open()))
    assert code == 0 and f"wrote {len(rows)} rows" in message
    assert list(rows[0])[:9] == [
        "timestamp_utc",
        "request_id",
        "bucket_name",
        "owner",
        "environment",
        "purpose",
        "action",
        "approver",
        "status",
    ]
    assert {row["environment"] for row in rows} == {"prod"}
    submitted = rows[0]
    assert (submitted["request_id"], submitted["owner"], submitted["purpose"], submitted["status"]) == (
        "S3-0001",
        "app-team",
        "uploads",
        "pending_approval",
    )


def test_export_catalog_writes_buckets_keyed_by_name(team_member, tmp_path):
    request = submit_request(rita_input(), team_member).request
    catalog.mark_active(
        request, actor="runner", region="us-east-1", arn=f"arn:aws:s3:::{request.bucket_name}"
    )
    out = tmp_path / "s3-catalog.yaml"
    run_command("export_catalog", "--out", str(out))
    bucket = yaml.safe_load(out.read_text())["buckets"][request.bucket_name]
    assert set(bucket) == {"metadata", "aws", "governance", "retention", "cost"}
    assert bucket["metadata"]["id"] == "S3-0001" and bucket["metadata"]["owner"] == "app-team"
    assert bucket["aws"]["arn"] == f"arn:aws:s3:::{request.bucket_name}"
    assert bucket["cost"] == {"cost_center": "payments-123", "alert_threshold_gb": 100}
    assert bucket["governance"]["encryption"] == "sse-s3"


def test_import_keeps_ids_and_the_counter_continues_after_the_highest(teams, team_member, tmp_path):
    files = [contract_file(tmp_path, "S3-0007"), contract_file(tmp_path, "S3-0042", application="ledger")]
    code, out, _ = run_command("s3_contract", "import", *map(str, files))
    assert code == 0 and out.count("IMPORTED") == 2
    imported = BucketRequest.objects.get(request_id="S3-0042")
    assert imported.status == RequestStatus.APPLIED
    assert CatalogEntry.objects.get(request=imported).status == "active"
    assert AuditEntry.objects.filter(action="request.imported").count() == 2
    assert submit_request(prod_input(), team_member).request.request_id == "S3-0043"


def test_importing_again_is_a_no_op_and_a_changed_contract_fails(teams, tmp_path):
    path = contract_file(tmp_path, "S3-0007")
    run_command("s3_contract", "import", str(path))
    code, out, _ = run_command("s3_contract", "import", str(path))
    assert code == 0 and "UNCHANGED" in out
    changed = contract_file(tmp_path, "S3-0007", costAlertGb=900)
    code, _, err = run_command("s3_contract", "import", str(changed))
    assert code == 1 and "different contract" in err
    assert AuditEntry.objects.filter(action="request.imported").count() == 1


def test_import_refuses_invalid_files_and_unknown_teams(teams, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: goldenpath.io/v1\nkind: [\n")
    unknown_team = contract_file(tmp_path, "S3-0009")
    unknown_team.write_text(unknown_team.read_text().replace("owner: app-team", "owner: ghost-team"))
    code, _, err = run_command("s3_contract", "import", str(broken), str(unknown_team))
    assert code == 1 and err.count("FAILED") == 2
    assert not BucketRequest.objects.exists()
    code, _, _ = run_command("s3_contract", "import", "--create-teams", str(unknown_team))
    assert code == 0 and BucketRequest.objects.get().owner.slug == "ghost-team"
