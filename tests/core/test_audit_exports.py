"""Audit CSV exports that verify on their own: against the export's checkpoint in the Object Lock bucket,
with the key, without the database; formula cells neutralised without breaking that."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from core import audit, audit_checkpoints
from core.audit_csv import AUDIT_CSV_COLUMNS, audit_row, read_audit_csv
from core.models import AuditEntry
from tests.core.audit_tampering import TABLE, sql
from tests.portal.test_runportal import free_port

pytestmark = pytest.mark.django_db

WORKFLOW_NINE = ["timestamp_utc", "request_id", "bucket_name", "owner", "environment", "purpose", "action",
                 "approver", "status"]


@pytest.fixture
def trail(db):
    """Entries in two environments by a user named like a formula, and one without an environment."""
    audit.record("test.step", actor="-2+3", detail={"note": "=HYPERLINK(\"http://evil\")"}, environment="dev")
    audit.record("test.step", actor="=cmd|' /C calc'!A0", environment="prod")
    audit.record("token.issued", actor="@admin", detail={"token": "bw_abc"})
    audit.record("test.step", actor="rita", environment="dev")


def verify_csv(*paths) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", "--csv", *map(str, paths), stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()


def download(client, auditor, tmp_path, environment=None):
    client.force_login(auditor)
    query = f"?environment={environment}" if environment else ""
    response = client.get(reverse("requests:audit-export") + query)
    assert response.status_code == 200
    path = tmp_path / f"{environment or 'all'}.csv"
    path.write_bytes(b"".join(response.streaming_content))
    return path


def rewrite(path, transform):
    rows = list(csv.reader(path.open(newline="")))
    rows = [rows[0], *transform(rows[1:])]
    with path.open("w", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)


def test_an_environment_export_keeps_the_nine_columns_first_neutralises_formulas_and_verifies(
        trail, checkpoint_bucket, client, auditor, tmp_path):
    path = download(client, auditor, tmp_path, "dev")
    header, first, *_ = list(csv.reader(path.open(newline="")))
    assert header[:9] == WORKFLOW_NINE and header == AUDIT_CSV_COLUMNS
    assert first[header.index("actor")] == "'-2+3"
    assert not any(cell[:1] in "=+-@\t\r" for line in path.read_text().splitlines()[1:]
                   for cell in next(csv.reader([line])) if cell)
    code, out, err = verify_csv(path)
    assert code == 0, err
    assert "2 rows verify with the key and match checkpoint #1" in out


def test_the_all_export_holds_entries_without_an_environment_and_verifies(trail, checkpoint_bucket, client,
                                                                          auditor, tmp_path):
    path = download(client, auditor, tmp_path)
    rows = read_audit_csv(path)
    assert [row["environment"] for row in rows] == ["dev", "prod", "", "dev"]
    assert rows[2]["actor"] == "@admin"  # restored from the neutralised cell
    assert verify_csv(path)[0] == 0


def test_an_export_verifies_without_the_database(trail, checkpoint_bucket, client, auditor, tmp_path):
    path = download(client, auditor, tmp_path, "dev")
    sql(f"DELETE FROM {TABLE}")  # the database is gone (or lies); the file and the bucket remain
    code, _, err = verify_csv(path)
    assert code == 0, err


@pytest.mark.parametrize("transform, problem", [
    (lambda rows: rows[:-1], "rows were removed, added, replaced or reordered"),
    (lambda rows: rows[::-1], "rows were removed, added, replaced or reordered"),
    (lambda rows: [[*rows[0][:9], "mallory", *rows[0][10:]], *rows[1:]], "its columns do not match its hash"),
])
def test_a_file_edited_after_export_is_refused(trail, checkpoint_bucket, client, auditor, tmp_path, transform,
                                                problem):
    path = download(client, auditor, tmp_path, "dev")
    rewrite(path, transform)
    code, _, err = verify_csv(path)
    assert code == 1 and problem in err


def test_rows_of_another_environment_pasted_in_are_refused(trail, checkpoint_bucket, client, auditor, tmp_path):
    dev = download(client, auditor, tmp_path, "dev")
    prod_rows = list(csv.reader(download(client, auditor, tmp_path, "prod").open(newline="")))[1:]
    rewrite(dev, lambda rows: [*rows, *[[*row[:-1], rows[0][-1]] for row in prod_rows]])
    code, _, err = verify_csv(dev)
    assert code == 1 and "the export was of environment 'dev'" in err


def test_an_export_while_the_bucket_is_down_verifies_once_its_checkpoint_is_written(
        trail, checkpoint_bucket, settings, client, auditor, tmp_path):
    reachable = settings.AWS_ENDPOINT_URL
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    path = download(client, auditor, tmp_path, "dev")  # the export goes on
    settings.AWS_ENDPOINT_URL = reachable
    code, _, err = verify_csv(path)
    assert code == 1 and "checkpoint #1, which the file names, is not in the checkpoint bucket" in err
    assert audit_checkpoints.write_pending() == 1  # the retry schedule's work
    assert verify_csv(path)[0] == 0


def test_export_audit_without_an_environment_writes_every_entry(trail, checkpoint_bucket, tmp_path):
    out = tmp_path / "all.csv"
    call_command("export_audit", "--out", str(out), stdout=io.StringIO())
    assert len(read_audit_csv(out)) == AuditEntry.objects.count() == 4
    assert verify_csv(out)[0] == 0


def test_an_export_from_before_checkpoints_is_still_checked_against_the_database(trail, tmp_path):
    """Files exported before this change have neither key_id nor checkpoint columns (and legacy hashes)."""
    previous = AuditEntry.objects.order_by("id").last().entry_hash
    legacy = AuditEntry(timestamp=audit.timezone.now(), actor="old", action="legacy.step", previous_hash=previous,
                        environment="dev", key_id="")
    legacy.entry_hash = audit.compute_entry_hash(previous, key=None, **audit.entry_content(legacy))
    legacy.save()
    values = AuditEntry.objects.filter(pk=legacy.pk).values_list(
        "timestamp", "request_id", "bucket_name", "environment", "action", "actor", "id", "detail", "previous_hash",
        "entry_hash", "key_id").get()
    path = tmp_path / "old.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(AUDIT_CSV_COLUMNS[:-2])
        writer.writerow(audit_row(values, {}, 0)[:-2])
    code, out_text, err = verify_csv(path)
    assert code == 0, err
    assert "match the audit trail's database (an export from before checkpoints)" in out_text
